"""Operator endpoints (admin only): the cache's statistics and flushing it, the
background jobs and retrying a failed one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from shre.api.deps import RuntimeDep, require
from shre.kit.errors import Conflict, NotFound, ServiceUnavailable
from shre.observability.metrics import COUNTERS
from shre.policy import Principal, Role
from shre.queue import JobInfo, JobState

log = structlog.get_logger("shre.admin")

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class CacheStatsOut(BaseModel):
    enabled: bool
    backend: str
    hits: int
    misses: int
    hit_ratio: float | None
    errors: int
    keys: int | None
    memory_bytes: int | None
    circuit_open: bool
    local_hits: int
    local_entries: int
    local_bytes: int
    pending_invalidations: list[str]
    # Whether this process answers reads from the cache now (false: disabled, down,
    # invalidations pending, or a cache of its own while other processes serve too).
    serving: bool


class CacheFlushed(BaseModel):
    deleted: int


@router.get("/cache", response_model=CacheStatsOut)
async def cache_stats(_: Admin, runtime: RuntimeDep) -> CacheStatsOut:
    """Hits, misses and errors of this app process since it started (`local_hits`: the
    hits served from its own decoded copies, `local_entries`/`local_bytes` their number and
    serialised size); keys and memory as the backend reports them (Redis: the whole
    database)."""
    stats = await runtime.cache.get_stats()
    return CacheStatsOut(
        **stats.as_dict(),
        pending_invalidations=sorted(runtime.cache.dirty),
        serving=runtime.cache.is_serving(),
    )


@router.delete("/cache", response_model=CacheFlushed)
async def flush_cache(_: Admin, runtime: RuntimeDep) -> CacheFlushed:
    """Delete every key of this installation (nothing else in a shared Redis)."""
    return CacheFlushed(deleted=await runtime.cache.cache.flush_all())


class ProcessStatsOut(BaseModel):
    pid: int
    requests: int
    db_queries: int
    audit_queries: int  # of db_queries: appending audit events


class StatsOut(BaseModel):
    process: ProcessStatsOut
    cache: CacheStatsOut


@router.get("/stats", response_model=StatsOut)
async def process_stats(admin: Admin, runtime: RuntimeDep) -> StatsOut:
    """This app process's counters (requests, SQL statements) and its cache statistics.
    With several workers each answers for itself; `pid` tells them apart."""
    return StatsOut(
        process=ProcessStatsOut(**COUNTERS.as_dict()),
        cache=await cache_stats(admin, runtime),
    )


class JobOut(BaseModel):
    id: int
    task: str
    status: str
    attempts: int
    scheduled_at: datetime | None
    # The job's arguments: ids only (never a value of a record).
    args: dict[str, str | int]


class JobsOut(BaseModel):
    items: list[JobOut]
    # Jobs waiting to run, due or not (whatever the filter).
    waiting: int


JobStatus = Literal["todo", "doing", "failed", "cancelled", "aborting", "aborted"]


def _job_out(job: JobInfo) -> JobOut:
    return JobOut(
        id=job.id,
        task=job.task,
        status=job.status,
        attempts=job.attempts,
        scheduled_at=job.scheduled_at,
        args={k: v for k, v in job.args.items() if isinstance(v, str | int)},
    )


@router.get("/jobs", response_model=JobsOut)
async def list_jobs(
    _: Admin,
    runtime: RuntimeDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state.")] = None,
    task: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z_.]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JobsOut:
    """The background jobs, newest first: those waiting (`todo`), running (`doing`),
    and those that failed every attempt (`failed`, kept for a retry). Jobs that succeeded
    are not kept."""
    try:
        jobs = await runtime.queue.jobs(status=status, task=task, limit=limit)
        waiting = await runtime.queue.depth()
    except Exception as exc:
        raise _queue_unavailable(exc) from None
    return JobsOut(items=[_job_out(job) for job in jobs], waiting=waiting)


@router.post("/jobs/{job_id}/retry", response_model=JobOut)
async def retry_job(
    _: Admin, runtime: RuntimeDep, job_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> JobOut:
    """Run a failed job again now (409 unless it failed)."""
    try:
        job = await runtime.queue.retry(job_id)
    except JobState as exc:
        raise Conflict(str(exc), code="job_not_failed") from None
    except Exception as exc:
        raise _queue_unavailable(exc) from None
    if job is None:
        raise NotFound("No such job", code="job_not_found")
    return _job_out(job)


def _queue_unavailable(exc: Exception) -> ServiceUnavailable:
    log.warning("jobs.queue_unavailable", error_type=type(exc).__name__)
    return ServiceUnavailable("The job queue cannot be reached", code="queue_unavailable")


class ClassifierOut(BaseModel):
    version: str
    # Cross-validated macro-F1 on the examples it was trained on, and how many per category.
    cv_macro_f1: float | None
    samples: dict[str, int]


class AiOut(BaseModel):
    # SHRE_AI: whether the installation asked for the AI features.
    enabled: bool
    # Whether they run: asked for, and the `ai` extra installed.
    active: bool
    # Why they do not run, when asked for (e.g. the extra is missing).
    reason: str | None
    classifier: ClassifierOut | None


@router.get("/ai", response_model=AiOut)
async def ai_status(_: Admin, runtime: RuntimeDep) -> AiOut:
    """Whether document classification runs here, and the model a fresh installation
    ships (its version and how it measured)."""
    from shre.intelligence import ai_available
    from shre.intelligence.baseline import manifest

    enabled = runtime.settings.shre_ai
    missing = ai_available()
    info = manifest()
    metrics = info.get("metrics", {})
    return AiOut(
        enabled=enabled,
        active=enabled and missing is None,
        reason=None if not enabled else missing,
        classifier=ClassifierOut(
            version=str(info["version"]),
            cv_macro_f1=metrics.get("cv_macro_f1"),
            samples={str(k): int(v) for k, v in metrics.get("samples", {}).items()},
        ),
    )
