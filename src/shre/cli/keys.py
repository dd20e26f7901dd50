"""`shre keys`: generate a master key, see which key protects how many employees,
rotate to a new master key, destroy an employee's data key, seal values left in clear."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Annotated

import structlog
import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.cli.common import (
    command_runtime,
    fail,
    settings_or_exit,
    warn_not_invalidated,
    with_progress,
    with_session,
)
from shre.employees.vault import EmployeeVault
from shre.kit.errors import DomainError
from shre.settings import Settings

log = structlog.get_logger("shre.keys")

app = typer.Typer(
    help="Encryption keys: generate a master key, see which key protects how many "
    "employees, rotate to a new master key, destroy an employee's data key.",
    no_args_is_help=True,
)


@app.command("generate")
def keys_generate() -> None:
    """Print a new random 256-bit master key (base64) for ENCRYPTION_KEY."""
    from shre.crypto import generate_key

    typer.echo(generate_key())


@app.command("status")
def keys_status() -> None:
    """How many employees' data keys each master key wraps (and how many were destroyed)."""
    from shre.employees.keys import key_status

    settings = settings_or_exit()

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        status = await key_status(session, runtime.part(EmployeeVault))
        typer.echo(f"primary key: {status.primary}")
        for key, count in sorted(status.by_key.items()):
            label = "primary" if key == status.primary else "retired"
            typer.echo(f"  {key}  {count:>9} employees  ({label})")
        typer.echo(f"  destroyed {status.destroyed:>7} employees (crypto-shredded)")
        typer.echo(f"pending rotation: {status.pending}")

    asyncio.run(with_session(settings, work))


@app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Rows per transaction.")] = 500,
) -> None:
    """Re-wrap every employee data key under the primary ENCRYPTION_KEY.

    Put the new key in ENCRYPTION_KEY and the old one in ENCRYPTION_OLD_KEYS first (both
    decrypt meanwhile). Field values are not re-encrypted. Safe to interrupt and re-run.
    """
    from shre.employees.keys import key_status, rotate

    settings = settings_or_exit()

    async def pending(runtime: Runtime, session: AsyncSession) -> int:
        return (await key_status(session, runtime.part(EmployeeVault))).pending

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> int:
        return await rotate(
            runtime.sessionmaker,
            runtime.part(EmployeeVault),
            batch_size=batch_size,
            progress=progress,
        )

    total = asyncio.run(with_session(settings, pending))
    done = with_progress(settings, "re-wrapping data keys", total, work)
    documents = _rotate_document_keys(settings, batch_size)
    _audit_command(settings, "keys.rotate", target_type="master_key")
    log.info("keys.rotated", employees=done, documents=documents)
    typer.echo(f"shre: {done} data keys re-wrapped under the primary key")
    typer.echo(f"shre: {documents} document data keys re-wrapped under the primary key")


def _rotate_document_keys(settings: Settings, batch_size: int) -> int:
    """`keys rotate`, second step: the own data keys of documents of no employee."""
    from shre.documents.keys import pending_rotation
    from shre.documents.keys import rotate as rotate_documents

    async def pending(runtime: Runtime, session: AsyncSession) -> int:
        return await pending_rotation(session, runtime.keyring)

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> int:
        return await rotate_documents(
            runtime.sessionmaker, runtime.keyring, batch_size=batch_size, progress=progress
        )

    total = asyncio.run(with_session(settings, pending))
    return with_progress(settings, "re-wrapping document keys", total, work)


def _audit_command(settings: Settings, action: str, target_type: str) -> None:
    """An audit event for a command's work (actor role `system`)."""

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        target_id = runtime.keyring.primary.hex_id if target_type == "master_key" else None
        await AuditTrail.system(session, runtime.sessionmaker).record(
            action, target_type=target_type, target_id=target_id
        )

    asyncio.run(with_session(settings, work))


@app.command("shred")
def keys_shred(
    employee_id: Annotated[str, typer.Argument(help="The employee's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Destroy an employee's data key: their sensitive values become unrecoverable, and
    every file of every version of their documents is deleted from every backend (then
    the documents' records). Refused while the employee is on legal hold."""
    import uuid

    settings = settings_or_exit()
    try:
        target = uuid.UUID(employee_id)
    except ValueError:
        fail("EMPLOYEE_ID must be a UUID")
    if not yes:
        fail("refusing without --yes: the employee's sensitive values would be gone for good")

    async def work(runtime: Runtime) -> tuple[int, int]:
        from contextlib import AbstractAsyncContextManager

        from shre.rights.erasure import shred_employee
        from shre.uow import Invalidated, unit_of_work

        done = Invalidated()

        def unit() -> AbstractAsyncContextManager[AsyncSession]:
            return unit_of_work(runtime.sessionmaker, runtime.cache, command=done)

        def audit_for(session: AsyncSession) -> AuditTrail:
            return AuditTrail.system(session, runtime.sessionmaker)

        try:
            return await shred_employee(target, unit=unit, audit=audit_for, stores=runtime.storages)
        finally:
            warn_not_invalidated(done)

    async def main() -> tuple[int, int]:
        async with command_runtime(settings) as runtime:
            return await work(runtime)

    try:
        documents, objects = asyncio.run(main())
    except DomainError as exc:
        if exc.code == "erasure_incomplete":
            fail(
                f"data key of employee {target} destroyed, but not every file could be "
                "deleted: run the command again to finish",
                code=1,
            )
        fail(exc.detail, code=1)
    typer.echo(
        f"shre: data key of employee {target} destroyed; {documents} documents "
        f"({objects} files) deleted"
    )


@app.command("encrypt-existing")
def keys_encrypt_existing(
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Rows per transaction.")] = 500,
) -> None:
    """Encrypt sensitive values stored in clear (an import, an older schema), in place."""
    reseal(None, batch_size)


@app.command("import-legacy")
def keys_import_legacy(
    passphrase_env: Annotated[
        str,
        typer.Option(help="Environment variable holding the seed system's passphrase."),
    ] = "SHRE_LEGACY_PASSPHRASE",  # noqa: S107 - the name of a variable, not a secret
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Rows per transaction.")] = 500,
) -> None:
    """Re-encrypt values the seed system encrypted with crypto-js AES (and clear ones).

    The passphrase is read from the environment (never from the command line, where other
    users could see it), or asked for on a terminal.
    """
    passphrase = os.environ.get(passphrase_env)
    if not passphrase:
        if not sys.stdin.isatty():
            fail(f"set {passphrase_env} to the seed system's ENCRYPTION_KEY passphrase")
        passphrase = typer.prompt("Legacy passphrase", hide_input=True)
    reseal(passphrase, batch_size)


def reseal(passphrase: str | None, batch_size: int) -> None:
    """Seal every value left in clear (and, given the passphrase, the legacy ones)."""
    from shre.employees.keys import ResealReport, reseal_plaintext

    settings = settings_or_exit()

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> ResealReport:
        return await reseal_plaintext(
            runtime.sessionmaker,
            runtime.part(EmployeeVault),
            legacy_passphrase=passphrase,
            batch_size=batch_size,
            progress=progress,
        )

    report = with_progress(settings, "scanning employees", None, work)
    _audit_command(
        settings,
        "keys.import_legacy" if passphrase is not None else "keys.encrypt_existing",
        target_type="employee",
    )
    typer.echo(
        f"shre: scanned {report.scanned} employees: {report.encrypted} clear values encrypted, "
        f"{report.imported_legacy} legacy values imported, {report.keys_issued} data keys issued"
    )
    for line in report.refused:
        typer.echo(f"shre: refused (left as it was): {line}", err=True)
    if report.refused:
        raise typer.Exit(1)
