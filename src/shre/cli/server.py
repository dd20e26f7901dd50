"""`shre serve` and `shre migrate`: the database and the server over it."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import fail, settings_or_exit, with_session
from shre.cli.keys import reseal
from shre.settings import Settings


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
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        # Connections waiting to be accepted (the kernel caps it at net.core.somaxconn):
        # thousands of clients arriving at once are queued, not refused.
        "backlog": 4096,
        # uvicorn's httptools protocol, sending an answer's head and body in one write and
        # accepting waiting connections many at a time (libuv takes one per loop turn).
        "http": "shre.api.protocol:Protocol",
    }
    if n_workers > 1 or reload:
        # The workers build their settings from the environment (create_app_from_env):
        # they must know there are several of them (no per-process memory cache).
        os.environ["SHRE_WORKERS"] = str(n_workers)
        with _metrics_dir():
            uvicorn.run(
                "shre.app:create_app_from_env",
                factory=True,
                workers=n_workers,
                reload=reload,
                **options,  # type: ignore[arg-type]
            )
    else:
        from shre.app import create_app

        uvicorn.run(create_app(settings, server=True), **options)  # type: ignore[arg-type]


@contextmanager
def _metrics_dir() -> Iterator[None]:
    """Where the workers write their metrics for /metrics to add up (prometheus-client's
    multiprocess mode): PROMETHEUS_MULTIPROC_DIR if the operator set it (emptied of an
    earlier run's files first), else a directory of this server's own, removed when it
    stops. Set before any worker starts, as the workers read it when they import the
    client."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="shre-metrics-") as made:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Go down to REVISION instead of up.")] = False,
) -> None:
    """Apply database migrations (idempotent: does nothing when up to date)."""
    from shre import migrate as migrations

    settings = settings_or_exit()
    if downgrade:
        asyncio.run(migrations.downgrade(settings, revision))
    elif newer := asyncio.run(migrations.upgrade(settings, revision)):
        # A rollback: the older code runs on the newer schema (each migration keeps the
        # previous release working), so its init container must not fail.
        typer.echo(
            f"shre: the database is at revision {newer}, which a newer release applied and "
            f"this one ({migrations.head_revision()}) does not know: nothing to do; "
            "`shre migrate REVISION --downgrade` with the newer release goes back",
            err=True,
        )
        return
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
        reseal(None, batch_size=500)
