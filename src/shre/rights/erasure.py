"""Erasure of a former employee (GDPR art. 17), in an order that a failure can resume
and that never claims more than is done:

1. one transaction: the data key destroyed (as `shre keys shred`), the record
   pseudonymised, their documents out of the search index, classifier models that learnt
   from their documents deleted, their user account ended; `erasure_requested_at` set;
2. every object of every version of their documents deleted from every configured
   backend, then everything left under their key prefix, each checked gone;
3. one transaction: the document rows removed and `erased_at` set.

A backend failing in step 2 leaves the erasure pending (the record says so, never that it
is erased) and raises `ErasureIncomplete` (503, Retry-After): asking again, or the daily
job, resumes at step 2. Audit events name ids and counts, never a value of the person.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.audit import AuditTrail
from shre.db import utcnow
from shre.documents import training
from shre.documents.keys import forget_employee_text
from shre.documents.maintenance import delete_everywhere, forget_documents
from shre.documents.models import DocumentVersion
from shre.documents.repository import document_ids_of, of_employee
from shre.employees import rights as record
from shre.employees.keys import shred
from shre.employees.models import Employee
from shre.kit.errors import Conflict, NotFound, ServiceUnavailable
from shre.storage import BACKENDS, StorageError, StorageSet
from shre.users.models import User
from shre.users.sessions import RefreshTokenRepository

log = structlog.get_logger("shre.rights")

Unit = Callable[[], AbstractAsyncContextManager[AsyncSession]]
AuditFor = Callable[[AsyncSession], AuditTrail]
RETRY_AFTER_SECONDS = 60
ERASED_USER_NAME = "Erased user"


class ErasureIncomplete(ServiceUnavailable):
    def __init__(self, employee_id: uuid.UUID) -> None:
        super().__init__(
            f"The erasure of employee {employee_id} has begun but a storage backend did not "
            "delete every file. Nothing is lost: ask again (POST the erasure again) or leave "
            "it to the daily job, which finishes pending erasures.",
            code="erasure_incomplete",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def legal_hold(employee_id: uuid.UUID) -> Conflict:
    return Conflict(
        f"Employee {employee_id} is on legal hold: nothing of theirs may be deleted",
        code="legal_hold",
    )


@dataclass(frozen=True, slots=True)
class Erasure:
    employee_id: uuid.UUID
    erasure_requested_at: datetime | None
    erased_at: datetime | None
    documents: int = 0  # document records removed by this call
    objects: int = 0  # stored objects deleted by this call
    models: int = 0  # classifier models deleted by this call

    @property
    def state(self) -> str:
        return "erased" if self.erased_at is not None else "pending"


def check_erasable(employee: Employee, today: date) -> None:
    """409 unless the person has left (terminated, the date passed) and no hold is on."""
    if record.on_hold(employee):
        raise legal_hold(employee.id)
    left = employee.termination_date is None or employee.termination_date <= today
    if employee.status != "terminated" or not left:
        raise Conflict(
            "Only former employees are erased: terminate the employee first "
            "(and wait for the termination date)",
            code="not_terminated",
        )


async def erase(
    employee_id: uuid.UUID,
    reason: str,
    *,
    unit: Unit,
    audit: AuditFor,
    stores: StorageSet,
    today: date | None = None,
) -> Erasure:
    """Erase (or finish erasing) one employee; see the module. Erasing an erased employee
    changes nothing and answers its state."""
    models = 0
    async with unit() as session:
        employee = await session.get(Employee, employee_id, with_for_update=True)
        if employee is None:
            raise NotFound("No such employee", code="employee_not_found")
        if employee.erased_at is not None:
            return Erasure(employee.id, employee.erasure_requested_at, employee.erased_at)
        if employee.erasure_requested_at is None:
            check_erasable(employee, today or date.today())
            models = await _begin(session, employee, reason, audit(session))
        requested = employee.erasure_requested_at
    versions, deleted = await _delete_files(employee_id, unit=unit, audit=audit, stores=stores)
    async with unit() as session:
        employee = await session.get(Employee, employee_id, with_for_update=True)
        assert employee is not None  # noqa: S101 - employees are never deleted
        if employee.erased_at is not None:  # a concurrent call finished it
            return Erasure(employee.id, employee.erasure_requested_at, employee.erased_at)
        await _all_deleted(session, employee_id, versions)
        models += await training.forget_employee(session, employee_id)
        documents = await document_ids_of(session, employee_id)
        await forget_documents(session, documents)
        await record.finish_erasure(session, employee)
        await audit(session).record(
            "employee.erase",
            target_type="employee",
            target_id=employee_id,
            target_ids=documents,
            fields=[
                "reason",
                f"documents_{len(documents)}",
                f"objects_{deleted}",
                f"models_{models}",
            ],
        )
        erased_at = employee.erased_at
    log.info(
        "employee.erased",
        employee_id=str(employee_id),
        documents=len(documents),
        objects=deleted,
        models=models,
    )
    return Erasure(employee_id, requested, erased_at, len(documents), deleted, models)


async def _delete_files(
    employee_id: uuid.UUID, *, unit: Unit, audit: AuditFor, stores: StorageSet
) -> tuple[list[DocumentVersion], int]:
    """Step 2: every object of every version of the employee's documents deleted from
    every configured backend, then whatever is left under their prefix, each checked
    gone. A failure is audited and raises ErasureIncomplete."""
    deleted = 0
    versions: list[DocumentVersion] = []
    try:
        async with unit() as session:
            versions = await of_employee(session, employee_id)
        for version in versions:
            await delete_everywhere(stores, version.object_key)
            deleted += 1
        deleted += await _sweep(stores, employee_id)
    except (StorageError, OSError) as exc:  # OSError: a local file not removable
        log.error(
            "employee.files_not_deleted",
            employee_id=str(employee_id),
            objects=deleted,
            error_type=type(exc).__name__,
        )
        async with unit() as session:
            await audit(session).record(
                "employee.erase",
                target_type="employee",
                target_id=employee_id,
                fields=[f"objects_{deleted}"],
                outcome="failure",
            )
        raise ErasureIncomplete(employee_id) from None
    return versions, deleted


async def shred_employee(
    employee_id: uuid.UUID, *, unit: Unit, audit: AuditFor, stores: StorageSet
) -> tuple[int, int]:
    """`shre keys shred`: destroy the data key and, as an erasure does, every file of the
    employee's documents on every backend and then their records (no pseudonym: the
    directory fields stay). Refused under legal hold. Returns (documents, objects)."""
    async with unit() as session:
        employee = await session.get(Employee, employee_id, with_for_update=True)
        if employee is None:
            raise NotFound("No such employee", code="employee_not_found")
        if record.on_hold(employee):
            raise legal_hold(employee_id)
        await shred(session, employee_id)
        await forget_employee_text(session, employee_id)
        await training.forget_employee(session, employee_id)
        await audit(session).record("keys.shred", target_type="employee", target_id=employee_id)
    versions, deleted = await _delete_files(employee_id, unit=unit, audit=audit, stores=stores)
    async with unit() as session:
        await _all_deleted(session, employee_id, versions)
        await training.forget_employee(session, employee_id)
        documents = await document_ids_of(session, employee_id)
        await forget_documents(session, documents)
        await audit(session).record(
            "keys.shred_documents",
            target_type="employee",
            target_id=employee_id,
            target_ids=documents,
            fields=[f"documents_{len(documents)}", f"objects_{deleted}"],
        )
    return len(documents), deleted


async def _all_deleted(
    session: AsyncSession, employee_id: uuid.UUID, versions: list[DocumentVersion]
) -> None:
    """A version stored after the files were deleted (it cannot be: the key is gone)
    would be left behind: then the work is not done."""
    done = {v.object_key for v in versions}
    if any(v.object_key not in done for v in await of_employee(session, employee_id)):
        raise ErasureIncomplete(employee_id)


async def _begin(session: AsyncSession, employee: Employee, reason: str, trail: AuditTrail) -> int:
    """Step 1 (see the module), in the caller's transaction; the models deleted."""
    await shred(session, employee.id)
    await forget_employee_text(session, employee.id)
    models = await training.forget_employee(session, employee.id)
    await record.begin_erasure(session, employee, reason)
    await trail.record(
        "employee.erase_begin", target_type="employee", target_id=employee.id, fields=["reason"]
    )
    user = (
        await session.execute(select(User).where(User.employee_id == employee.id))
    ).scalar_one_or_none()
    if user is not None:
        await end_account(session, user)
        await trail.record(
            "user.erase",
            target_type="user",
            target_id=user.id,
            fields=["email", "full_name", "is_active"],
        )
    return models


async def end_account(session: AsyncSession, user: User) -> None:
    """The erased person's user account: deactivated, its email and name replaced (made
    from its id), every session ended (a new token epoch, refresh tokens revoked). It is
    kept, linked, so that the audit events of its actions still name an account."""
    user.is_active = False
    user.email = f"erased-user-{user.id.hex}@{record.ERASED_DOMAIN}"
    user.full_name = ERASED_USER_NAME
    user.token_epoch += 1
    await RefreshTokenRepository(session).revoke_user(user.id, utcnow())
    await session.flush()


def _prefix(employee_id: uuid.UUID) -> str:
    return f"employees/{employee_id}/"


async def _sweep(stores: StorageSet, employee_id: uuid.UUID) -> int:
    """Delete whatever is left under the employee's key prefix on every configured
    backend (an upload that crashed before its row, a copy a migration left), then check
    that nothing is. Keys come from ids only, and a document never changes hands, so
    everything there is theirs."""
    prefix = _prefix(employee_id)
    deleted = 0
    for backend in BACKENDS:
        if not stores.configured(backend):
            continue
        storage = stores.get(backend)
        left = [item.key async for item in storage.iter_objects(prefix)]
        for key in left:
            await storage.delete_file(key)
            deleted += 1
        if [item async for item in storage.iter_objects(prefix)]:
            raise StorageError(f"{backend}: objects remain after the erasure")
    return deleted


async def remaining_objects(stores: StorageSet, employee_id: uuid.UUID) -> dict[str, list[str]]:
    """What every configured backend still holds under the employee's prefix (a check)."""
    out: dict[str, list[str]] = {}
    for backend in BACKENDS:
        if stores.configured(backend):
            storage = stores.get(backend)
            out[backend] = [item.key async for item in storage.iter_objects(_prefix(employee_id))]
    return out
