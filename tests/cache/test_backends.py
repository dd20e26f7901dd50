"""The seed's cache methods behave the same on Redis and in memory."""

from __future__ import annotations

import asyncio

import pytest

from shre.cache import Cache, MemoryCache
from shre.cache.base import dumps, loads
from tests.support.cache import redis_cache
from tests.support.servers import RedisServer


async def test_get_set_delete_exists(cache: Cache) -> None:
    assert await cache.get("employees:1") is None
    assert await cache.set("employees:1", {"name": "Ada", "tags": [1, 2]}, ttl=60)
    assert await cache.get("employees:1") == {"name": "Ada", "tags": [1, 2]}
    assert await cache.exists("employees:1")
    assert await cache.delete("employees:1")
    assert not await cache.exists("employees:1")
    assert not await cache.delete("employees:1")
    stats = await cache.get_stats()
    assert (stats.hits, stats.misses) == (1, 1)
    assert stats.hit_ratio == 0.5
    assert stats.backend == cache.backend


async def test_ttl_expires_and_permanent_stays(cache: Cache) -> None:
    await cache.set("short", "x", ttl=1)
    await cache.set_permanent("forever", "y")
    ttl = await cache.get_ttl("short")
    assert ttl is not None
    assert 0 <= ttl <= 1
    assert await cache.get_ttl("forever") == -1
    assert await cache.get_ttl("missing") is None
    await asyncio.sleep(1.3)
    assert await cache.get("short") is None
    assert await cache.get("forever") == "y"


async def test_increment_counts_and_sets_ttl_once(cache: Cache) -> None:
    assert await cache.increment("tries", ttl=100) == 1
    assert await cache.increment("tries", 4, ttl=5) == 5
    ttl = await cache.get_ttl("tries")
    assert ttl is not None
    assert 90 <= ttl <= 100  # the second increment did not shorten it
    assert await cache.counter("tries") == 5
    assert await cache.counter("never") == 0
    assert await cache.increment("plain") == 1
    assert await cache.get_ttl("plain") == -1


async def test_add_only_stores_when_absent(cache: Cache) -> None:
    assert await cache.add("lock", 1, ttl=10)
    assert not await cache.add("lock", 2, ttl=10)
    assert await cache.get("lock") == 1


async def test_delete_pattern_and_flush_touch_only_matching_keys(cache: Cache) -> None:
    for i in range(30):
        await cache.set(f"employees:v1:{i}", i)
    await cache.set("users:v1:1", "u")
    assert await cache.delete_pattern("employees:*") == 30
    assert await cache.get("users:v1:1") == "u"
    assert await cache.flush_all() == 1
    assert await cache.get("users:v1:1") is None


async def test_flush_all_leaves_other_applications_keys(redis_server: RedisServer) -> None:
    ours = redis_cache(redis_server)
    other = redis_server.client()
    await other.set("someone-else:key", b"keep")
    await ours.set("a", 1)
    assert await ours.flush_all() == 1
    assert await other.get("someone-else:key") == b"keep"
    await other.delete("someone-else:key")
    await other.aclose()
    await ours.close()


def test_values_are_versioned_json_never_pickle() -> None:
    assert dumps({"a": 1}) == b'\x01{"a":1}'
    assert loads(dumps([1, "x"])) == [1, "x"]
    import pickle

    assert loads(pickle.dumps({"a": 1})) is None  # not ours: a miss, never unpickled
    assert loads(b"\x01{broken") is None
    with pytest.raises(TypeError):
        dumps(object())


async def test_memory_cache_is_bounded_least_recently_used_first() -> None:
    cache = MemoryCache(max_entries=3)
    for key in ("a", "b", "c"):
        await cache.set(key, key)
    assert await cache.get("a") == "a"  # a is now the most recently used
    await cache.set("d", "d")
    assert await cache.get("b") is None
    assert [await cache.get(k) for k in ("a", "c", "d")] == ["a", "c", "d"]
    assert (await cache.get_stats()).keys == 3
