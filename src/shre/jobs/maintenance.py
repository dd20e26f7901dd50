"""Periodic upkeep, each once a day by one worker of the whole deployment: the purge
(deleted documents past DOCUMENT_RETENTION_DAYS, then retention: RETENTION_YEARS,
pending erasures, EMPLOYEE_RETENTION_YEARS), audit events pruned after
AUDIT_RETENTION_DAYS (leaving a signed checkpoint), and the audit chain verified. A run
that could not finish raises: the job is retried, then left failed for an admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from shre.api.runtime import Runtime
from shre.audit import prune
from shre.documents.tasks import purge_deleted
from shre.monitor import verify_audit
from shre.queue import Incomplete
from shre.rights.tasks import apply as apply_retention

log = structlog.get_logger("shre.jobs")


async def purge(runtime: Runtime) -> None:
    """The daily purge: both parts run, whatever the first left undone."""
    left: list[str] = []
    for part in (purge_deleted, apply_retention):
        try:
            await part(runtime)
        except Incomplete as exc:
            left.append(str(exc))
    if left:
        raise Incomplete("; ".join(left))


async def prune_audit(runtime: Runtime) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=runtime.settings.audit_retention_days)
    report = await prune(runtime.sessionmaker, older_than=cutoff)
    log.info("audit.prune_done", pruned=report.pruned, checkpoint_seq=report.checkpoint_seq)


async def verify_chain(runtime: Runtime) -> None:
    report = await verify_audit(runtime)
    if not report.ok:
        raise Incomplete(f"the audit chain does not verify from seq {report.first_bad_seq}")
