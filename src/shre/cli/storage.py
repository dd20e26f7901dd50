"""`shre storage`: check that document rows and stored files agree, move every file
to the other backend."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from shre.api.runtime import Runtime
from shre.cli.common import fail, settings_or_exit, with_stores

if TYPE_CHECKING:
    from shre.storage import StorageSet

app = typer.Typer(
    help="Document file storage (S3 or UPLOAD_DIR): check that rows and objects agree, "
    "move every file to the other backend.",
    no_args_is_help=True,
)


@app.command("check")
def storage_check(
    repair: Annotated[
        bool, typer.Option(help="Delete orphan objects (no row) older than an hour.")
    ] = False,
) -> None:
    """Compare document rows with stored objects: rows whose file is missing, objects no
    row knows (orphans), copies a migration left. Exit 1 when something is wrong."""
    from shre.documents.maintenance import CheckReport, check

    settings = settings_or_exit()

    async def work(runtime: Runtime, stores: StorageSet) -> CheckReport:
        return await check(runtime.sessionmaker, stores, repair=repair)

    report = asyncio.run(with_stores(settings, work))
    counts = ", ".join(f"{n} on {backend}" for backend, n in report.objects.items()) or "none"
    typer.echo(f"shre: {report.rows} document versions; objects: {counts}")
    for problem in report.unreachable:
        typer.echo(f"shre: cannot list {problem}", err=True)
    for row in report.missing:
        typer.echo(
            f"MISSING  {row.backend:<5} {row.key}  (document {row.document_id} v{row.version})"
        )
    repaired = {key for _, key in report.repaired}
    for backend, item in report.orphans:
        state = "deleted" if item.key in repaired else "kept (younger than an hour)"
        if not repair:
            state = "run with --repair to delete"
        typer.echo(f"ORPHAN   {backend:<5} {item.key}  {item.modified:%Y-%m-%d %H:%M} ({state})")
    for backend, item in report.copies:
        typer.echo(f"COPY     {backend:<5} {item.key}  (remove: storage migrate --delete-source)")
    typer.echo(
        f"shre: {len(report.missing)} missing, {len(report.orphans)} orphans "
        f"({len(report.repaired)} deleted), {len(report.copies)} migration copies"
    )
    if report.missing or report.unreachable or len(report.orphans) > len(report.repaired):
        raise typer.Exit(1)


@app.command("migrate")
def storage_migrate(
    to: Annotated[str, typer.Option("--to", help="Target backend: s3 or local.")],
    delete_source: Annotated[
        bool, typer.Option(help="Delete each source copy once its new copy is verified.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Move at most N files in this run.")
    ] = None,
) -> None:
    """Copy every document file to the other backend (both configured: S3_* and
    UPLOAD_DIR), verify each copy by SHA-256, then switch its record. Resumable: run it
    again after an interruption; it only picks files not moved yet."""
    from shre.documents.keys import DocumentKeys
    from shre.documents.transfer import TransferReport, count_on, transfer

    if to not in ("s3", "local"):
        fail("--to must be s3 or local")
    target: Literal["s3", "local"] = "s3" if to == "s3" else "local"
    source = "local" if target == "s3" else "s3"
    settings = settings_or_exit()
    if not settings.s3_bucket:
        fail("S3_BUCKET (and the S3 credentials) must be set to move files to or from S3")

    async def work(runtime: Runtime, stores: StorageSet) -> TransferReport:
        from rich.progress import Progress

        total = await count_on(runtime.sessionmaker, source)
        if limit is not None:
            total = min(total, limit)
        with Progress(transient=False) as progress:
            task = progress.add_task(f"moving files {source} -> {target}", total=total)
            return await transfer(
                runtime.sessionmaker,
                stores,
                DocumentKeys(runtime.keyring),
                target,
                delete_source=delete_source,
                limit=limit,
                progress=lambda done: progress.update(task, completed=done),
            )

    report = asyncio.run(with_stores(settings, work))
    typer.echo(
        f"shre: {report.copied} files ({report.bytes} bytes) copied, verified and switched "
        f"to {target}; {report.sources_deleted} source copies deleted; "
        f"{report.remaining} still on {source}"
    )
    for line in report.skipped:
        typer.echo(f"shre: skipped {line}", err=True)
    for line in report.failed:
        typer.echo(f"shre: FAILED {line}", err=True)
    if report.failed:
        raise typer.Exit(1)
    if report.remaining:
        typer.echo("shre: not complete yet: run the same command again to continue")
