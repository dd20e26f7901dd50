"""Running the job queue in tests: tasks of the tests' own, and waiting for jobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from shre.api.runtime import Runtime
from shre.jobs import TaskSpec, register_tasks, run_worker
from shre.queue import JobInfo


def add_task(runtime: Runtime, name: str, run: Callable[..., Awaitable[None]]) -> None:
    register_tasks(runtime.queue, [TaskSpec(name, run)])


async def work_off(runtime: Runtime, *, failures: bool = False) -> None:
    """Run the jobs that are due: a worker of this process until none is due; or, when
    the app runs its own (JOBS_IN_PROCESS), wait until that one has run them. Unless
    `failures`, no job may have failed or be waiting for a retry afterwards."""
    if runtime.settings.runs_jobs_in_process:
        await until(
            lambda: _idle(runtime), what="the in-process worker to run the due jobs", timeout=15
        )
    else:
        await run_worker(runtime, wait=False, signals=False)
    if not failures:
        failed = [job for job in await runtime.queue.jobs(limit=1000) if job.attempts > 0]
        failed += await runtime.queue.jobs(status="failed")
        assert not failed, f"jobs failed: {failed}"


async def _idle(runtime: Runtime) -> bool:
    due = [
        job
        for job in await runtime.queue.jobs(status="todo", limit=1000)
        if job.scheduled_at is None or job.scheduled_at.timestamp() <= time.time()
    ]
    return not due and not await runtime.queue.jobs(status="doing")


async def until(
    check: Callable[[], Awaitable[bool]],
    *,
    what: str,
    timeout: float = 20,  # noqa: ASYNC109 - a deadline for polling, not for one await
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


async def settle(
    runtime: Runtime,
    job_id: int,
    timeout: float = 30,  # noqa: ASYNC109 - a deadline for polling, not for one await
) -> JobInfo | None:
    """Work jobs off until `job_id` is done (None: it succeeded and is gone) or failed."""
    deadline = time.monotonic() + timeout
    while True:
        await work_off(runtime, failures=True)
        job = await runtime.queue.job(job_id)
        if job is None or job.status == "failed":
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout} s")
        await asyncio.sleep(0.2)


def calls_recorder() -> tuple[list[dict[str, Any]], Callable[..., Awaitable[None]]]:
    calls: list[dict[str, Any]] = []

    async def record(_runtime: Runtime, **args: Any) -> None:
        calls.append(args)

    return calls, record
