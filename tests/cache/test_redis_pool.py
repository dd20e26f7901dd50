"""The worker's Redis connections: a shortage is waiting, never a failure that would send
the request on to the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shre.cache import RedisCache
from tests.support.app import base_settings
from tests.support.cache import redis_cache
from tests.support.servers import RedisServer


async def test_more_callers_than_connections_wait_their_turn(redis_server: RedisServer) -> None:
    cache = redis_cache(redis_server, max_connections=2)
    try:
        assert await cache.set("k", {"v": 1})
        answers = await asyncio.gather(*(cache.get("k") for _ in range(200)))
        assert answers == [{"v": 1}] * 200
        stats = await cache.get_stats()
        assert stats.errors == 0
        assert not stats.circuit_open
        assert len(cache.client.connection_pool._in_use_connections) == 0
        assert len(cache.client.connection_pool._available_connections) <= 2
    finally:
        await cache.flush_all()
        await cache.close()


async def test_waiting_past_the_pool_timeout_is_a_cache_error_not_a_hang(
    redis_server: RedisServer,
) -> None:
    cache = redis_cache(redis_server, max_connections=1, pool_timeout=0.05)
    try:
        pool = cache.client.connection_pool
        held = await pool.get_connection()  # the one connection, lent out
        assert await cache.get("k") is None  # answered as a miss after the wait
        await pool.release(held)
        assert (await cache.get_stats()).errors == 1
        assert await cache.set("k", 2)
        assert await cache.get("k") == 2
    finally:
        await cache.flush_all()
        await cache.close()


def test_the_pool_is_sized_from_the_requests_a_worker_admits(tmp_path: Path) -> None:
    def size(**values: object) -> int:
        settings = base_settings(tmp_path, "sqlite+aiosqlite:///:memory:", **values)
        pool = RedisCache.from_settings(settings).client.connection_pool
        return int(pool.max_connections)

    assert size() == 64 + 8
    assert size(max_concurrent_requests=10) == 18
    assert size(max_concurrent_requests=10, redis_max_connections=100) == 100
