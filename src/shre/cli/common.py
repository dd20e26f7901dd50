"""What every command shares: settings, failing with a message, the runtime, one
transaction, progress bars and telling the servers what a command changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cache.sync import NotMigrated
from shre.employees.cache import ALL_NAMESPACES as ALL_EMPLOYEE_NAMESPACES
from shre.observability.logging import configure_logging
from shre.settings import Settings, SettingsError, load_settings
from shre.uow import Invalidated, leave_for_servers, unit_of_work

if TYPE_CHECKING:
    from shre.storage import StorageSet

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop the command with one line on standard error (2: bad usage, 1: it failed)."""
    typer.echo(f"shre: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(f"invalid setting {exc}")
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
    from shre.app import open_runtime

    try:
        runtime = await open_runtime(settings)
    except NotMigrated as exc:
        fail(str(exc), code=1)
    try:
        yield runtime
    finally:
        await runtime.aclose()


async def with_session(
    settings: Settings, work: Callable[[Runtime, AsyncSession], Awaitable[T]]
) -> T:
    """Run `work` in one unit of work (`shre.uow`, as a request's: committed with its
    audit events on success), outside any web request. The cache namespaces its changes
    touch are left for the serving processes in the same transaction, then invalidated
    in the shared cache."""
    async with command_runtime(settings) as runtime:
        done = Invalidated()
        async with unit_of_work(runtime.sessionmaker, runtime.cache, command=done) as session:
            result = await work(runtime, session)
        warn_not_invalidated(done)
        return result


async def invalidate_caches(runtime: Runtime, namespaces: Iterable[str]) -> None:
    """After a command's bulk work (committed in transactions of its own): tell the
    serving processes (their own caches follow within a second), and invalidate the
    shared cache at once."""
    warn_not_invalidated(
        await leave_for_servers(runtime.sessionmaker, runtime.cache, set(namespaces))
    )


def warn_not_invalidated(done: Invalidated) -> None:
    """What a command changed must not be served from a shared cache (Redis) by the
    running servers. When Redis cannot be reached the command says so: the servers
    invalidate it themselves within a second (they read what the command left), and a
    flush (DELETE /api/v1/admin/cache) clears it too."""
    failed = done.failed
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


async def with_stores(settings: Settings, work: Callable[[Runtime, StorageSet], Awaitable[T]]) -> T:
    """Run `work` with the runtime and both storage backends (the other on demand)."""

    async with command_runtime(settings) as runtime:
        return await work(runtime, runtime.storages)
