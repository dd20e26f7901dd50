"""The queue's own upkeep, as a periodic task."""

from __future__ import annotations

import structlog

from shre.api.runtime import Runtime

log = structlog.get_logger("shre.jobs")


async def retry_stalled(runtime: Runtime) -> None:
    """Hand the running jobs of a worker that stopped sending heartbeats (killed, or its
    machine gone) to the next free worker: nothing is lost, and as every task is
    idempotent, a job that had half run runs again whole."""
    manager = runtime.queue.app.job_manager
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=runtime.settings.job_stalled_after_seconds
    )
    for job in stalled:
        await manager.retry_job(job)
        log.warning("job.stalled_retried", **{"job.id": job.id, "job.task": job.task_name})
