"""`shre worker` runs background jobs; `shre jobs list|retry` shows and retries them."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from shre.cli.common import command_runtime, fail, settings_or_exit
from shre.settings import Settings

app = typer.Typer(help="Background jobs: list them, retry failed ones.", no_args_is_help=True)
# How often `shre worker --alive-file` touches its file (probes allow a few times this).
ALIVE_EVERY_SECONDS = 5


def _postgres_settings() -> Settings:
    settings = settings_or_exit()
    if settings.is_sqlite:
        fail(
            "with SQLite the queue lives in the memory of `shre serve`: see its jobs at "
            "GET /api/v1/admin/jobs"
        )
    return settings


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs run at the same time by this process.")
    ] = 2,
    drain: Annotated[
        bool, typer.Option(help="Stop once no job is due (instead of waiting for more).")
    ] = False,
    alive_file: Annotated[
        Path | None,
        typer.Option(
            help=f"Touch this file every {ALIVE_EVERY_SECONDS} s while the worker's loop "
            "runs: a liveness probe checks its age (a hung worker stops touching it)."
        ),
    ] = None,
) -> None:
    """Run background jobs from the queue until stopped (SIGTERM or Ctrl-C: the running
    jobs finish first). Any number of workers may run, on any machines."""
    from shre.jobs import run_worker

    settings = settings_or_exit()
    if settings.is_sqlite:
        fail(
            "with SQLite the jobs run inside `shre serve` (their queue is in its memory); "
            "a separate worker needs PostgreSQL (DATABASE_URL)"
        )
    name = f"{socket.gethostname()}:{os.getpid()}"

    async def main() -> None:
        async with command_runtime(settings) as runtime:
            typer.echo(f"shre: worker {name} running ({concurrency} at a time)", err=True)
            beat = asyncio.create_task(_touch_every(alive_file)) if alive_file else None
            try:
                await run_worker(runtime, concurrency=concurrency, wait=not drain, name=name)
            finally:
                if beat is not None:
                    beat.cancel()

    asyncio.run(main())


async def _touch_every(path: Path) -> None:
    """The worker's event loop is turning (a job that blocks it, or a deadlock, stops it)."""
    while True:
        await asyncio.to_thread(path.touch)
        await asyncio.sleep(ALIVE_EVERY_SECONDS)


@app.command("list")
def jobs_list(
    status: Annotated[
        str | None,
        typer.Option(help="todo, doing, failed, cancelled (succeeded jobs are not kept)."),
    ] = "failed",
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """The newest jobs (by default the failed ones, which wait for a retry)."""
    from shre.queue import STATUSES

    if status is not None and status not in STATUSES:
        fail(f"--status: one of {', '.join(STATUSES)}")
    settings = _postgres_settings()

    async def main() -> None:
        async with command_runtime(settings) as runtime:
            for job in await runtime.queue.jobs(status=status, task=task, limit=limit):
                if as_json:
                    typer.echo(
                        json.dumps(
                            {
                                "id": job.id,
                                "task": job.task,
                                "status": job.status,
                                "attempts": job.attempts,
                                "scheduled_at": job.scheduled_at.isoformat()
                                if job.scheduled_at
                                else None,
                                "args": job.args,
                            }
                        )
                    )
                else:
                    typer.echo(f"{job.id}\t{job.status}\t{job.attempts}\t{job.task}\t{job.args}")

    asyncio.run(main())


@app.command("retry")
def jobs_retry(job_id: Annotated[int, typer.Argument(help="The failed job's id.")]) -> None:
    """Run a failed job again now."""
    from shre.queue import JobState

    settings = _postgres_settings()

    async def main() -> None:
        async with command_runtime(settings) as runtime:
            try:
                job = await runtime.queue.retry(job_id)
            except JobState as exc:
                fail(str(exc), code=1)
            if job is None:
                fail(f"no job {job_id}", code=1)
            typer.echo(f"shre: job {job.id} ({job.task}) is due again")

    asyncio.run(main())
