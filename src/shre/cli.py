"""The `shre` command line: serve, migrate, create-admin, ensure-admin."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from shre import __version__
from shre.auth.passwords import password_problems
from shre.kit.errors import DomainError
from shre.kit.runtime import Runtime
from shre.observability.logging import configure_logging
from shre.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

if TYPE_CHECKING:
    from shre.employees.demo import DemoUser

app = typer.Typer(
    name="shre",
    help="shre: employee data & document management for HR teams.\n\n"
    "Configuration comes from the environment and .env (see .env.example).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"shre: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(f"invalid setting {exc}")
        raise AssertionError("unreachable") from None
    configure_logging(settings)
    for name in settings.dev_secrets_generated:
        typer.echo(
            f"shre: WARNING: {name} is not set; using a development key from "
            f"{settings.keys_dir} (never do this in production)",
            err=True,
        )
    return settings


async def with_session(
    settings: Settings, work: Callable[[Runtime, AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in one transaction (committed on success), outside any web request."""
    from shre.app import build_runtime

    runtime = build_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            try:
                result = await work(runtime, session)
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return result
    finally:
        await runtime.engine.dispose()


def with_progress(
    settings: Settings,
    label: str,
    total: int | None,
    work: Callable[[Runtime, Callable[[int], None]], Awaitable[T]],
) -> T:
    """Run a long job with a progress bar; `work` reports how many items are done."""
    from rich.progress import Progress

    from shre.app import build_runtime

    async def main() -> T:
        runtime = build_runtime(settings)
        try:
            with Progress(transient=False) as progress:
                task = progress.add_task(label, total=total)
                return await work(runtime, lambda done: progress.update(task, completed=done))
        finally:
            await runtime.engine.dispose()

    return asyncio.run(main())


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"shre {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """shre: employee data & document management for HR teams."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: SHRE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: SHRE_PORT]")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: SHRE_WORKERS]")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API and web UI (run `shre migrate` first)."""
    settings = settings_or_exit()
    bind_host = host or settings.shre_host
    bind_port = port or settings.shre_port
    n_workers = workers or settings.shre_workers
    typer.echo(f"shre: serving on http://{bind_host}:{bind_port} ({n_workers} worker(s))", err=True)
    options = {
        "host": bind_host,
        "port": bind_port,
        "log_config": None,
        "server_header": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": 20,
    }
    if n_workers > 1 or reload:
        uvicorn.run(
            "shre.app:create_app_from_env",
            factory=True,
            workers=n_workers,
            reload=reload,
            **options,  # type: ignore[arg-type]
        )
    else:
        from shre.app import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Go down to REVISION instead of up.")] = False,
) -> None:
    """Apply database migrations (idempotent: does nothing when up to date)."""
    from shre import migrate as migrations

    settings = settings_or_exit()
    if downgrade:
        asyncio.run(migrations.downgrade(settings, revision))
    else:
        asyncio.run(migrations.upgrade(settings, revision))
    current = asyncio.run(migrations.current_revision(settings))
    typer.echo(f"shre: database at revision {current}", err=True)
    if not downgrade and current == migrations.head_revision():
        _seal_left_in_clear(settings)


def _seal_left_in_clear(settings: Settings) -> None:
    """An upgrade can turn a clear column into a sealed one (salary_currency in 0004); the
    migration never sees the keys, so the values it left in clear are sealed here."""
    from shre.employees.keys import count_clear_currencies

    async def count(runtime: Runtime, session: AsyncSession) -> int:
        return await count_clear_currencies(session)

    if asyncio.run(with_session(settings, count)):
        _reseal(None, batch_size=500)


async def _create_admin(
    settings: Settings, email: str, password: str, full_name: str, reset: bool
) -> str:
    from shre.users.service import UserService

    async def work(runtime: Runtime, session: AsyncSession) -> str:
        service = UserService(session, runtime.auth.hasher)
        user, created = await service.create_or_reset_admin(email, password, full_name, reset=reset)
        return f"{'created' if created else 'reset'} admin {user.email}"

    return await with_session(settings, work)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's sign-in email.")],
    password: Annotated[
        str | None,
        typer.Option(help="Password (at least 12 characters); asked for when omitted."),
    ] = None,
    full_name: Annotated[str, typer.Option(help="Display name.")] = "Administrator",
    force: Annotated[
        bool, typer.Option(help="Reset the password and admin role of an existing user.")
    ] = False,
) -> None:
    """Create an administrator account (or reset one with --force)."""
    settings = settings_or_exit()
    if password is None:
        if not sys.stdin.isatty():
            fail("--password is required when not run interactively")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        message = asyncio.run(_create_admin(settings, email, password, full_name, force))
    except DomainError as exc:
        fail(exc.detail, code=1)
        return
    typer.echo(f"shre: {message}")


@app.command("ensure-admin")
def ensure_admin() -> None:
    """Create the first admin (SHRE_ADMIN_EMAIL / SHRE_ADMIN_PASSWORD) if there is none.

    Without SHRE_ADMIN_PASSWORD a password is generated and printed once.
    """
    from shre.users.repository import UserRepository

    settings = settings_or_exit()

    async def count(runtime: Runtime, session: AsyncSession) -> int:
        return await UserRepository(session).count_admins()

    if asyncio.run(with_session(settings, count)) > 0:
        typer.echo("shre: an admin account exists; sign in with its credentials", err=True)
        return
    email = settings.shre_admin_email
    given = settings.shre_admin_password
    password = given.get_secret_value() if given else _generate_password(email)
    try:
        asyncio.run(_create_admin(settings, email, password, "Administrator", False))
    except DomainError as exc:
        fail(f"cannot create the admin {email}: {exc.detail}", code=1)
    typer.echo(f"shre: created admin {email}")
    if given is None:
        typer.echo(f"shre: its generated password (shown once): {password}")


@app.command("seed-demo")
def seed_demo_command(
    employees: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many.")] = 200,
) -> None:
    """Fill an empty database with a realistic demo organisation and a user per role."""
    from shre.employees.demo import seed_demo

    settings = settings_or_exit()

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> list[DemoUser]:
        return await seed_demo(
            runtime.sessionmaker,
            runtime.vault,
            runtime.auth.hasher,
            employees,
            progress=progress,
        )

    try:
        users = with_progress(settings, "creating employees", employees, work)
    except DomainError as exc:
        fail(exc.detail, code=1)
        return
    typer.echo(f"shre: {employees} demo employees created. Demo sign-ins:")
    for user in users:
        typer.echo(f"  {user.role.value:<9} {user.email:<36} {user.password}")


keys_app = typer.Typer(
    help="Encryption keys: generate a master key, see which key protects how many "
    "employees, rotate to a new master key, destroy an employee's data key.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random 256-bit master key (base64) for ENCRYPTION_KEY."""
    from shre.crypto import generate_key

    typer.echo(generate_key())


@keys_app.command("status")
def keys_status() -> None:
    """How many employees' data keys each master key wraps (and how many were destroyed)."""
    from shre.employees.keys import key_status

    settings = settings_or_exit()

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        status = await key_status(session, runtime.vault)
        typer.echo(f"primary key: {status.primary}")
        for key, count in sorted(status.by_key.items()):
            label = "primary" if key == status.primary else "retired"
            typer.echo(f"  {key}  {count:>9} employees  ({label})")
        typer.echo(f"  destroyed {status.destroyed:>7} employees (crypto-shredded)")
        typer.echo(f"pending rotation: {status.pending}")

    asyncio.run(with_session(settings, work))


@keys_app.command("rotate")
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
        return (await key_status(session, runtime.vault)).pending

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> int:
        return await rotate(
            runtime.sessionmaker, runtime.vault, batch_size=batch_size, progress=progress
        )

    total = asyncio.run(with_session(settings, pending))
    done = with_progress(settings, "re-wrapping data keys", total, work)
    typer.echo(f"shre: {done} data keys re-wrapped under the primary key")


@keys_app.command("shred")
def keys_shred(
    employee_id: Annotated[str, typer.Argument(help="The employee's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Destroy an employee's data key: their sensitive values become unrecoverable."""
    import uuid

    from shre.employees.keys import shred

    settings = settings_or_exit()
    try:
        target = uuid.UUID(employee_id)
    except ValueError:
        fail("EMPLOYEE_ID must be a UUID")
        return
    if not yes:
        fail("refusing without --yes: the employee's sensitive values would be gone for good")

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        await shred(session, target)

    try:
        asyncio.run(with_session(settings, work))
    except DomainError as exc:
        fail(exc.detail, code=1)
    typer.echo(f"shre: data key of employee {target} destroyed")


def _reseal(passphrase: str | None, batch_size: int) -> None:
    from shre.employees.keys import ResealReport, reseal_plaintext

    settings = settings_or_exit()

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> ResealReport:
        return await reseal_plaintext(
            runtime.sessionmaker,
            runtime.vault,
            legacy_passphrase=passphrase,
            batch_size=batch_size,
            progress=progress,
        )

    report = with_progress(settings, "scanning employees", None, work)
    typer.echo(
        f"shre: scanned {report.scanned} employees: {report.encrypted} clear values encrypted, "
        f"{report.imported_legacy} legacy values imported, {report.keys_issued} data keys issued"
    )
    for line in report.refused:
        typer.echo(f"shre: refused (left as it was): {line}", err=True)
    if report.refused:
        raise typer.Exit(1)


@keys_app.command("encrypt-existing")
def keys_encrypt_existing(
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Rows per transaction.")] = 500,
) -> None:
    """Encrypt sensitive values stored in clear (an import, an older schema), in place."""
    _reseal(None, batch_size)


@keys_app.command("import-legacy")
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
    import os

    passphrase = os.environ.get(passphrase_env)
    if not passphrase:
        if not sys.stdin.isatty():
            fail(f"set {passphrase_env} to the seed system's ENCRYPTION_KEY passphrase")
        passphrase = typer.prompt("Legacy passphrase", hide_input=True)
    _reseal(passphrase, batch_size)


def _generate_password(email: str) -> str:
    while True:
        candidate = secrets.token_urlsafe(18)
        if not password_problems(candidate, email):
            return candidate


def main() -> None:
    app()
