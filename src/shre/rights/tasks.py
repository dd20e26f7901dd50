"""The rights' part of the daily purge job (`documents.purge`, 02:30 UTC)."""

from __future__ import annotations

from shre.api.runtime import Runtime
from shre.queue import Incomplete
from shre.rights.retention import apply_retention


async def apply(runtime: Runtime) -> None:
    """RETENTION_YEARS, pending erasures and EMPLOYEE_RETENTION_YEARS (shre.rights.retention).
    Anything left for the next run fails the job, so it is retried (then shown to an
    admin)."""
    report = await apply_retention(runtime)
    if report.failed:
        raise Incomplete(
            f"{len(report.documents.failed)} documents past retention and "
            f"{len(report.pending)} erasures left for the next run: files not deleted"
        )
