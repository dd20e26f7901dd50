"""`shre audit`: check the audit log's hash chain, export it, apply retention."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import fail, settings_or_exit, with_session

if TYPE_CHECKING:
    from shre.audit import PruneReport, VerifyReport

app = typer.Typer(
    help="The tamper-evident audit log: check its hash chain, export it, apply retention.",
    no_args_is_help=True,
)


@app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain from the latest checkpoint; exit 1 naming the first bad event."""
    from shre.audit import verify_chain
    from shre.audit.models import AuditEvent

    settings = settings_or_exit()
    bad: list[AuditEvent | None] = [None]

    async def work(runtime: Runtime, session: AsyncSession) -> VerifyReport:
        report = await verify_chain(runtime.sessionmaker, runtime.audit.sealer)
        if report.first_bad_event_id is not None:
            bad[0] = await session.get(AuditEvent, report.first_bad_event_id)
        return report

    started = time.perf_counter()
    report = asyncio.run(with_session(settings, work))
    elapsed = time.perf_counter() - started
    start = (
        f"checkpoint at seq {report.checkpoint_seq}"
        if report.checkpoint_seq
        else "start of the chain"
    )
    if report.ok:
        typer.echo(
            f"shre: audit chain ok: {report.checked} events checked from the {start} to the "
            f"signed head at seq {report.head_seq} ({elapsed:.2f}s)"
        )
        # Kept outside the database (a log, a ticket), it shows a later rollback of the log.
        typer.echo(f"shre: head seq {report.head_seq} hash {report.head_hash}")
        return
    typer.echo(f"shre: audit chain BROKEN after {report.checked} events: {report.reason}")
    event = bad[0]
    if event is not None:
        typer.echo(
            f"shre: first bad event: id {event.id}, seq {event.seq}, action {event.action}, "
            f"at {event.at.isoformat()}, actor {event.actor_id or event.actor_role or '-'}, "
            f"target {event.target_type or '-'} {event.target_id or ''}".rstrip()
        )
    raise typer.Exit(1)


@app.command("export")
def audit_export(
    since: Annotated[
        str | None, typer.Option(help="From this time (ISO-8601, UTC if no offset), inclusive.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to this time, exclusive.")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write to FILE (mode 0600) instead of standard output.")
    ] = None,
) -> None:
    """Export events as JSON lines in chain order, with seq, prev_hash and hash, so the
    chain can be checked elsewhere. Streams in batches."""
    import orjson

    from shre.audit import AuditTrail
    from shre.audit.chain import format_at
    from shre.audit.repository import AuditFilters, AuditRepository

    settings = settings_or_exit()
    filters = AuditFilters(since=_utc_option(since, "--since"), until=_utc_option(until, "--until"))

    async def work(runtime: Runtime, session: AsyncSession) -> int:
        # Recorded first: an export that fails half-way has still disclosed something.
        await AuditTrail.system(session, runtime.sessionmaker).record_read("audit.export")
        count = 0
        with _open_output(output) as out:
            async for row in AuditRepository(session).stream(filters):
                line = {**row, "at": format_at(row["at"])}
                out.write(orjson.dumps(line, default=str) + b"\n")
                count += 1
        return count

    count = asyncio.run(with_session(settings, work))
    typer.echo(f"shre: exported {count} audit events", err=True)


@app.command("prune")
def audit_prune(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be removed.")] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Events per transaction.")
    ] = 5000,
) -> None:
    """Remove events older than AUDIT_RETENTION_DAYS, leaving a signed checkpoint of the
    last one removed (verify starts there). Refuses when that part of the chain is broken."""
    from shre.audit import AuditChainBroken, prune
    from shre.audit.prune import count_older

    settings = settings_or_exit()
    cutoff = datetime.now(UTC) - timedelta(days=settings.audit_retention_days)
    if dry_run:

        async def count(runtime: Runtime, session: AsyncSession) -> int:
            return await count_older(runtime.sessionmaker, cutoff)

        n = asyncio.run(with_session(settings, count))
        typer.echo(f"shre: {n} audit events are older than {cutoff:%Y-%m-%d %H:%M} UTC")
        return

    async def work(runtime: Runtime, session: AsyncSession) -> PruneReport:
        return await prune(runtime.sessionmaker, older_than=cutoff, batch=batch_size)

    try:
        report = asyncio.run(with_session(settings, work))
    except AuditChainBroken as exc:
        fail(f"refusing to prune: {exc} (run `shre audit verify`)", code=1)
    where = f"; checkpoint at seq {report.checkpoint_seq}" if report.checkpoint_seq else ""
    typer.echo(
        f"shre: pruned {report.pruned} audit events older than {cutoff:%Y-%m-%d %H:%M} UTC{where}"
    )


def _utc_option(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not an ISO-8601 date or time: {value!r}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@contextmanager
def _open_output(path: Path | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        yield handle
