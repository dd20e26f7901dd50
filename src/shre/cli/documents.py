"""`shre documents`: purge deleted documents after their retention, list expiring ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import (
    invalidate_caches,
    settings_or_exit,
    warn_not_invalidated,
    with_session,
    with_stores,
)

if TYPE_CHECKING:
    from shre.rights.retention import RetentionReport
    from shre.storage import StorageSet

app = typer.Typer(
    help="Documents: purge deleted ones and those past their retention, list expiring ones.",
    no_args_is_help=True,
)


@app.command("purge")
def documents_purge(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be removed.")] = False,
) -> None:
    """What the daily job does: remove documents deleted more than DOCUMENT_RETENTION_DAYS
    ago, then those of each category first uploaded more than RETENTION_YEARS ago (every
    version's file on every backend, then the records); finish erasures a backend left
    pending; and with EMPLOYEE_RETENTION_YEARS, erase former employees terminated more than
    that long ago. Nothing of an employee on legal hold is removed."""
    from shre.documents.maintenance import PurgeReport, purge
    from shre.documents.repository import deleted_before

    settings = settings_or_exit()
    cutoff = datetime.now(UTC) - timedelta(days=settings.document_retention_days)
    if dry_run:
        from shre.rights.retention import RetentionDue, retention_due

        async def count(runtime: Runtime, session: AsyncSession) -> tuple[int, RetentionDue]:
            deleted = len(await deleted_before(session, cutoff, 10**7))
            return deleted, await retention_due(session, settings, datetime.now(UTC))

        deleted, due = asyncio.run(with_session(settings, count))
        typer.echo(f"shre: {deleted} deleted documents are past their retention")
        for category, n in due.by_category.items():
            years = settings.retention_years[category]
            typer.echo(f"shre: {n} {category} documents were uploaded more than {years} years ago")
        if due.pending:
            typer.echo(f"shre: {due.pending} erasures are pending and would be finished")
        if settings.employee_retention_years is not None:
            typer.echo(
                f"shre: {due.employees} former employees left more than "
                f"{settings.employee_retention_years} years ago and would be erased"
            )
        typer.echo("shre: employees on legal hold are left out of these counts")
        return

    async def work(runtime: Runtime, stores: StorageSet) -> tuple[PurgeReport, RetentionReport]:
        from shre.documents.cache import DOCUMENTS
        from shre.rights.retention import apply_retention

        report = await purge(
            runtime.sessionmaker, stores, retention_days=settings.document_retention_days
        )
        await invalidate_caches(runtime, [DOCUMENTS])
        retention = await apply_retention(runtime)
        warn_not_invalidated(retention.invalidated)
        return report, retention

    report, retention = asyncio.run(with_stores(settings, work))
    typer.echo(
        f"shre: purged {report.documents} documents ({report.objects} files) deleted before "
        f"{cutoff:%Y-%m-%d %H:%M} UTC"
    )
    by_category = ", ".join(f"{c}: {n}" for c, n in retention.documents.by_category.items())
    if settings.retention_years:
        typer.echo(
            f"shre: removed {retention.documents.documents} documents "
            f"({retention.documents.objects} files) past RETENTION_YEARS ({by_category})"
        )
    if retention.erased:
        typer.echo(f"shre: erased {len(retention.erased)} former employees")
    failed = [*report.failed, *retention.documents.failed]
    for line in failed:
        typer.echo(f"shre: kept for the next purge: {line}", err=True)
    for employee_id in retention.pending:
        typer.echo(f"shre: erasure of {employee_id} left pending: files not deleted", err=True)
    if failed or retention.pending:
        raise typer.Exit(1)


@app.command("expiring")
def documents_expiring(
    days: Annotated[int, typer.Option(min=0, max=36500, help="Within this many days.")] = 30,
) -> None:
    """Documents that expire within DAYS days (and those already expired)."""
    from shre.documents.maintenance import expiring

    settings = settings_or_exit()

    async def work(runtime: Runtime, session: AsyncSession) -> list[tuple[str, ...]]:
        rows = await expiring(session, days)
        return [
            (
                str(d.id),
                name or "-",
                d.category,
                d.title,
                d.expires_on.isoformat() if d.expires_on else "",
            )
            for d, name in rows
        ]

    rows = asyncio.run(with_session(settings, work))
    typer.echo(f"{'id':<36}  {'employee':<24}  {'category':<11}  {'expires_on':<10}  title")
    for doc_id, name, category, title, expires_on in rows:
        typer.echo(f"{doc_id:<36}  {name[:24]:<24}  {category:<11}  {expires_on:<10}  {title}")
    typer.echo(f"shre: {len(rows)} documents expire within {days} days", err=True)
