"""The daily reminders of expiring documents, through a real SMTP server (aiosmtpd on a
free port): one digest per hr user with every document due, one per employee with their
own, none twice on a day, nothing sent and nothing recorded while the server is away,
and nothing at all without SMTP_HOST."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.message import Message as Email
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from shre.api.runtime import Runtime
from shre.jobs.reminders import send_expiry_reminders
from shre.notify import NotifyError
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.documents import new_employee, uploaded
from tests.support.servers import free_port


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Email]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Email]:
        return [mail for rcpt, mail in self.mails if address in rcpt]


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def settings_overrides(smtp_port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "notify_from": "shre <hr-noreply@example.com>",
        "reminder_days": 30,
        "public_url": "https://hr.example.com",
    }


def body(mail: Email) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


async def test_hr_and_each_employee_get_one_digest_a_day(
    inbox: Inbox,
    runtime: Runtime,
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
) -> None:
    await accounts.signed_in(Role.HR, "hr@example.com")
    ada = await new_employee(client, admin, "Ada")
    bob = await new_employee(client, admin, "Bob")
    soon = (date.today() + timedelta(days=10)).isoformat()
    past = (date.today() - timedelta(days=3)).isoformat()
    later = (date.today() + timedelta(days=200)).isoformat()
    await uploaded(
        client,
        admin.headers,
        b"x",
        employee_id=ada,
        category="identity",
        title="Ada passport",
        expires_on=soon,
    )
    await uploaded(
        client,
        admin.headers,
        b"x",
        employee_id=ada,
        category="certificate",
        title="Ada forklift licence",
        expires_on=past,
    )
    await uploaded(
        client,
        admin.headers,
        b"x",
        employee_id=bob,
        category="contract",
        title="Bob contract",
        expires_on=later,
    )  # not due: nothing for Bob
    await uploaded(
        client, admin.headers, b"x", category="policy", title="Fire drill plan", expires_on=soon
    )

    await send_expiry_reminders(runtime)

    ada_email = (await client.get(f"/api/v1/employees/{ada}", headers=admin.headers)).json()[
        "email"
    ]
    bob_email = (await client.get(f"/api/v1/employees/{bob}", headers=admin.headers)).json()[
        "email"
    ]
    (to_hr,) = inbox.to("hr@example.com")
    text = body(to_hr)
    assert to_hr["From"] == "shre <hr-noreply@example.com>"
    assert to_hr["Subject"] == "shre: 3 documents expire within 30 days or have"
    assert "Ada passport" in text
    assert "(in 10 days)" in text
    assert "Ada forklift licence" in text
    assert "expired 3 days ago" in text
    assert "Fire drill plan - company document" in text
    assert "Bob contract" not in text
    assert "https://hr.example.com/documents?expiring=30" in text
    (to_ada,) = inbox.to(ada_email)
    assert "Ada passport" in body(to_ada)
    assert "Fire drill plan" not in body(to_ada)  # her own documents only
    assert inbox.to(bob_email) == []
    assert inbox.to(admin.email) == []  # hr's digest; admins manage, not chase documents

    await send_expiry_reminders(runtime)  # a retried job on the same day
    assert len(inbox.mails) == 2


async def test_nothing_is_recorded_as_sent_while_the_server_is_away(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account, accounts: Accounts, smtp_port: int
) -> None:
    """The SMTP port is closed at first: the job fails (and is retried); once the server
    is there, everything goes out."""
    await accounts.signed_in(Role.HR, "hr@example.com")
    soon = (date.today() + timedelta(days=5)).isoformat()
    await uploaded(client, admin.headers, b"x", category="policy", title="Plan", expires_on=soon)
    with pytest.raises(NotifyError):
        await send_expiry_reminders(runtime)
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        await send_expiry_reminders(runtime)
    finally:
        controller.stop()
    (mail,) = handler.to("hr@example.com")
    assert "Plan" in body(mail)


class TestWithoutMailServer:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {}  # no SMTP_HOST

    async def test_nothing_is_sent(
        self,
        inbox: Inbox,
        runtime: Runtime,
        client: httpx.AsyncClient,
        admin: Account,
        accounts: Accounts,
    ) -> None:
        await accounts.signed_in(Role.HR, "hr@example.com")
        soon = (date.today() + timedelta(days=5)).isoformat()
        await uploaded(
            client, admin.headers, b"x", category="policy", title="Plan", expires_on=soon
        )
        assert runtime.notifier.enabled is False
        await send_expiry_reminders(runtime)  # no error, no attempt
        assert inbox.mails == []
