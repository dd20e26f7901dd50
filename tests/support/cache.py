"""Cache backends and layers as the app builds them, on the tests' Redis server."""

from __future__ import annotations

import uuid

from shre.cache import CacheLayer, RedisCache
from shre.cache.breaker import CircuitBreaker
from tests.support.servers import RedisServer


def redis_cache(
    server: RedisServer,
    *,
    prefix: str | None = None,
    max_connections: int = 50,
    pool_timeout: float = 1.0,
    **breaker: float,
) -> RedisCache:
    """A cache as the app builds it (RedisCache.connect), on the tests' server."""
    return RedisCache.connect(
        host="127.0.0.1",
        port=server.port,
        max_connections=max_connections,
        pool_timeout=pool_timeout,
        prefix=prefix or f"shre-test-{uuid.uuid4().hex[:8]}:",
        breaker=CircuitBreaker(**breaker),  # type: ignore[arg-type]
    )


def processes(server: RedisServer, namespace: str) -> tuple[CacheLayer, CacheLayer]:
    """Two cache layers as two app processes build them, sharing one Redis (keys under
    a prefix of their own)."""
    prefix = f"shre-test-{uuid.uuid4().hex[:8]}:"
    one, other = (CacheLayer(redis_cache(server, prefix=prefix), {namespace: 60}) for _ in "12")
    return one, other
