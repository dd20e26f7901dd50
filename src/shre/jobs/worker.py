"""The worker: procrastinate's, running shre's tasks with the runtime at hand.

Every task is wrapped once (`register_tasks`): the job's run is a span (the child of the
request that deferred it), counted in `shre_jobs_total{task,outcome}` and logged as
`job.succeeded`, `job.retried` (it failed and will run again after a wait that doubles)
or `job.failed` (its last attempt: it waits for an admin, GET /api/v1/admin/jobs). Logs
carry the job's id, task and attempt, and an error's type, never its message (which
could quote a value).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from procrastinate import JobContext

from shre.api.runtime import Runtime
from shre.observability.prometheus import JOBS
from shre.observability.tracing import job_span
from shre.queue import JobQueue
from shre.queue.core import QUEUE

log = structlog.get_logger("shre.jobs")

Run = Callable[..., Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A task: its name in the queue, what it runs (`run(runtime, **ids)`), and for a
    periodic one its schedule (cron, UTC)."""

    name: str
    run: Run
    cron: str | None = None


def _wrapped(spec: TaskSpec, attempts: int) -> Callable[..., Awaitable[None]]:
    async def run(context: JobContext, **args: Any) -> None:
        args.pop("timestamp", None)  # a periodic run's schedule tick
        traceparent = args.pop("traceparent", None)
        runtime: Runtime = context.additional_context["runtime"]
        job = context.job
        fields: dict[str, Any] = {
            "job.id": job.id,
            "job.task": spec.name,
            "job.attempt": job.attempts + 1,
        }
        started = time.perf_counter()

        def took() -> dict[str, int]:
            return {"event.duration": round((time.perf_counter() - started) * 1e9)}

        try:
            with job_span(f"job {spec.name}", traceparent):
                await spec.run(runtime, **args)
        except Exception as exc:
            last = job.attempts + 1 >= attempts
            outcome = "failed" if last else "retried"
            JOBS.labels(spec.name, outcome).inc()
            (log.error if last else log.warning)(
                f"job.{outcome}", **fields, error_type=type(exc).__name__, **took()
            )
            raise
        JOBS.labels(spec.name, "succeeded").inc()
        log.info("job.succeeded", **fields, **took())

    run.__name__ = spec.name.replace(".", "_")
    return run


def register_tasks(queue: JobQueue, specs: Sequence[TaskSpec]) -> None:
    """Make `specs` the tasks of `queue`'s app (once per queue)."""
    for spec in specs:
        task = queue.app.task(name=spec.name, queue=QUEUE, pass_context=True, retry=queue.backoff)(
            _wrapped(spec, queue.backoff.attempts)
        )
        if spec.cron is not None:
            queue.app.periodic(cron=spec.cron, periodic_id=spec.name)(task)


async def run_worker(
    runtime: Runtime,
    *,
    concurrency: int = 1,
    wait: bool = True,
    signals: bool = True,
    name: str = "worker",
) -> None:
    """Run jobs until stopped (`wait=False`: until none is due). `signals`: SIGINT and
    SIGTERM stop it gracefully (the running jobs finish first)."""
    from shre.jobs.housekeeping import retry_stalled

    queue = runtime.queue
    await queue.open()
    stalled = runtime.settings.job_stalled_after_seconds
    # A worker that starts takes the jobs of dead workers at once (then once a minute).
    await retry_stalled(runtime)
    await queue.app.run_worker_async(
        queues=[QUEUE],
        concurrency=concurrency,
        wait=wait,
        name=name,
        additional_context={"runtime": runtime},
        delete_jobs="successful",
        install_signal_handlers=signals,
        update_heartbeat_interval=max(1.0, stalled / 6),
        stalled_worker_timeout=float(stalled),
        listen_notify=not queue.in_memory,
        fetch_job_polling_interval=0.5 if queue.in_memory else 5.0,
    )
