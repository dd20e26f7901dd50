"""Redis stopping and coming back: no call raises, a dead Redis is skipped quickly,
invalidations made during the outage happen when it returns, and large deletions are
batched so Redis keeps serving."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from shre.cache import CacheLayer, RedisCache
from shre.cache.layer import fresh_start
from tests.support.cache import redis_cache
from tests.support.servers import RedisServer


@pytest.fixture
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    """A server of this test's own: these tests stop it."""
    own = RedisServer(tmp_path_factory.mktemp("redis-outage"))
    own.start()
    yield own
    own.stop()


async def test_calls_never_raise_while_redis_is_down_and_the_circuit_opens(
    server: RedisServer,
) -> None:
    cache = redis_cache(server, failure_threshold=3, reset_after=0.5)
    assert await cache.set("k", 1)
    server.stop()
    assert await cache.get("k") is None
    assert not await cache.set("k", 2)
    assert await cache.increment("n") is None
    assert await cache.counter("n") is None
    assert not await cache.ping()
    stats = await cache.get_stats()
    assert stats.errors >= 3
    assert stats.circuit_open
    # Open circuit: calls are answered without touching the network at all.
    errors = stats.errors
    for _ in range(100):
        assert await cache.get("k") is None
    assert (await cache.get_stats()).errors == errors

    server.start()
    await asyncio.sleep(0.6)  # past reset_after: the next call is the trial
    assert await cache.ping()
    assert not (await cache.get_stats()).circuit_open
    assert await cache.set("k", 3)
    assert await cache.get("k") == 3
    await cache.close()


async def test_invalidations_during_an_outage_are_applied_when_redis_returns(
    server: RedisServer,
) -> None:
    prefix = "shre-outage:"
    writer = CacheLayer(redis_cache(server, prefix=prefix, reset_after=0.2), {"employees": 60})
    reader = CacheLayer(redis_cache(server, prefix=prefix, reset_after=0.2), {"employees": 60})
    rows = {"value": "before"}

    async def load() -> str:
        return rows["value"]

    assert await reader.get_or_load("employees", "list", load) == "before"
    rows["value"] = "changed-before-the-outage"
    assert await reader.get_or_load("employees", "list", load) == "before"  # cached

    server.stop()
    rows["value"] = "written-during-the-outage"
    await writer.invalidate("employees")  # cannot reach Redis: remembered
    assert writer.dirty == {"employees"}
    # While Redis is down every read goes to the database.
    assert await writer.get_or_load("employees", "list", load) == "written-during-the-outage"

    server.start()
    # The writer retries in the background; the stale entry must not come back.
    for _ in range(100):
        if not writer.dirty:
            break
        await asyncio.sleep(0.05)
    assert writer.dirty == set()
    assert await reader.get_or_load("employees", "list", load) == "written-during-the-outage"
    await writer.close()
    await reader.close()


async def test_concurrent_misses_load_once_across_processes(redis_server: RedisServer) -> None:
    prefix = "shre-flight:"
    # Two app processes: two layers, each with its own Redis connection pool.
    layers = [
        CacheLayer(redis_cache(redis_server, prefix=prefix), {"employees": 60}) for _ in range(2)
    ]
    calls = 0

    async def slow_load() -> list[int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return [1, 2, 3]

    results = await asyncio.gather(
        *(layers[i % 2].get_or_load("employees", "page-1", slow_load) for i in range(20))
    )
    assert results == [[1, 2, 3]] * 20
    assert calls == 1
    for layer in layers:
        await layer.cache.flush_all()
        await layer.close()


async def test_delete_pattern_on_100k_keys_is_batched(redis_server: RedisServer) -> None:
    cache = redis_cache(redis_server, prefix="shre-sweep:")
    admin = redis_server.client()
    async with admin.pipeline(transaction=False) as pipe:
        for i in range(100_000):
            pipe.set(f"shre-sweep:employees:v1:{i}", b"\x011")
        await pipe.execute()
    await admin.set("shre-sweep:users:v1:1", b"\x011")
    await admin.config_resetstat()

    # Another client keeps talking to Redis while the sweep runs: it is never shut out.
    answered = 0
    sweeping = True

    async def other_client() -> None:
        nonlocal answered
        while sweeping:
            await admin.ping()
            answered += 1
            await asyncio.sleep(0)

    pinger = asyncio.create_task(other_client())
    assert await cache.delete_pattern("employees:*") == 100_000
    sweeping = False
    await pinger
    stats = await admin.info("commandstats")
    assert "cmdstat_keys" not in stats  # never KEYS
    assert stats["cmdstat_unlink"]["calls"] >= 100  # in batches of at most 1,000
    assert stats["cmdstat_scan"]["calls"] >= 100
    assert answered > 0
    assert await admin.get("shre-sweep:users:v1:1") == b"\x011"
    await admin.delete("shre-sweep:users:v1:1")
    await admin.aclose()
    await cache.close()


async def test_a_dead_redis_costs_little_per_call(server: RedisServer) -> None:
    cache: RedisCache = redis_cache(server, failure_threshold=3, reset_after=60)
    server.stop()
    for _ in range(3):
        await cache.get("k")  # the failures that open the circuit
    started = time.perf_counter()
    for _ in range(1000):
        await cache.get("k")
    # Not a timing assertion on the machine's speed: an open circuit makes no network
    # call, so 1,000 calls add no errors (each would have been one).
    elapsed = time.perf_counter() - started
    assert (await cache.get_stats()).errors == 3, elapsed
    await cache.close()


async def test_a_waiter_stops_waiting_for_another_loader_when_redis_dies(
    server: RedisServer,
) -> None:
    """Another process holds the load lock of a key, then Redis dies: its value can never
    arrive, so the waiter loads for itself instead of sitting out the lock's timeout."""
    prefix = "shre-waiter:"
    layer = CacheLayer(
        redis_cache(server, prefix=prefix, reset_after=60), {"employees": 60}, lock_timeout=600
    )
    version = await layer.cache.increment("ns:employees", 0, start=fresh_start())
    await layer.cache.add(f"lock:employees:v{version}:page", 1, ttl=600)  # "another process"

    async def load() -> str:
        return "from the database"

    waiting = asyncio.create_task(layer.get_or_load("employees", "page", load))
    await asyncio.sleep(0.2)
    assert not waiting.done()  # waits for the other loader while Redis is up
    server.stop()
    # Without giving up, this would wait out the 600 s lock timeout.
    assert await asyncio.wait_for(waiting, timeout=30) == "from the database"
    await layer.close()
