"""The daily reminders of expiring documents (REMINDER_DAYS ahead, and those already
expired): one message to each active hr user listing every such document, and one to each
employee listing their own, by the configured notifier (SMTP). Each message that went out
is recorded for the day (`reminders_sent`): a retried job sends only what it had not.

What a message holds: a document's title, category, expiry date and, for hr, whose it is
(what hr sees in the web app anyway) — never a sensitive field of a record."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.db import read_only_session
from shre.documents.models import Document, ReminderSent
from shre.documents.repository import DocumentRepository
from shre.employees.models import Employee
from shre.notify import Message
from shre.policy import Role
from shre.users.models import User

log = structlog.get_logger("shre.jobs")


@dataclass(frozen=True, slots=True)
class _Line:
    expires_on: date
    category: str
    title: str
    owner: str | None


def _describe(line: _Line, today: date, *, with_owner: bool) -> str:
    days = (line.expires_on - today).days
    when = (
        f"expired {-days} days ago"
        if days < 0
        else "expires today"
        if days == 0
        else f"in {days} days"
    )
    whose = f" - {line.owner or 'company document'}" if with_owner else ""
    return f"- {line.expires_on.isoformat()} ({when})  {line.category}: {line.title}{whose}"


def _message(
    to: str, lines: list[_Line], today: date, days: int, *, hr: bool, url: str | None
) -> Message:
    n = len(lines)
    subject = f"shre: {n} document{'s' if n != 1 else ''} expire within {days} days or have"
    intro = (
        "These documents expire soon or have expired:"
        if hr
        else "These documents of yours expire soon or have expired; please send new ones:"
    )
    body = [
        "Hello,",
        "",
        intro,
        "",
        *(_describe(line, today, with_owner=hr) for line in lines),
        "",
    ]
    if url:
        body.append(f"Open them in shre: {url.rstrip('/')}/documents?expiring={days}")
    body.append("(A daily reminder from shre; it lists what is due within the next days.)")
    return Message(to=to, subject=subject, text="\n".join(body) + "\n")


async def send_expiry_reminders(runtime: Runtime) -> None:
    notifier = runtime.notifier
    if not notifier.enabled:
        log.info("document.reminders_off")
        return
    settings = runtime.settings
    today = datetime.now(UTC).date()
    until = today + timedelta(days=settings.reminder_days)
    async with read_only_session(runtime.sessionmaker) as session:
        expiring = await DocumentRepository(session).expiring(until)
        hr_users = (
            await session.execute(
                select(User.id, User.email).where(User.role == Role.HR.value, User.is_active)
            )
        ).all()
        owners = {d.employee_id for d, _ in expiring if d.employee_id is not None}
        emails = (
            dict(
                (
                    await session.execute(
                        select(Employee.id, Employee.email).where(
                            Employee.id.in_(owners), Employee.status != "terminated"
                        )
                    )
                ).all()
            )
            if owners
            else {}
        )
        done = set(
            (
                await session.execute(
                    select(ReminderSent.recipient).where(ReminderSent.day == today)
                )
            ).scalars()
        )
    everyone: list[_Line] = []
    by_employee: dict[uuid.UUID, list[_Line]] = defaultdict(list)
    for document, owner in expiring:
        line = _line(document, owner)
        everyone.append(line)
        if document.employee_id is not None:
            by_employee[document.employee_id].append(line)
    outgoing: list[tuple[str, Message, int]] = []
    if everyone:
        for user_id, email in hr_users:
            outgoing.append(
                (
                    f"user:{user_id}",
                    _message(
                        email,
                        everyone,
                        today,
                        settings.reminder_days,
                        hr=True,
                        url=settings.public_url,
                    ),
                    len(everyone),
                )
            )
    for employee_id, lines in by_employee.items():
        address = emails.get(employee_id)
        if address:
            outgoing.append(
                (
                    f"employee:{employee_id}",
                    _message(
                        address,
                        lines,
                        today,
                        settings.reminder_days,
                        hr=False,
                        url=settings.public_url,
                    ),
                    len(lines),
                )
            )
    sent = 0
    for recipient, message, count in outgoing:
        if recipient in done:
            continue
        await notifier.send(message)  # NotifyError: the job is retried, for the rest
        async with runtime.sessionmaker() as session, session.begin():
            session.add(ReminderSent(day=today, recipient=recipient, documents=count))
        sent += 1
    log.info("document.reminders_sent", messages=sent, documents=len(everyone))


def _line(document: Document, owner: str | None) -> _Line:
    assert document.expires_on is not None  # noqa: S101 - `expiring` selects dated ones
    return _Line(document.expires_on, document.category, document.title, owner)
