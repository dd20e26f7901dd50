"""The read-through layer: namespace versions read in one round trip and never handed out
twice, decoded copies per process that are exactly as fresh as the shared entries, and
versions read ahead for a request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from shre.cache import Cache, CacheLayer, forget_prefetched
from shre.cache import layer as layer_module
from shre.cache.layer import fresh_start
from shre.cache.local import LocalCopies
from tests.support.cache import processes, redis_cache
from tests.support.servers import RedisServer


def source(value: dict[str, object]) -> tuple[Callable[[], Awaitable[object]], list[int]]:
    """A loader reading `value["v"]` (the database), and a list counting its calls."""
    calls: list[int] = []

    async def load() -> object:
        calls.append(1)
        return value["v"]

    return load, calls


async def test_counters_come_in_one_call_and_missing_ones_start_late(cache: Cache) -> None:
    assert await cache.counters(["ns:a", "ns:b"]) == [None, None]
    start = fresh_start()
    first = await cache.increment("ns:a", start=start)
    assert first == start + 1
    assert await cache.increment("ns:a", start=fresh_start()) == start + 2  # created once
    assert await cache.counters(["ns:a", "ns:b"]) == [start + 2, None]
    assert await cache.increment("ns:b", 0, start=start) == start  # started, not added to


async def mget_calls(server: RedisServer) -> int:
    """How many MGETs the server has answered."""
    client = server.client()
    stats = await client.info("commandstats")
    await client.aclose()
    return int(stats.get("cmdstat_mget", {}).get("calls", 0))


async def test_counters_asked_in_one_turn_of_the_loop_are_read_by_one_mget(
    redis_server: RedisServer,
) -> None:
    cache = redis_cache(redis_server)
    start = fresh_start()
    await cache.increment("ns:a", start=start)
    await cache.increment("ns:b", 0, start=start)
    before = await mget_calls(redis_server)

    asked = [["ns:a"], ["ns:a", "ns:b"], ["ns:c"], ["ns:b", "ns:a"], []]
    found = await asyncio.gather(*(cache.counters(keys) for keys in asked))

    assert found == [[start + 1], [start + 1, start], [None], [start, start + 1], []]
    assert await mget_calls(redis_server) == before + 1
    # Asked one after the other, each is read then: a change between them is seen.
    assert await cache.counters(["ns:a"]) == [start + 1]
    await cache.increment("ns:a", start=start)
    assert await cache.counters(["ns:a"]) == [start + 2]
    assert await mget_calls(redis_server) == before + 3
    await cache.flush_all()
    await cache.close()


async def test_every_caller_of_a_shared_read_hears_that_redis_failed(tmp_path: Path) -> None:
    nowhere = RedisServer(tmp_path)  # not started: nothing listens on its port
    cache = redis_cache(nowhere, pool_timeout=0.2)
    found = await asyncio.gather(*(cache.counters([f"ns:{n}"]) for n in range(5)))
    assert found == [None] * 5
    await cache.close()


async def test_a_processs_copies_answer_hits_and_a_write_elsewhere_shows_at_once(
    redis_server: RedisServer,
) -> None:
    one, other = processes(redis_server, "employees")
    database: dict[str, object] = {"v": ["Ada"]}
    load, calls = source(database)

    assert await one.get_or_load("employees", "page", load) == ["Ada"]
    gets = (await one.cache.get_stats()).misses + (await one.cache.get_stats()).hits
    for _ in range(3):
        assert await one.get_or_load("employees", "page", load) == ["Ada"]
    stats = await one.get_stats()
    assert (stats.hits, stats.local_hits, stats.local_entries) == (3, 3, 1)
    assert (await one.cache.get_stats()).misses + (await one.cache.get_stats()).hits == gets
    assert len(calls) == 1

    assert await other.get_or_load("employees", "page", load) == ["Ada"]  # the shared entry
    assert len(calls) == 1
    database["v"] = ["Grace"]  # another process writes, then invalidates before replying
    await other.invalidate("employees")
    assert await one.get_or_load("employees", "page", load) == ["Grace"]
    assert len(calls) == 2
    await one.close()
    await other.close()


async def test_a_flushed_cache_never_hands_out_a_version_again(redis_server: RedisServer) -> None:
    """Counters start at the time, not at 0: after a flush (or a Redis that lost its data)
    no namespace comes back to a version a process still holds a copy under."""
    one, other = processes(redis_server, "employees")
    database: dict[str, object] = {"v": "old"}
    load, _ = source(database)
    await other.invalidate("employees")
    assert await one.get_or_load("employees", "page", load) == "old"  # copy kept

    assert await other.cache.flush_all() > 0
    database["v"] = "new"
    await other.invalidate("employees")  # the counter is created again
    assert await one.get_or_load("employees", "page", load) == "new"
    await one.close()
    await other.close()


async def test_versions_read_ahead_hold_for_one_request(cache: Cache) -> None:
    layer = CacheLayer(cache, {"employees": 60, "user": 60})
    database: dict[str, object] = {"v": "before"}
    load, calls = source(database)
    assert await layer.get_or_load("employees", "page", load) == "before"

    async def account() -> str:
        return "ada"

    forget_prefetched()  # a request begins: authentication reads ahead
    assert await layer.get_or_load("user:1", "account", account, prefetch=["employees"]) == "ada"
    counted = (await cache.get_stats()).hits + (await cache.get_stats()).misses
    assert await layer.get_or_load("employees", "page", load) == "before"
    # No round trip of its own: the backend saw no lookup (the copy answered).
    assert (await cache.get_stats()).hits + (await cache.get_stats()).misses == counted

    database["v"] = "after"
    await layer.invalidate("employees")  # a write that ends after this request began
    forget_prefetched()  # the next request reads the versions again
    assert await layer.get_or_load("employees", "page", load) == "after"
    assert len(calls) == 2
    forget_prefetched()


async def test_prepared_values_are_made_once_per_version(cache: Cache) -> None:
    layer = CacheLayer(cache, {"employees": 60})
    database: dict[str, object] = {"v": {"rows": [1, 2, 3]}}
    load, _ = source(database)
    made: list[int] = []

    def prepare(value: dict[str, list[int]]) -> tuple[int, ...]:
        made.append(1)
        return tuple(value["rows"])

    for _ in range(3):
        assert await layer.get_or_load("employees", "p", load, prepare=prepare) == (1, 2, 3)
    assert len(made) == 1
    await layer.invalidate("employees")
    assert await layer.get_or_load("employees", "p", load, prepare=prepare) == (1, 2, 3)
    assert len(made) == 2


def test_local_copies_are_bounded_least_recently_used_first() -> None:
    copies = LocalCopies(max_bytes=400)
    for name in ("a", "b", "c", "d"):
        copies.put(name, name.upper(), size=100, ttl=60)
    assert copies.get("a") == (True, "A")  # now the most recently used
    copies.put("e", "E", size=100, ttl=60)
    assert copies.get("b") == (False, None)
    assert [copies.get(k)[0] for k in ("a", "c", "d", "e")] == [True] * 4
    assert copies.size == 400
    copies.put("huge", "H", size=101, ttl=60)  # over a quarter of the room: not kept
    assert copies.get("huge") == (False, None)
    brief = LocalCopies(max_bytes=400)
    brief.put("brief", "B", size=10, ttl=0)
    assert brief.get("brief") == (False, None)  # expired, and dropped
    assert (len(brief), brief.size) == (0, 0)


async def test_values_kept_here_never_reach_the_shared_cache_and_go_with_their_version(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`get_many_here`: what only a process may hold (the wrapped data keys) is kept by
    each process, never by Redis, and an invalidation anywhere drops it everywhere."""
    one, other = processes(redis_server, "keys")
    database = {"a": "key-a", "b": "key-b"}
    asked: list[list[str]] = []

    async def load(ids: list[str]) -> dict[str, str]:
        asked.append(sorted(ids))
        return {i: database[i] for i in ids if i in database}  # "z": no such row

    for layer in (one, other):
        assert await layer.get_many_here("keys", ["a", "z"], load) == {"a": "key-a"}
    assert await one.get_many_here("keys", ["a", "b", "z"], load) == {"a": "key-a", "b": "key-b"}
    assert asked == [["a", "z"], ["a", "z"], ["b", "z"]]  # each process its own; "z" never kept
    raw = redis_server.client()
    # Every string value of every test's keys (other tests on this server keep logs too).
    keys = [k async for k in raw.scan_iter(match="shre-test-*", _type="string")]
    dump = b"".join([await raw.get(k) or b"" for k in keys])
    assert b"key-a" not in dump
    await raw.aclose()

    database["a"] = "destroyed"
    await other.invalidate("keys")  # the write's process, before it answers
    assert await one.get_many_here("keys", ["a", "b"], load) == {"a": "destroyed", "b": "key-b"}
    assert asked[-1] == ["a", "b"]

    # None is kept for long, whatever the version says (an invalidation may have been lost).
    monkeypatch.setattr(layer_module, "HERE_MAX_AGE", 0.0)
    database["b"] = "rotated"
    assert await one.get_many_here("keys", ["b"], load) == {"b": "rotated"}
    monkeypatch.setattr(layer_module, "HERE_MAX_AGE", 60.0)

    # No version to trust (the cache down): every key from the database, nothing kept.
    assert one.if_serving() is one
    redis_server.stop()
    try:
        database["b"] = "changed while down"
        for _ in range(3):
            got = await one.get_many_here("keys", ["b"], load)
            assert got == {"b": "changed while down"}
        assert asked[-3:] == [["b"], ["b"], ["b"]]
        # Three failures in a row open the circuit: a request beginning now takes the
        # database's path throughout.
        assert one.if_serving() is None
    finally:
        redis_server.start()
    await one.close()
    await other.close()
