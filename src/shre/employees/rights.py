"""The record's side of data subject rights (`shre.rights` runs them): the legal hold's
columns, the erasure's state, and the pseudonym that replaces the directory fields.

Kept here because writing an employee is the employees domain's (its cache says what a
change invalidates); the rules — who may, when, and the order of an erasure — are in
`shre.rights`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from shre.cache import invalidate_on_commit
from shre.db import utcnow
from shre.employees.cache import ALL_NAMESPACES, changed
from shre.employees.models import Employee
from shre.employees.vault import SEALED_COLUMNS
from shre.kit.errors import changed_concurrently

# Replaced by the pseudonym (directory fields) or emptied (free text about the person).
# Kept for analytics and the organisation's history: hire and termination dates, status,
# employment type, department, job title and the manager link.
PSEUDONYMISED = ("employee_number", "first_name", "last_name", "email")
EMPTIED = ("phone", "location", "termination_reason")
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real mailbox


def pseudonym(employee_id: uuid.UUID) -> dict[str, str]:
    """The directory values of an erased employee: made from the record's random id only
    (nothing of the person), the same on every retry, unique like the id."""
    short = employee_id.hex
    return {
        "employee_number": f"erased-{short[:24]}",
        "first_name": "Erased",
        "last_name": f"#{short[:8]}",
        "email": f"erased-{short}@{ERASED_DOMAIN}",
    }


def on_hold(employee: Employee) -> bool:
    return employee.legal_hold_since is not None


def rights_state(employee: Employee) -> dict[str, Any]:
    """The legal hold and erasure state of a record (hr and admin see it)."""
    hold = None
    if employee.legal_hold_since is not None:
        hold = {
            "reason": employee.legal_hold_reason,
            "since": employee.legal_hold_since,
            "by": employee.legal_hold_by,
        }
    return {
        "legal_hold": hold,
        "erasure_requested_at": employee.erasure_requested_at,
        "erased_at": employee.erased_at,
        "erasure_reason": employee.erasure_reason,
    }


async def _flush(session: AsyncSession, employee: Employee, fields: set[str] | None) -> None:
    if fields is None:
        invalidate_on_commit(session, *ALL_NAMESPACES)
    else:
        changed(session, employee, fields)
    try:
        await session.flush()
    except StaleDataError:
        raise changed_concurrently("employee") from None


async def set_hold(
    session: AsyncSession, employee: Employee, reason: str, by: uuid.UUID | None
) -> None:
    """Put the record on legal hold (or change the reason of the hold it has)."""
    if employee.legal_hold_since is None:
        employee.legal_hold_since = utcnow()
    employee.legal_hold_reason = reason
    employee.legal_hold_by = by
    await _flush(session, employee, {"legal_hold"})


async def clear_hold(session: AsyncSession, employee: Employee) -> None:
    employee.legal_hold_since = None
    employee.legal_hold_reason = None
    employee.legal_hold_by = None
    await _flush(session, employee, {"legal_hold"})


async def begin_erasure(session: AsyncSession, employee: Employee, reason: str) -> None:
    """Pseudonymise the record and mark its erasure begun (the caller destroys the data
    key in the same transaction). Dates, status, department, job title, employment type
    and the manager link stay: the headcount and turnover figures count them."""
    now = utcnow()
    for name, value in pseudonym(employee.id).items():
        setattr(employee, name, value)
    for name in EMPTIED:
        setattr(employee, name, None)
    # Ciphertext without its key opens to nothing; it goes too, so no copy outlives it.
    for column in SEALED_COLUMNS.values():
        setattr(employee, column, None)
    employee.erasure_reason = reason
    employee.erasure_requested_at = now
    employee.directory_changed_at = now  # the phones' directories drop the old values
    await _flush(session, employee, None)


async def finish_erasure(session: AsyncSession, employee: Employee) -> None:
    employee.erased_at = utcnow()
    await _flush(session, employee, {"erased_at"})


async def pending_erasures(session: AsyncSession) -> list[uuid.UUID]:
    """Employees whose erasure began and did not finish (a backend failed meanwhile)."""
    stmt = select(Employee.id).where(
        Employee.erasure_requested_at.is_not(None), Employee.erased_at.is_(None)
    )
    return list((await session.execute(stmt)).scalars())


async def retention_over(session: AsyncSession, terminated_before: date) -> list[uuid.UUID]:
    """Former employees terminated before `terminated_before`, not erased, not held."""
    stmt = select(Employee.id).where(
        Employee.status == "terminated",
        Employee.termination_date < terminated_before,
        Employee.legal_hold_since.is_(None),
        Employee.erasure_requested_at.is_(None),
    )
    return list((await session.execute(stmt)).scalars())


async def held(session: AsyncSession) -> set[uuid.UUID]:
    """Employees on legal hold."""
    stmt = select(Employee.id).where(Employee.legal_hold_since.is_not(None))
    return set((await session.execute(stmt)).scalars())


def is_erased(employee: Employee) -> bool:
    return employee.erased_at is not None


def erasure_begun(employee: Employee) -> datetime | None:
    return employee.erasure_requested_at
