"""`shre import employees FILE` and `shre export employees`: the bulk import of the API
(`POST /api/v1/imports/employees`) as an operator's command, and every employee as a
file that imports again as it is (sensitive fields in clear: the file is the operator's
to keep safe; it is written 0600)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import command_runtime, fail, settings_or_exit, with_session

if TYPE_CHECKING:
    from shre.imports.schemas import ImportResult

import_app = typer.Typer(help="Import employees from a CSV or XLSX file.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export employees to a file that imports again.", no_args_is_help=True
)
MiB = 1024 * 1024


@import_app.command("employees")
def import_employees(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file, header row of field names.")],
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
    create_departments: Annotated[
        bool, typer.Option(help="Create the departments named that do not exist.")
    ] = False,
) -> None:
    """Create or update employees (matched by employee number): every row or none.
    Exit 1 when a row is invalid (each listed: row, column, reason)."""
    from shre.kit.errors import DomainError

    settings = settings_or_exit()
    try:
        with file.open("rb") as handle:
            data = handle.read(settings.import_max_mb * MiB + 1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    if len(data) > settings.import_max_mb * MiB:
        fail(f"{file} is larger than IMPORT_MAX_MB ({settings.import_max_mb} MiB)", code=1)

    async def work(runtime: Runtime, session: AsyncSession) -> ImportResult:
        from shre.audit import AuditTrail
        from shre.employees.vault import EmployeeVault
        from shre.imports.service import ImportService

        service = ImportService(
            session,
            runtime.part(EmployeeVault),
            AuditTrail.system(session, runtime.sessionmaker),
            max_rows=settings.import_max_rows,
        )
        return await service.import_employees(
            None, data, dry_run=dry_run, create_departments=create_departments
        )

    try:
        result = asyncio.run(with_session(settings, work))
    except DomainError as exc:
        fail(exc.detail, code=1)
    for error in result.errors:
        typer.echo(f"row {error.row}, {error.field}: {error.message}", err=True)
    if result.error_count > len(result.errors):
        typer.echo(f"… and {result.error_count - len(result.errors)} more", err=True)
    if result.error_count:
        fail(f"{result.error_count} invalid cell(s): nothing was imported", code=1)
    verb = "would be" if dry_run else "were"
    departments = result.departments_created
    typer.echo(
        f"shre: {result.created} employees {verb} created, {result.updated} updated, "
        f"{result.unchanged} unchanged"
        + (f"; {departments} departments created" if departments else "")
        + (" (dry run: nothing written)" if dry_run else "")
    )


@export_app.command("employees")
def export_employees(
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The file (csv: standard output).")
    ] = None,
) -> None:
    """Every employee with every field, sensitive ones included, by employee number: the
    columns an import takes (department by name, manager by employee number). Audited
    (`employee.export`, actor system)."""
    if format not in ("csv", "xlsx"):
        fail("--format must be csv or xlsx")
    if format == "xlsx" and output is None:
        fail("an XLSX export needs --output FILE")
    settings = settings_or_exit()
    asyncio.run(_export(settings, format, output))  # type: ignore[arg-type]
    if output is not None:
        typer.echo(f"shre: employees exported to {output}", err=True)


async def _export(settings: Any, file_format: Literal["csv", "xlsx"], output: Path | None) -> None:
    from shre.audit import AuditTrail
    from shre.employees.vault import EmployeeVault
    from shre.imports.files import export_employees as exported
    from shre.kit.export import csv_chunks, xlsx_file

    async with command_runtime(settings) as runtime, runtime.sessionmaker() as session:
        audit = AuditTrail.system(session, runtime.sessionmaker)
        limit = settings.export_max_rows if file_format == "xlsx" else None
        columns, batches = await exported(
            session, runtime.part(EmployeeVault), audit, file_format, max_rows=limit
        )
        out = _open(output)
        try:
            if file_format == "csv":
                async for chunk in csv_chunks(columns, batches):
                    out.write(chunk)
            else:
                out.write(await xlsx_file("Employees", columns, batches))
        finally:
            if output is not None:
                out.close()
            else:
                out.flush()
        await session.rollback()


def _open(output: Path | None) -> BinaryIO:
    """The output file, made readable by its owner only (it holds salaries), or stdout."""
    if output is None:
        return sys.stdout.buffer
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    return os.fdopen(descriptor, "wb")
