"""Operator endpoints (admin only): the cache's statistics and flushing it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shre.api.deps import RuntimeDep, require
from shre.observability.metrics import COUNTERS
from shre.policy import Principal, Role

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
