"""The `shre` command line: serve, migrate, create-admin, ensure-admin, seed-demo, keys, audit."""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Literal, TypeVar

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from shre import __version__
from shre.audit import AuditTrail
from shre.auth.passwords import password_problems
from shre.cache import pending_invalidations
from shre.cache.sync import NotMigrated, leave_invalidations, prune_invalidations
from shre.employees.service import ALL_EMPLOYEE_NAMESPACES
from shre.kit.errors import DomainError
from shre.kit.runtime import Runtime
from shre.observability.logging import configure_logging
from shre.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

if TYPE_CHECKING:
    from shre.audit import PruneReport, VerifyReport
    from shre.employees.demo import DemoUser
    from shre.storage import StorageSet

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


@asynccontextmanager
async def command_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The runtime of a command (its shared cache scoped to the installation)."""
    from shre.app import close_runtime, open_runtime

    try:
        runtime = await open_runtime(settings)
    except NotMigrated as exc:
        fail(str(exc), code=1)
        raise AssertionError("unreachable") from None
    try:
        yield runtime
    finally:
        await close_runtime(runtime)


async def with_session(
    settings: Settings, work: Callable[[Runtime, AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in one transaction (committed on success), outside any web request.
    The cache namespaces its changes touch are left for the serving processes in the
    same transaction (`leave_invalidations`), then invalidated in the shared cache."""
    async with command_runtime(settings) as runtime, runtime.sessionmaker() as session:
        try:
            result = await work(runtime, session)
            await session.flush()  # the flush hooks name what changed
            leave_invalidations(session)
        except BaseException:
            await session.rollback()
            raise
        await session.commit()
        await invalidate_shared_cache(runtime, pending_invalidations(session))
        return result


async def invalidate_caches(runtime: Runtime, namespaces: Iterable[str]) -> None:
    """After a command's bulk work (committed in transactions of its own): tell the
    serving processes (their own caches follow within a second), and invalidate the
    shared cache at once."""
    wanted = set(namespaces)
    async with runtime.sessionmaker() as session:
        leave_invalidations(session, wanted)
        await prune_invalidations(session)
        await session.commit()
    await invalidate_shared_cache(runtime, wanted)


async def invalidate_shared_cache(runtime: Runtime, namespaces: Iterable[str]) -> None:
    """What a command changed must not be served from a shared cache (Redis) by the
    running servers. When Redis cannot be reached the command says so: the servers
    invalidate it themselves within a second (they read what the command left), and a
    flush (DELETE /api/v1/admin/cache) clears it too."""
    failed = await runtime.cache.invalidate_now(*namespaces)
    if failed:
        typer.echo(
            f"shre: WARNING: could not invalidate cached {', '.join(failed)} (cache "
            "unreachable); the running servers will, or flush the cache "
            "(DELETE /api/v1/admin/cache) when it is back",
            err=True,
        )


def with_progress(
    settings: Settings,
    label: str,
    total: int | None,
    work: Callable[[Runtime, Callable[[int], None]], Awaitable[T]],
) -> T:
    """Run a long job with a progress bar; `work` reports how many items are done."""
    from rich.progress import Progress

    async def main() -> T:
        async with command_runtime(settings) as runtime:
            with Progress(transient=False) as progress:
                task = progress.add_task(label, total=total)
                result = await work(runtime, lambda done: progress.update(task, completed=done))
            # Long jobs rewrite employees in bulk (seed, rotation, re-encryption).
            await invalidate_caches(runtime, ALL_EMPLOYEE_NAMESPACES)
            return result

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
    from shre import migrate as migrations

    settings = settings_or_exit()
    behind = asyncio.run(migrations.pending(settings))
    if behind is not None:
        fail(f"{behind}: run `shre migrate` first", code=1)
    bind_host = host or settings.shre_host
    bind_port = port or settings.shre_port
    n_workers = workers or settings.shre_workers
    typer.echo(f"shre: serving on http://{bind_host}:{bind_port} ({n_workers} worker(s))", err=True)
    options = {
        "host": bind_host,
        "port": bind_port,
        "log_config": None,
        "server_header": False,
        "access_log": False,  # shre's middleware writes the access log (with request ids)
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "timeout_graceful_shutdown": 20,
    }
    if n_workers > 1 or reload:
        # The workers build their settings from the environment (create_app_from_env):
        # they must know there are several of them (no per-process memory cache).
        os.environ["SHRE_WORKERS"] = str(n_workers)
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
    from shre.audit import AuditTrail
    from shre.users.service import UserService

    async def work(runtime: Runtime, session: AsyncSession) -> str:
        audit = AuditTrail.system(session, runtime.sessionmaker)
        service = UserService(session, runtime.auth.hasher, audit)
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
    """Fill an empty database with a realistic demo organisation and a user per role
    (passwords generated, shown once). Refused in production."""
    from shre.employees.demo import seed_demo

    settings = settings_or_exit()
    if settings.is_production:
        fail(
            "seed-demo refuses to run in production (SHRE_ENV=production): it would add "
            "made-up employees and sign-ins to a real installation"
        )

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
    typer.echo(f"shre: {employees} demo employees created. Demo sign-ins (shown once):")
    for user in users:
        password = user.password or "(the account existed; its password is unchanged)"
        typer.echo(f"  {user.role.value:<9} {user.email:<36} {password}")


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
    documents = _rotate_document_keys(settings, batch_size)
    _audit_command(settings, "keys.rotate", target_type="master_key")
    typer.echo(f"shre: {done} data keys re-wrapped under the primary key")
    typer.echo(f"shre: {documents} document data keys re-wrapped under the primary key")


def _audit_command(settings: Settings, action: str, target_type: str) -> None:
    """An audit event for a command's work (actor role `system`)."""

    async def work(runtime: Runtime, session: AsyncSession) -> None:
        target_id = runtime.vault.keyring.primary.hex_id if target_type == "master_key" else None
        await AuditTrail.system(session, runtime.sessionmaker).record(
            action, target_type=target_type, target_id=target_id
        )

    asyncio.run(with_session(settings, work))


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
        from shre.documents.keys import forget_employee_text

        await shred(session, target)
        await forget_employee_text(session, target)  # their files go with the key
        await AuditTrail.system(session, runtime.sessionmaker).record(
            "keys.shred", target_type="employee", target_id=target
        )

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


audit_app = typer.Typer(
    help="The tamper-evident audit log: check its hash chain, export it, apply retention.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _utc_option(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not an ISO-8601 date or time: {value!r}")
        raise AssertionError("unreachable") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain from the latest checkpoint; exit 1 naming the first bad event."""
    from shre.audit import verify_chain

    settings = settings_or_exit()

    from shre.audit.models import AuditEvent

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


@audit_app.command("export")
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


@contextmanager
def _open_output(path: Path | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        yield handle


@audit_app.command("prune")
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
        return
    where = f"; checkpoint at seq {report.checkpoint_seq}" if report.checkpoint_seq else ""
    typer.echo(
        f"shre: pruned {report.pruned} audit events older than {cutoff:%Y-%m-%d %H:%M} UTC{where}"
    )


def _rotate_document_keys(settings: Settings, batch_size: int) -> int:
    """`keys rotate`, second step: the own data keys of documents of no employee."""
    from shre.documents.keys import pending_rotation
    from shre.documents.keys import rotate as rotate_documents

    async def pending(runtime: Runtime, session: AsyncSession) -> int:
        return await pending_rotation(session, runtime.vault.keyring)

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> int:
        return await rotate_documents(
            runtime.sessionmaker, runtime.vault.keyring, batch_size=batch_size, progress=progress
        )

    total = asyncio.run(with_session(settings, pending))
    return with_progress(settings, "re-wrapping document keys", total, work)


storage_app = typer.Typer(
    help="Document file storage (S3 or UPLOAD_DIR): check that rows and objects agree, "
    "move every file to the other backend.",
    no_args_is_help=True,
)
app.add_typer(storage_app, name="storage")
documents_app = typer.Typer(
    help="Documents: purge deleted ones after their retention, list expiring ones.",
    no_args_is_help=True,
)
app.add_typer(documents_app, name="documents")


async def _with_stores(
    settings: Settings, work: Callable[[Runtime, StorageSet], Awaitable[T]]
) -> T:
    """Run `work` with the runtime and both storage backends (the other on demand)."""
    from shre.storage import StorageSet

    async with command_runtime(settings) as runtime:
        stores = StorageSet(settings, runtime.storage)
        try:
            return await work(runtime, stores)
        finally:
            await stores.aclose()


@storage_app.command("check")
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

    report = asyncio.run(_with_stores(settings, work))
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


@storage_app.command("migrate")
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
                DocumentKeys(runtime.vault.keyring),
                target,
                delete_source=delete_source,
                limit=limit,
                progress=lambda done: progress.update(task, completed=done),
            )

    report = asyncio.run(_with_stores(settings, work))
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


@documents_app.command("purge")
def documents_purge(
    dry_run: Annotated[bool, typer.Option(help="Only count what would be removed.")] = False,
) -> None:
    """Remove documents deleted more than DOCUMENT_RETENTION_DAYS ago: every version's
    file, then the records."""
    from shre.documents.maintenance import PurgeReport, purge
    from shre.documents.repository import deleted_before

    settings = settings_or_exit()
    cutoff = datetime.now(UTC) - timedelta(days=settings.document_retention_days)
    if dry_run:

        async def count(runtime: Runtime, session: AsyncSession) -> int:
            return len(await deleted_before(session, cutoff, 1_000_000))

        n = asyncio.run(with_session(settings, count))
        typer.echo(f"shre: {n} deleted documents are past their retention")
        return

    async def work(runtime: Runtime, stores: StorageSet) -> PurgeReport:
        report = await purge(
            runtime.sessionmaker, stores, retention_days=settings.document_retention_days
        )
        await invalidate_caches(runtime, ["documents"])
        return report

    report = asyncio.run(_with_stores(settings, work))
    typer.echo(
        f"shre: purged {report.documents} documents ({report.objects} files) deleted before "
        f"{cutoff:%Y-%m-%d %H:%M} UTC"
    )
    for line in report.failed:
        typer.echo(f"shre: kept for the next purge: {line}", err=True)
    if report.failed:
        raise typer.Exit(1)


@documents_app.command("expiring")
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


def _generate_password(email: str) -> str:
    while True:
        candidate = secrets.token_urlsafe(18)
        if not password_problems(candidate, email):
            return candidate


def main() -> None:
    app()
