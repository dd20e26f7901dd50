"""Caching: one `Cache` protocol with a Redis and an in-memory backend, chosen once from
settings, and the namespace-versioned read-through layer services use. The namespaces
are each domain's (its `cache.py`), registered with the layer at start-up."""

import structlog

from shre.cache.base import Cache, CacheStats
from shre.cache.changes import RowChanges, row_change, rows_of
from shre.cache.commit import (
    Watch,
    carry_on_commit,
    invalidate_on_commit,
    pending_changes,
    pending_invalidations,
    watch,
)
from shre.cache.layer import CacheLayer, key_of
from shre.cache.memory import MemoryCache
from shre.cache.namespaces import Namespace
from shre.cache.null import NullCache
from shre.cache.prefetch import cache_reads_of, forget_prefetched, reads_cache
from shre.cache.redis import RedisCache
from shre.settings import Settings

log = structlog.get_logger("shre.cache")

__all__ = [
    "Cache",
    "CacheLayer",
    "CacheStats",
    "MemoryCache",
    "Namespace",
    "NullCache",
    "RedisCache",
    "RowChanges",
    "Watch",
    "cache_reads_of",
    "carry_on_commit",
    "create_cache",
    "create_cache_layer",
    "forget_prefetched",
    "invalidate_on_commit",
    "key_of",
    "pending_changes",
    "pending_invalidations",
    "reads_cache",
    "row_change",
    "rows_of",
    "watch",
]


def create_cache(settings: Settings) -> Cache:
    if not settings.cache_enabled:
        return NullCache()
    if settings.redis_enabled:
        return RedisCache.from_settings(settings)
    if settings.shre_workers > 1:
        # Each worker would keep its own entries and never see the others' invalidations.
        log.warning("cache.disabled", reason="several workers and no Redis (REDIS_ENABLED)")
        return NullCache()
    return MemoryCache(
        max_entries=settings.cache_memory_max_entries, default_ttl=settings.cache_ttl
    )


def create_cache_layer(settings: Settings) -> CacheLayer:
    """The layer over the configured cache, with no namespace yet (`CacheLayer.register`)."""
    return CacheLayer(create_cache(settings), local_bytes=settings.cache_local_mb * 1024 * 1024)
