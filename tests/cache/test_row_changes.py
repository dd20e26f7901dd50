"""Entries of rows that outlive a change of one row made in place (`row_change`): the
change is counted and logged atomically; a reader patches only its entry's changed rows,
in every process at once, and reloads the whole entry whenever the log cannot tell what
changed (a gap, a flush, an outage)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from shre.cache import Cache, CacheLayer, RowChanges, row_change, rows_of
from shre.cache.changes import CHANGE_LOG_KEEP, SeenChanges
from shre.cache.layer import fresh_start
from tests.support.cache import processes, redis_cache
from tests.support.servers import RedisServer


async def test_a_change_is_counted_and_logged_together(cache: Cache) -> None:
    start = fresh_start()
    first = await cache.log_change("ns:t.rows", "log:t.rows", "a", start=start, keep=3, ttl=60)
    assert first == start + 1
    for row in "bcd":
        await cache.log_change("ns:t.rows", "log:t.rows", row, start=fresh_start(), keep=3, ttl=60)
    assert await cache.counters(["ns:t.rows"]) == [start + 4]  # created once, then counted
    # The newest 3 are kept; a range asks for (after, upto].
    assert await cache.changes("log:t.rows", start, start + 4) == [
        (start + 2, "b"),
        (start + 3, "c"),
        (start + 4, "d"),
    ]
    assert await cache.changes("log:t.rows", start + 2, start + 3) == [(start + 3, "c")]
    everything = await cache.changes("log:t.rows", 0, start + 10**9)  # a range far longer
    assert everything == [(start + 2, "b"), (start + 3, "c"), (start + 4, "d")]
    assert await cache.changes("log:nothing", 0, 10) == []
    assert 0 < (await cache.get_ttl("log:t.rows") or 0) <= 60


class Table:
    """The database: rows by id, in order; counts what the layer asks of it."""

    def __init__(self, *names: str) -> None:
        self.rows = {str(uuid.uuid4()): name for name in names}
        self.loads = 0
        self.patched: list[set[str]] = []

    def id_of(self, name: str) -> str:
        return next(i for i, n in self.rows.items() if n == name)

    async def load(self) -> dict[str, Any]:
        self.loads += 1
        return {"rows": [{"id": i, "name": n} for i, n in self.rows.items()]}

    async def patch(self, value: dict[str, Any], changes: RowChanges) -> dict[str, Any]:
        """Reads the changed rows again, whatever the changes carried."""
        changed = changes.ids
        self.patched.append(changed & {r["id"] for r in value["rows"]})
        rows = [
            {**r, "name": self.rows[r["id"]]} if r["id"] in changed else r for r in value["rows"]
        ]
        return {**value, "rows": rows}


def names(value: dict[str, Any]) -> list[str]:
    return [r["name"] for r in value["rows"]]


def ids(value: dict[str, Any]) -> list[str]:
    return [r["id"] for r in value["rows"]]


async def read(layer: CacheLayer, table: Table, key: str = "page") -> list[str]:
    value = await layer.get_or_patch(
        "people", key, table.load, prepare=dict, row_ids=ids, patch=table.patch
    )
    return names(value)


async def test_only_the_changed_rows_are_read_again(cache: Cache) -> None:
    layer = CacheLayer(cache, {"people": 60})
    table = Table("Ada", "Grace")
    other = Table("Edsger")
    assert await read(layer, table) == ["Ada", "Grace"]
    assert await read(layer, other, "other") == ["Edsger"]

    grace = table.id_of("Grace")
    table.rows[grace] = "Grace H."
    await layer.invalidate(row_change("people", grace))
    assert await read(layer, table) == ["Ada", "Grace H."]
    assert await read(layer, table) == ["Ada", "Grace H."]
    assert (table.loads, table.patched) == (1, [{grace}])
    # An entry without the row is neither loaded nor patched again.
    assert await read(layer, other, "other") == ["Edsger"]
    assert (other.loads, other.patched) == (1, [])

    # A change that moves rows invalidates the namespace: everything is read again.
    table.rows[str(uuid.uuid4())] = "Barbara"
    await layer.invalidate("people", row_change("people", grace))
    assert await read(layer, table) == ["Ada", "Grace H.", "Barbara"]
    assert table.loads == 2


async def test_every_process_sees_a_change_at_once_and_fetches_it_once(
    redis_server: RedisServer,
) -> None:
    one, other = processes(redis_server, "people")
    table = Table("Ada", "Grace", "Edsger")
    assert await read(one, table) == ["Ada", "Grace", "Edsger"]
    assert await read(other, table) == ["Ada", "Grace", "Edsger"]  # the shared entry
    assert table.loads == 1

    ada = table.id_of("Ada")
    table.rows[ada] = "Ada L."
    await other.invalidate(row_change("people", ada))  # written there, read here
    assert await read(one, table) == ["Ada L.", "Grace", "Edsger"]
    assert await read(other, table) == ["Ada L.", "Grace", "Edsger"]  # patched in Redis
    assert table.loads == 1
    assert table.patched == [{ada}]

    # Several changes since a process last looked: one read of the log, then copies.
    edsger = table.id_of("Edsger")
    for n in range(3):
        table.rows[edsger] = f"Edsger {n}"
        await one.invalidate(row_change("people", edsger))
    assert await read(other, table) == ["Ada L.", "Grace", "Edsger 2"]
    assert await read(one, table) == ["Ada L.", "Grace", "Edsger 2"]
    assert table.loads == 1
    await one.close()
    await other.close()


async def test_a_process_reads_each_change_of_the_log_once_whatever_its_entries_stamps(
    redis_server: RedisServer,
) -> None:
    """Entries kept at older counts than the run of the log this process has read, or
    stamped by another process at newer ones, grow the run: no change is fetched twice."""
    one, other = processes(redis_server, "people")
    fetched: list[int] = []
    changes = one.cache.changes

    async def counted(log: str, after: int, upto: int) -> list[tuple[int, str]] | None:
        found = await changes(log, after, upto)
        fetched.extend(value for value, _ in found or ())
        return found

    one.cache.changes = counted  # type: ignore[method-assign]
    ada, grace = Table("Ada"), Table("Grace")
    elsewhere = str(uuid.uuid4())  # a row in neither entry
    assert await read(one, ada, "ada") == ["Ada"]  # kept at the first count
    await other.invalidate(row_change("people", elsewhere))
    assert await read(one, grace, "grace") == ["Grace"]  # kept one change later
    for _ in range(2):
        await other.invalidate(row_change("people", elsewhere))
    assert await read(other, ada, "ada") == ["Ada"]  # stamped by the other, newest count
    assert await read(one, grace, "grace") == ["Grace"]  # the run: changes 2 and 3
    assert await read(one, ada, "ada") == ["Ada"]  # kept from before the run: change 1
    await other.invalidate(row_change("people", elsewhere))
    assert await read(one, ada, "ada") == ["Ada"]  # the other's entry, and change 4
    assert await read(one, grace, "grace") == ["Grace"]
    assert len(fetched) == len(set(fetched)) == 4  # the four changes, each once
    assert (ada.loads, grace.loads) == (1, 1)
    await one.close()
    await other.close()


def test_a_run_of_the_log_tells_which_rows_changed_between_two_counts() -> None:
    seen = SeenChanges(10)
    seen.extend([(11, "a"), (12, 'b {"n": 1}'), (13, "a")])
    seen.prepend(8, [(9, "c"), (10, "b")])  # read back to an older entry's count
    assert seen.since(8, 13).touches(["c"])
    assert not seen.since(9, 13).touches(["c", "z"])
    assert seen.since(12, 13).touches(["a"])  # its second change
    assert not seen.since(13, 13).touches(["a", "b", "c"])
    assert seen.since(10, 12).touches(["b"])  # 12 is within (10, 12]
    assert not seen.since(10, 11).touches(["b"])
    # A request that read an older part of the log finishes after one that read more.
    seen.extend([(11, "a"), (12, 'b {"n": 1}')])
    seen.prepend(9, [(10, "b")])
    assert (seen.first, seen.last) == (8, 13)
    assert seen.since(12, 13).touches(["a"])
    changes = seen.since(10, 13).changes()
    assert changes.ids == {"a", "b"}
    assert changes.states("b") == [{"n": 1}]
    assert changes.states("a") is None  # a change that carried nothing
    # The oldest entries go past CHANGE_LOG_KEEP, and their rows' counts with them.
    seen.extend([(14 + n, "z") for n in range(CHANGE_LOG_KEEP)])
    assert seen.first == 13  # 9 to 13 gone
    assert not seen.since(seen.first, seen.last).touches(["a", "b", "c"])
    assert seen.since(seen.last - 1, seen.last).touches(["z"])


async def test_a_gap_in_the_log_reloads_the_whole_entry(redis_server: RedisServer) -> None:
    one, other = processes(redis_server, "people")
    table = Table("Ada", "Grace")
    assert await read(one, table) == ["Ada", "Grace"]

    # The log lost its entries (evicted, expired): what changed cannot be told.
    grace = table.id_of("Grace")
    table.rows[grace] = "Grace H."
    await other.invalidate(row_change("people", grace))
    assert await other.cache.delete(f"log:{rows_of('people')}")
    assert await read(one, table) == ["Ada", "Grace H."]
    assert (table.loads, table.patched) == (2, [])

    # More changes than the log keeps: the same.
    for _ in range(CHANGE_LOG_KEEP + 1):
        await other.invalidate(row_change("people", str(uuid.uuid4())))
    ada = table.id_of("Ada")
    table.rows[ada] = "Ada L."
    await other.invalidate(row_change("people", ada))
    assert await read(one, table) == ["Ada L.", "Grace H."]
    assert (table.loads, table.patched) == (3, [])

    # A flush takes the counter too: it starts again later, never where it was.
    assert await other.cache.flush_all() > 0
    table.rows[ada] = "Ada K."
    await other.invalidate(row_change("people", ada))
    assert await read(one, table) == ["Ada K.", "Grace H."]
    assert table.loads == 4
    await one.close()
    await other.close()


async def test_a_change_the_cache_missed_drops_the_entries_once_it_is_back(
    redis_server: RedisServer,
) -> None:
    prefix = f"shre-down-{uuid.uuid4().hex[:8]}:"
    layer = CacheLayer(redis_cache(redis_server, prefix=prefix), {"people": 60})
    table = Table("Ada", "Grace")
    assert await read(layer, table) == ["Ada", "Grace"]

    ada = table.id_of("Ada")
    table.rows[ada] = "Ada L."
    redis_server.stop()
    try:
        await layer.invalidate(row_change("people", ada))  # cannot be logged
        assert layer.dirty == {"people"}
        assert await read(layer, table) == ["Ada L.", "Grace"]  # the database, meanwhile
    finally:
        redis_server.start()
    await layer.flush_dirty()
    assert layer.dirty == set()
    assert await read(layer, table) == ["Ada L.", "Grace"]
    assert table.patched == []  # not patched: read again whole
    await layer.close()


async def test_a_waiter_does_not_wait_out_a_loader_that_read_before_it(
    redis_server: RedisServer,
) -> None:
    """Two processes load the same page, and a row changes in between: the second finds
    the first's value stamped before its own count. It must not take that value (it may
    miss the change), nor wait for a newer one that nobody is loading: it reads the
    database itself, at once."""
    prefix = f"shre-wait-{uuid.uuid4().hex[:8]}:"
    first = CacheLayer(redis_cache(redis_server, prefix=prefix), {"people": 60})
    second = CacheLayer(redis_cache(redis_server, prefix=prefix), {"people": 60}, lock_timeout=600)
    table = Table("Ada", "Grace")
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_load() -> dict[str, Any]:
        started.set()
        await release.wait()  # the first loader has read the database: Ada
        return {
            "rows": [
                {"id": i, "name": "Ada" if n.startswith("Ada") else n}
                for i, n in table.rows.items()
            ]
        }

    loading = asyncio.create_task(
        first.get_or_patch(
            "people", "page", slow_load, prepare=dict, row_ids=ids, patch=table.patch
        )
    )
    await started.wait()
    ada = table.id_of("Ada")
    table.rows[ada] = "Ada L."
    await second.invalidate(row_change("people", ada))
    waiting = asyncio.create_task(read(second, table))
    await asyncio.sleep(0.2)
    release.set()
    assert names(await loading) == ["Ada", "Grace"]  # read before the change: its own count
    # Without giving up on the stale value, this would wait out the 600 s lock timeout.
    assert await asyncio.wait_for(waiting, timeout=30) == ["Ada L.", "Grace"]
    assert await read(first, table) == ["Ada L.", "Grace"]  # the first process catches up
    await first.close()
    await second.close()


class VersionedTable(Table):
    """Rows with versions, patched from what the changes carried (the newest version
    wins, as the employees' pages do), read again only when a change carried nothing."""

    def __init__(self, *names: str) -> None:
        super().__init__(*names)
        self.versions = dict.fromkeys(self.rows, 1)

    def change(self, name: str, new: str) -> dict[str, Any]:
        """Change a row in the database; what a writer carries."""
        row = self.id_of(name)
        self.rows[row] = new
        self.versions[row] += 1
        return self.state(row)

    def state(self, row: str) -> dict[str, Any]:
        return {"id": row, "name": self.rows[row], "version": self.versions[row]}

    async def load(self) -> dict[str, Any]:
        self.loads += 1
        return {"rows": [self.state(i) for i in self.rows]}

    async def patch(self, value: dict[str, Any], changes: RowChanges) -> dict[str, Any]:
        rows = []
        for row in value["rows"]:
            if row["id"] in changes.ids:
                states = changes.states(row["id"])
                if states is None:
                    self.patched.append({row["id"]})
                    row = self.state(row["id"])
                else:
                    newest = max(states, key=lambda s: s["version"])
                    row = newest if newest["version"] > row["version"] else row
            rows.append(row)
        return {**value, "rows": rows}


async def test_a_change_that_carries_the_row_patches_without_reading_it(cache: Cache) -> None:
    layer = CacheLayer(cache, {"people": 60})
    table = VersionedTable("Ada", "Grace")
    assert await read(layer, table) == ["Ada", "Grace"]

    grace = table.id_of("Grace")
    name = row_change("people", grace)
    await layer.invalidate(name, carried={name: table.change("Grace", "Grace H.")})
    assert await read(layer, table) == ["Ada", "Grace H."]
    assert (table.loads, table.patched) == (1, [])  # nothing read from the database

    # A change that carried nothing (a command, a row not fully loaded): read again.
    table.change("Grace H.", "Grace M. H.")
    await layer.invalidate(name, carried={name: None})
    assert await read(layer, table) == ["Ada", "Grace M. H."]
    assert (table.loads, table.patched) == (1, [{grace}])


async def test_every_process_patches_from_the_carried_row(redis_server: RedisServer) -> None:
    one, other = processes(redis_server, "people")
    table = VersionedTable("Ada", "Grace")
    assert await read(one, table) == ["Ada", "Grace"]
    assert await read(other, table) == ["Ada", "Grace"]

    ada = table.id_of("Ada")
    name = row_change("people", ada)
    await other.invalidate(name, carried={name: table.change("Ada", "Ada L.")})
    assert await read(one, table) == ["Ada L.", "Grace"]
    assert await read(other, table) == ["Ada L.", "Grace"]
    assert (table.loads, table.patched) == (1, [])
    # Redis holds the carried row as the writer gave it, next to the row's id.
    logged = await one.cache.changes(f"log:{rows_of('people')}", 0, 2**62)
    assert logged is not None
    assert logged[-1][1].startswith(f"{ada} {{")
    await one.close()
    await other.close()


async def test_the_newest_version_wins_whatever_order_the_changes_were_logged_in(
    cache: Cache,
) -> None:
    """Two writers of one row commit one after the other, but the second may log first:
    a reader must end with the newer row either way, and never go back to an older one."""
    layer = CacheLayer(cache, {"people": 60})
    table = VersionedTable("Ada", "Grace")
    assert await read(layer, table) == ["Ada", "Grace"]

    ada = table.id_of("Ada")
    name = row_change("people", ada)
    first = table.change("Ada", "Ada L.")  # committed first (version 2)
    second = table.change("Ada L.", "Ada K.")  # then this one (version 3)
    await layer.invalidate(name, carried={name: second})  # logged first
    assert await read(layer, table) == ["Ada K.", "Grace"]
    await layer.invalidate(name, carried={name: first})  # the older one, logged last
    assert await read(layer, table) == ["Ada K.", "Grace"]
    assert (table.loads, table.patched) == (1, [])

    # Both in one run of the log, read together by a reader that had neither.
    fresh = CacheLayer(cache, {"people": 60})
    third, fourth = table.change("Ada K.", "Ada 3"), table.change("Ada 3", "Ada 4")
    await layer.invalidate(name, carried={name: fourth})
    await layer.invalidate(name, carried={name: third})
    assert await read(fresh, table) == ["Ada 4", "Grace"]
    assert await read(layer, table) == ["Ada 4", "Grace"]
    assert table.loads == 1
