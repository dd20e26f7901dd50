"""Retention: what the daily purge (job `documents.purge`, and `shre documents purge`)
does beyond removing deleted documents. RETENTION_YEARS: documents of a category first
uploaded more than its years ago are removed, every version on every backend and then
the rows. EMPLOYEE_RETENTION_YEARS (off by default): former employees terminated more
than that many years ago are erased, as `POST /employees/{id}/erase` does. Erasures left
pending by a backend failure are finished. A legal hold keeps all of an employee's."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.documents.maintenance import PurgeReport, years_before
from shre.documents.repository import uploaded_before
from shre.documents.tasks import purge_by_retention
from shre.employees import rights as record
from shre.kit.errors import Conflict
from shre.rights import erasure
from shre.settings import Settings
from shre.uow import Invalidated, unit_of_work

log = structlog.get_logger("shre.rights")
RETENTION_REASON = "EMPLOYEE_RETENTION_YEARS passed since the termination"


@dataclass
class RetentionReport:
    documents: PurgeReport = field(default_factory=PurgeReport)
    erased: list[uuid.UUID] = field(default_factory=list)
    pending: list[uuid.UUID] = field(default_factory=list)  # left for the next run
    invalidated: Invalidated = field(default_factory=Invalidated)

    @property
    def failed(self) -> bool:
        return bool(self.documents.failed or self.pending)


@dataclass(frozen=True, slots=True)
class RetentionDue:
    """What a run would remove now (`shre documents purge --dry-run`)."""

    by_category: dict[str, int]  # documents past RETENTION_YEARS, per category
    pending: int  # erasures a backend left unfinished
    employees: int  # former employees past EMPLOYEE_RETENTION_YEARS


async def retention_due(session: AsyncSession, settings: Settings, now: datetime) -> RetentionDue:
    by_category = {}
    for category, years in sorted(settings.retention_years.items()):
        cutoff = years_before(now, years)
        by_category[category] = len(await uploaded_before(session, category, cutoff, 10**7))
    employees = 0
    if settings.employee_retention_years is not None:
        cutoff_day = _retention_cutoff(now.date(), settings.employee_retention_years)
        employees = len(await record.retention_over(session, cutoff_day))
    pending = len(await record.pending_erasures(session))
    return RetentionDue(by_category, pending, employees)


def _retention_cutoff(today: date, years: int) -> date:
    return years_before(datetime(today.year, today.month, today.day, tzinfo=UTC), years).date()


async def apply_retention(runtime: Runtime, *, now: datetime | None = None) -> RetentionReport:
    """RETENTION_YEARS, then pending erasures, then EMPLOYEE_RETENTION_YEARS (see the
    module); the work of a command or a job (actor `system`)."""
    settings = runtime.settings
    moment = now or datetime.now(UTC)
    report = RetentionReport()
    if settings.retention_years:
        report.documents = await purge_by_retention(runtime, now=moment)
    async with runtime.sessionmaker() as session:
        due = await record.pending_erasures(session)
        if settings.employee_retention_years is not None:
            cutoff = _retention_cutoff(moment.date(), settings.employee_retention_years)
            due += await record.retention_over(session, cutoff)

    def unit() -> AbstractAsyncContextManager[AsyncSession]:
        return unit_of_work(runtime.sessionmaker, runtime.cache, command=report.invalidated)

    def audit_for(session: AsyncSession) -> AuditTrail:
        return AuditTrail.system(session, runtime.sessionmaker)

    for employee_id in due:
        try:
            await erasure.erase(
                employee_id,
                RETENTION_REASON,
                unit=unit,
                audit=audit_for,
                stores=runtime.storages,
                today=moment.date(),
            )
        except erasure.ErasureIncomplete:
            report.pending.append(employee_id)
            continue
        except Conflict:  # put on hold (or re-hired) meanwhile: not theirs to erase
            continue
        report.erased.append(employee_id)
    log.info(
        "retention.applied",
        documents=report.documents.documents,
        objects=report.documents.objects,
        employees_erased=len(report.erased),
        erasures_pending=len(report.pending),
    )
    return report
