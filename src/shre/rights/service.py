"""Data subject rights, the rules: only hr and admin act on them (403 for everyone else,
before anything is read, so no one learns whether a record exists); a legal hold blocks
every deletion; an erasure takes a former employee without a hold (`erasure.py` says in
which order); an access export is audited before its first byte."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.documents.keys import DocumentKeys
from shre.employees import rights as record
from shre.employees.models import Employee
from shre.employees.repository import EmployeeRepository
from shre.employees.vault import EmployeeVault
from shre.kit.errors import Conflict, Forbidden, NotFound
from shre.policy import Principal, may_manage_employees
from shre.rights import erasure
from shre.rights.export import AccessExport, audit_fields, prepare

log = structlog.get_logger("shre.rights")
EXPORT = "employee.access_export"


async def authorize(
    actor: Principal, audit: AuditTrail, action: str, employee_id: uuid.UUID
) -> None:
    """hr and admin only; a refusal is recorded (in its own transaction)."""
    if may_manage_employees(actor):
        return
    await audit.record_read(action, target_type="employee", target_id=employee_id, outcome="denied")
    raise Forbidden("Only HR and administrators handle data subject rights", code="hr_only")


async def _load(session: AsyncSession, employee_id: uuid.UUID, *, lock: bool) -> Employee:
    employee = await EmployeeRepository(session).get(employee_id, lock=lock)
    if employee is None:
        raise NotFound("No such employee", code="employee_not_found")
    return employee


def state(employee: Employee) -> dict[str, Any]:
    return {"employee_id": employee.id, **record.rights_state(employee)}


async def set_legal_hold(
    session: AsyncSession, audit: AuditTrail, actor: Principal, employee_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Put the record on hold, or change its reason. An erasure already begun cannot be
    held back (409 `erasure_begun`): the data key is gone."""
    await authorize(actor, audit, "employee.legal_hold.set", employee_id)
    employee = await _load(session, employee_id, lock=True)
    if employee.erasure_requested_at is not None:
        raise Conflict(
            "The erasure of this employee has begun: there is nothing left to hold",
            code="erasure_begun",
        )
    await record.set_hold(session, employee, reason, actor.id)
    await audit.record(
        "employee.legal_hold.set", target_type="employee", target_id=employee.id, fields=["reason"]
    )
    log.info("employee.legal_hold_set", employee_id=str(employee.id), by=str(actor.id))
    return state(employee)


async def clear_legal_hold(
    session: AsyncSession, audit: AuditTrail, actor: Principal, employee_id: uuid.UUID
) -> dict[str, Any]:
    """Lift the hold (no hold: nothing changes, nothing is recorded)."""
    await authorize(actor, audit, "employee.legal_hold.clear", employee_id)
    employee = await _load(session, employee_id, lock=True)
    if record.on_hold(employee):
        await record.clear_hold(session, employee)
        await audit.record(
            "employee.legal_hold.clear", target_type="employee", target_id=employee.id
        )
        log.info("employee.legal_hold_cleared", employee_id=str(employee.id), by=str(actor.id))
    return state(employee)


async def start_export(
    runtime: Runtime,
    session: AsyncSession,
    audit: AuditTrail,
    actor: Principal,
    employee_id: uuid.UUID,
) -> AccessExport:
    """Read what the archive holds but the files and audit events, and record the export
    (committed before the first byte: no event, no file)."""
    await authorize(actor, audit, EXPORT, employee_id)
    employee = await _load(session, employee_id, lock=False)
    export = await prepare(
        session,
        runtime.part(EmployeeVault),
        DocumentKeys(runtime.keyring),
        employee,
        exported_by=actor.id,
    )
    await audit.record_read(
        EXPORT,
        target_type="employee",
        target_id=employee.id,
        target_ids=export.document_ids,
        fields=audit_fields(),
    )
    log.info("employee.access_exported", employee_id=str(employee.id), by=str(actor.id))
    return export


async def erase(
    runtime: Runtime,
    unit: erasure.Unit,
    audit_for: erasure.AuditFor,
    denied: AuditTrail,
    actor: Principal,
    employee_id: uuid.UUID,
    reason: str,
) -> erasure.Erasure:
    await authorize(actor, denied, "employee.erase", employee_id)
    return await erasure.erase(
        employee_id,
        reason,
        unit=unit,
        audit=audit_for,
        stores=runtime.storages,
        today=date.today(),
    )


async def state_of_id(session: AsyncSession, employee_id: uuid.UUID) -> dict[str, Any]:
    return state(await _load(session, employee_id, lock=False))
