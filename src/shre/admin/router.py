"""Operator endpoints (admin only): the cache's statistics and flushing it, the
background jobs and retrying a failed one, the AI features and the document classifier's
models (retraining, choosing the one in use)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shre.api.deps import Audit, DbSession, RuntimeDep, require
from shre.documents import training
from shre.documents.models import ClassifierModel
from shre.kit.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
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
    # "shipped": the model a fresh installation ships; "retrained": one trained here on
    # hr's reviewed categories.
    source: Literal["shipped", "retrained"]
    # Cross-validated macro-F1 on the examples it was trained on, and how many per category.
    cv_macro_f1: float | None
    samples: dict[str, int]


class ModelOut(BaseModel):
    version: str
    created_at: datetime
    active: bool
    # Reviewed documents it learnt from (besides the shipped corpus).
    labels: int
    cv_macro_f1: float | None
    # Out of fold on the reviewed documents, and the shipped model on the same ones.
    org_macro_f1: float | None
    shipped_org_macro_f1: float | None
    # Why it is, or is not, the model in use.
    outcome: str


class TrainingOut(BaseModel):
    # Live documents whose category hr confirmed or corrected (the labels).
    reviewed: int
    # Reviews needed before a model is trained (AI_RETRAIN_MIN_LABELS).
    min_labels: int
    # Whether a retraining would learn something: enough reviews, some newer than the
    # newest model's.
    ready: bool


class AiOut(BaseModel):
    # SHRE_AI: whether the installation asked for the AI features.
    enabled: bool
    # Whether they run: asked for, and the `ai` extra installed.
    active: bool
    # Why they do not run, when asked for (e.g. the extra is missing).
    reason: str | None
    # The model that classifies uploads now.
    classifier: ClassifierOut
    # The retrained models kept, newest first.
    models: list[ModelOut]
    training: TrainingOut


def _model_out(row: ClassifierModel) -> ModelOut:
    return ModelOut(
        version=row.version,
        created_at=row.created_at,
        active=row.active,
        labels=row.labels,
        cv_macro_f1=_number(row.metrics.get("cv_macro_f1")),
        org_macro_f1=_number(row.metrics.get("org_macro_f1")),
        shipped_org_macro_f1=_number(row.metrics.get("shipped_org_macro_f1")),
        outcome=row.outcome,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _samples(metrics: dict[str, object]) -> dict[str, int]:
    samples = metrics.get("samples")
    if not isinstance(samples, dict):
        return {}
    return {str(k): int(v) for k, v in samples.items()}


def _classifier_out(kept: list[ClassifierModel]) -> ClassifierOut:
    """The model that classifies uploads: the active one of `kept`, else the shipped one."""
    in_use = next((row for row in kept if row.active), None)
    if in_use is not None:
        return ClassifierOut(
            version=in_use.version,
            source="retrained",
            cv_macro_f1=_number(in_use.metrics.get("cv_macro_f1")),
            samples=_samples(in_use.metrics),
        )
    from shre.intelligence.baseline import manifest

    info = manifest()
    shipped: dict[str, object] = info.get("metrics", {})
    return ClassifierOut(
        version=str(info["version"]),
        source="shipped",
        cv_macro_f1=_number(shipped.get("cv_macro_f1")),
        samples=_samples(shipped),
    )


@router.get("/ai", response_model=AiOut)
async def ai_status(_: Admin, runtime: RuntimeDep, session: DbSession) -> AiOut:
    """Whether document classification runs here, the model in use (the shipped one, or
    one retrained on hr's reviews) and how it measured, the retrained models kept, and
    whether a retraining would learn something new."""
    from shre.intelligence import ai_available

    enabled = runtime.settings.shre_ai
    missing = ai_available()
    kept = await training.models(session)
    state = await training.labels(session)
    classifier = _classifier_out(kept)
    minimum = runtime.settings.ai_retrain_min_labels
    return AiOut(
        enabled=enabled,
        active=enabled and missing is None,
        reason=None if not enabled else missing,
        classifier=classifier,
        models=[_model_out(row) for row in kept],
        training=TrainingOut(
            reviewed=state.reviewed, min_labels=minimum, ready=state.ready(minimum)
        ),
    )


class RetrainOut(BaseModel):
    # The retraining job (null: one was waiting already).
    job_id: int | None


@router.post("/ai/retrain", response_model=RetrainOut, status_code=202)
async def retrain_classifier(_: Admin, runtime: RuntimeDep, session: DbSession) -> RetrainOut:
    """Retrain the document classifier now rather than at its daily hour (the worker
    does it; GET /admin/ai shows the outcome). 422 `ai_off` when the AI features do not
    run; 409 `retrain_not_ready` with too few reviews, or none since the newest model."""
    from shre.intelligence import ai_off

    missing = ai_off(runtime.settings.shre_ai)
    if missing is not None:
        raise InvalidInput(f"The AI features are off: {missing}", code="ai_off")
    state = await training.labels(session)
    minimum = runtime.settings.ai_retrain_min_labels
    if not state.ready(minimum):
        detail = (
            f"hr has reviewed {state.reviewed} documents' categories; {minimum} are needed"
            if state.reviewed < minimum
            else "no category was reviewed since the newest model was trained"
        )
        raise Conflict(detail, code="retrain_not_ready")
    try:
        job = await runtime.queue.defer(
            training.RETRAIN, lock=training.RETRAIN_LOCK, queueing_lock=training.RETRAIN_LOCK
        )
    except Exception as exc:
        raise _queue_unavailable(exc) from None
    return RetrainOut(job_id=job)


class ActivateIn(BaseModel):
    # A kept model's version, or null for the shipped model.
    version: str | None = Field(max_length=32)


@router.put("/ai/model", response_model=ClassifierOut)
async def choose_model(
    _: Admin, body: ActivateIn, session: DbSession, audit: Audit
) -> ClassifierOut:
    """Choose the model that classifies uploads: a kept retrained one by its version, or
    the shipped one (`{"version": null}`), e.g. to go back after a retraining that
    measured well but suggests worse. Workers take it for their next document."""
    try:
        await training.activate(session, body.version)
    except training.UnknownModel:
        raise NotFound("No kept model has this version", code="model_not_found") from None
    await audit.record(
        "classifier.choose", target_type="classifier_model", target_id=body.version or "shipped"
    )
    return _classifier_out(await training.models(session))
