"""What services use: read-through caching by namespace, and invalidation by namespace.

Every entity type has a namespace version (a counter in the cache). Cached entries live
under `{namespace}:v{version}:{key}`; a write bumps the version once its transaction has
committed, so every entry of the old version is unreachable at once (they expire by TTL).
The order makes it sound: a reader takes the version before it reads the database, so a
reader that could have seen the data before a commit also holds the version before the
bump, and what it stores is never found again. A counter that is missing (a new or
flushed Redis, an evicted key) starts at the current time in microseconds, never at 0, so
no version number is ever handed out twice.

Each process also keeps decoded copies of the values it used (`LocalCopies`), under the
same versioned keys: a hit still reads the namespace's version from the cache (one small
round trip), so it is exactly as fresh as the shared entry, without fetching and decoding
the value again.

Entries that hold rows (a list page) can also outlive a change of one of their rows that
moves nothing (a phone number: no filter, order or count depends on it). Such a write
logs the row's id (`row_change`) instead of bumping the namespace: a counter of changes
(`{namespace}.rows`) goes up, and the change is logged under its new value, atomically.
An entry carries the count it was read at (its stamp, read before the database, like a
version); a reader that finds it older than the count reads what changed since, and
patches only the rows of its entry among them, or reloads the whole entry when the log
has a gap (it keeps the newest CHANGE_LOG_KEEP, for the entries' TTL). A change can carry
the row as committed (`carry_on_commit`, ciphertext as stored, like every cached value):
readers then patch from the log, without reading the row again; the log's order need not
be the commits' (two writers log in either order), so the patcher picks the newest state
by the row's own version.

Values that must never leave the process (the wrapped data keys) are kept by each
process only (`get_many_here`), valid while their namespace's version stays the same.

When the cache is down, reads go to the database and invalidations are remembered
(`dirty`); they are retried in the background and before any cached read, and while one
is pending nothing is served from the cache — no stale entry survives an outage.
Concurrent misses for one key load the database once per process, and across processes
a short lock makes the others wait for the first loader's value (up to a timeout).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

import orjson
import structlog

from shre.cache.base import Cache, CacheStats, dumps
from shre.cache.changes import (
    CHANGE_LOG_KEEP,
    NOTHING_SINCE,
    LogRun,
    Patch,
    RowIds,
    SeenChanges,
    log_entry,
    rows_of,
)
from shre.cache.local import LocalCopies
from shre.cache.namespaces import Namespace, Namespaces
from shre.cache.prefetch import PREFETCHED
from shre.observability.prometheus import count_cache

log = structlog.get_logger("shre.cache")
Loader = Callable[[], Awaitable[Any]]
Prepare = Callable[[Any], Any]
DEFAULT_LOCAL_TTL = 300
K = TypeVar("K")
V = TypeVar("V")


RETRY_DIRTY_EVERY = 1.0
# Values kept by `get_many_here` per namespace, at most: past it the table starts afresh.
HERE_MAX_ENTRIES = 100_000
# ... and for this long at most (seconds): an invalidation that could not reach the cache
# (a command that found Redis unreachable while the servers did not) is late by no more.
HERE_MAX_AGE = 60.0
POLL_EVERY = 0.02


def key_of(*parts: Any) -> str:
    """A short, stable key for a query's parameters (order-sensitive)."""
    raw = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(raw).hexdigest()[:32]


def _as_is(value: Any) -> Any:
    return value


def _always() -> bool:
    return True


def _stamp(entry: Mapping[str, Any]) -> int:
    """The count an entry of `get_or_patch` was read at (-1: none)."""
    stamp = entry.get("s")
    return stamp if isinstance(stamp, int) else -1


def fresh_start() -> int:
    """Where a missing namespace counter starts: later than any earlier start."""
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class _Entry:
    """An entry of `get_or_patch`: its namespace, the namespace whose row changes apply,
    its full key and the count of those changes this request read."""

    namespace: str
    log: str
    full: str
    count: int


class CacheLayer:
    def __init__(
        self,
        cache: Cache,
        ttls: Mapping[str, int] | None = None,
        *,
        lock_timeout: float = 2.0,
        local_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self.cache = cache
        # Each domain's namespaces, registered at start-up (`register`); `ttls`: bare
        # ones (a test's).
        self.namespaces = Namespaces(dict(ttls or {}))
        self.lock_timeout = lock_timeout
        self.local = LocalCopies(local_bytes)
        self.dirty: set[str] = set()
        self._epoch = 0
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._seen: dict[str, SeenChanges] = {}
        self._here: dict[str, tuple[int, float, dict[Any, Any]]] = {}
        self._retry_task: asyncio.Task[None] | None = None
        # Whether this process may answer from the cache at all now (see shre.cache.sync:
        # a cache of this process's own is trusted only while it is known to be the only
        # serving process and in step with the commands' invalidations).
        self.guard: Callable[[], bool] = _always
        hook = getattr(cache, "on_reconnect", None)
        if hook is not None:
            hook(self._reconnected)

    def register(self, *namespaces: Namespace) -> None:
        """Know these namespaces: their TTLs, and whose invalidation invalidates them."""
        self.namespaces.register(*namespaces)

    async def _reconnected(self) -> None:
        self._forget_copies()
        await self.flush_dirty()

    def _forget_copies(self) -> None:
        self._epoch += 1
        self.local.clear()
        self._seen.clear()
        self._here.clear()

    async def reset(self) -> None:
        """Drop every entry, shared and kept: what was cached before is never served again
        (a process's own cache that could have missed another process's writes)."""
        self._forget_copies()
        await self.cache.flush_all()

    def _usable(self) -> bool:
        return self.cache.is_enabled() and self.guard()

    def is_serving(self) -> bool:
        """Whether reads are answered from the cache now (enabled, up, nothing pending):
        a caller may choose a loader that is only worth it when its result is kept."""
        return self._usable() and self.cache.is_available() and not self.dirty

    def if_serving(self) -> CacheLayer | None:
        """This layer if it answers reads now (`is_serving`), else None: a request that
        begins while the cache is down (or invalidations are pending) takes the database's
        path throughout, without turning rows into their cached form and back."""
        return self if self.is_serving() else None

    async def _bump(self, namespace: str) -> bool:
        return await self.cache.increment(f"ns:{namespace}", start=fresh_start()) is not None

    async def _versions(
        self, namespaces: tuple[str, ...], also: Sequence[str] = ()
    ) -> list[int] | None:
        """The namespaces' versions (one round trip; missing counters are started).
        `also`: namespaces this request reads next, whose versions are read in the same
        round trip and taken from there for the rest of the request (`PREFETCHED`)."""
        known = PREFETCHED.get()
        if known is not None and known[0] == self._epoch and not self.dirty:
            versions = [known[1].get(n) for n in namespaces]
            if None not in versions:
                return cast(list[int], versions)
        names = (*namespaces, *also)
        keys = [f"ns:{n}" for n in names]
        found = await self.cache.counters(keys)
        if found is None:
            return None
        versions_read: list[int] = []
        for key, version in zip(keys, found, strict=True):
            if version is None:
                version = await self.cache.increment(key, 0, start=fresh_start())
                if version is None:
                    return None
            versions_read.append(version)
        if also:
            PREFETCHED.set(
                (self._epoch, dict(zip(also, versions_read[len(namespaces) :], strict=True)))
            )
        return versions_read[: len(namespaces)]

    async def flush_dirty(self) -> None:
        for namespace in sorted(self.dirty):
            if not await self._bump(namespace):
                return
            self.dirty.discard(namespace)
            log.info("cache.invalidated_after_outage", namespace=namespace)

    async def invalidate(self, *namespaces: str, carried: Mapping[str, Any] | None = None) -> None:
        """Make every cached entry of these namespaces unreachable (after the commit); a
        `row_change` is logged instead (or, if it cannot be, its namespace invalidated),
        with the row's state when `carried` has it (see `carry_on_commit`)."""
        if not self.cache.is_enabled():
            return
        states = carried or {}
        namespaces = tuple(self.namespaces.with_followers(namespaces))
        for name in sorted(namespaces):
            namespace, _, row = name.partition("@")
            if row and namespace in namespaces:
                continue  # the whole namespace goes anyway
            if row:
                done = await self._log_row(namespace, row, states.get(name))
            else:
                done = await self._bump(namespace)
            if not done:
                self.dirty.add(namespace)
        if self.dirty and (self._retry_task is None or self._retry_task.done()):
            self._retry_task = asyncio.create_task(self._retry_dirty())

    async def invalidate_now(self, *namespaces: str) -> list[str]:
        """Invalidate without retrying later (a command about to exit); the namespaces
        that could not be invalidated. (A `row_change` invalidates its namespace here.)"""
        if not self.cache.is_enabled():
            return []
        wanted = sorted({n.partition("@")[0] for n in self.namespaces.with_followers(namespaces)})
        return [n for n in wanted if not await self._bump(n)]

    async def _log_row(self, namespace: str, row: str, state: Any | None = None) -> bool:
        rows = rows_of(namespace)
        logged = await self.cache.log_change(
            f"ns:{rows}",
            f"log:{rows}",
            log_entry(row, state),
            start=fresh_start(),
            keep=CHANGE_LOG_KEEP,
            ttl=self._ttl_or_default(namespace),
        )
        return logged is not None

    async def _changed_since(self, namespace: str, stamp: int, now: int) -> LogRun | None:
        """The rows changed in place after `stamp` up to `now`; None if the log cannot
        tell (a gap: entries gone, a counter started afresh, the cache down). What this
        process has read of the log is kept: each change is fetched once, not once per
        entry that reads it."""
        if stamp >= now:
            return NOTHING_SINCE  # read at (or after) this request's count: nothing it missed
        if now - stamp > CHANGE_LOG_KEEP:
            return None
        seen = self._seen.get(namespace)
        if seen is None or now - seen.last > CHANGE_LOG_KEEP:
            seen = self._seen[namespace] = SeenChanges(stamp)
        elif stamp < seen.first:
            # An entry read before this process's run of the log began: the run grows back
            # to it (not read afresh: with several processes, entries stamped by the
            # others arrive at every count, and each fresh start would read the run again).
            start = seen.first
            found = await self.cache.changes(f"log:{rows_of(namespace)}", stamp, start)
            if found is None or len(found) != start - stamp:
                return None
            seen.prepend(stamp, found)
        if now > seen.last:
            # The requests that find the same new count read the log once between them.
            run = seen
            read = await self._once(
                f"changes|{namespace}@{now}", lambda: self._read_log(namespace, run, now)
            )
            if not read or seen.last < now:
                return None
        if stamp < seen.first:
            return None  # the run moved on past it meanwhile (over CHANGE_LOG_KEEP newer)
        return seen.since(stamp, now)

    async def _read_log(self, namespace: str, seen: SeenChanges, now: int) -> bool:
        """Extend `seen` up to `now` (False: the log has a gap, or the cache failed)."""
        after = seen.last
        if now <= after:
            return True
        found = await self.cache.changes(f"log:{rows_of(namespace)}", after, now)
        if found is None or len(found) != now - after:
            return False
        seen.extend(found)
        return True

    async def _retry_dirty(self) -> None:
        while self.dirty:
            await asyncio.sleep(RETRY_DIRTY_EVERY)
            await self.flush_dirty()

    async def get_or_load(
        self,
        namespace: str,
        key: str,
        loader: Loader,
        *,
        within: str | None = None,
        prepare: Prepare | None = None,
        prefetch: Sequence[str] = (),
    ) -> Any:
        """The cached value for `key` in `namespace`, or `loader()`'s (then cached).
        `within`: a wider namespace whose invalidation drops this one too (one record's
        namespace within its entity type's, which bulk operations invalidate).
        `prepare`: what this process makes of the value (a parsed form) before using and
        keeping it; it must not depend on who asks, and its result must not be changed.
        `prefetch`: namespaces the rest of this request (a read) will look up: their
        versions come in the same round trip. Sound, as a version read earlier in a
        request is still read before the database is; and a write that answered before
        the request began had bumped them already."""
        ready = prepare or _as_is
        if not self._usable():
            count_cache(namespace, "bypass")
            return ready(await loader())
        if self.dirty:
            await self.flush_dirty()
            if self.dirty:
                count_cache(namespace, "bypass")
                return ready(await loader())
        epoch = self._epoch
        names = (namespace,) if within is None else (namespace, within)
        versions = await self._versions(names, prefetch)
        if versions is None or epoch != self._epoch or self.dirty:
            count_cache(namespace, "bypass")
            return ready(await loader())  # cache down, or it just came back: trust the database
        tag = ".".join(str(v) for v in reversed(versions))
        full = f"{namespace}:v{tag}:{key}"
        hit, value = self.local.get(full)
        if hit:
            count_cache(namespace, "hit")
            return value
        found = await self.cache.get(full)
        if found is not None:
            count_cache(namespace, "hit")
            return self._keep(namespace, full, found["v"], ready(found["v"]))
        count_cache(namespace, "miss")

        async def fill() -> Any:
            loaded = await self._load_once(namespace, full, loader)
            return self._keep(namespace, full, loaded, ready(loaded))

        return await self._once(full, fill)

    async def get_many_here(
        self,
        namespace: str,
        keys: Sequence[K],
        loader: Callable[[list[K]], Awaitable[Mapping[K, V]]],
    ) -> dict[K, V]:
        """The values of `keys`, kept in this process only, never in the shared cache (for
        values that must not be copied out of the process: the wrapped data keys, whose
        destruction must leave no copy behind). They are valid while `namespace`'s
        version stays what it was when they were loaded: an invalidation of it drops them
        in every process at its next lookup. `loader(missing)` reads the ones not kept; a
        key it leaves out (no such row) is not kept. Without a version to trust (cache
        disabled, down, invalidations pending) every key is read from the database; none
        is kept longer than HERE_MAX_AGE."""
        if not self.is_serving():
            return dict(await loader(list(keys)))
        epoch = self._epoch
        versions = await self._versions((namespace,))
        if versions is None or epoch != self._epoch or self.dirty:
            return dict(await loader(list(keys)))
        held = self._here.get(namespace)
        now = time.monotonic()
        if held is None or held[0] != versions[0] or now - held[1] > HERE_MAX_AGE:
            held = self._here[namespace] = (versions[0], now, {})
        # The table of the version read before the database: if the version moves on
        # meanwhile, what is loaded lands in a table nobody looks up again.
        table: dict[K, V] = held[2]
        found = {key: table[key] for key in keys if key in table}
        missing = [key for key in keys if key not in found]
        if missing:
            loaded = await loader(missing)
            if len(table) + len(loaded) > HERE_MAX_ENTRIES:
                table.clear()
            table.update(loaded)
            found.update(loaded)
        return found

    async def _once(self, flight: str, make: Callable[[], Awaitable[Any]]) -> Any:
        """`make()`, unless it is already running in this process for `flight`: then
        what that call gives."""
        running = self._inflight.get(flight)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[flight] = future
        try:
            value = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody warns
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[flight]

    async def get_or_patch(
        self,
        namespace: str,
        key: str,
        loader: Loader,
        *,
        row_ids: RowIds,
        patch: Patch,
        prepare: Prepare | None = None,
        within: str | None = None,
        changes_of: str | None = None,
    ) -> Any:
        """`get_or_load` for an entry of rows that stays cached when rows change in place
        (`row_change`): `row_ids(prepared)` are its rows' ids, `patch(value, changes)` the
        value with those of its rows among `changes.ids` brought up to date, from the
        states the changes carried or else the database (None: it cannot be, load the
        whole). `changes_of`: the namespace whose row changes apply (default `namespace`;
        one record's entry follows its entity type's). `prepare` and `within`: as for
        `get_or_load`. The request reads the versions of these and of
        `rows_of(changes_of)` (prefetch them, see `reads_cache`)."""
        ready = prepare or _as_is
        if self.dirty:
            await self.flush_dirty()
        if not self._usable() or self.dirty:
            count_cache(namespace, "bypass")
            return ready(await loader())
        log = changes_of or namespace
        names = (namespace,) if within is None else (namespace, within)
        epoch = self._epoch
        versions = await self._versions((*names, rows_of(log)))
        if versions is None or epoch != self._epoch or self.dirty:
            count_cache(namespace, "bypass")
            return ready(await loader())  # cache down, or it just came back
        count = versions[-1]
        tag = ".".join(str(v) for v in reversed(versions[:-1]))
        full = f"{namespace}:v{tag}:rows:{key}"
        hit, held = self.local.get(full)
        if hit:
            stamp, kept, size = held
            changed = await self._changed_since(log, stamp, count)
            if changed is not None and not changed.touches(row_ids(kept)):
                if stamp < count:  # nothing of it changed meanwhile: as fresh as the count
                    self.local.put(full, (count, kept, size), size, self._ttl_or_default(namespace))
                count_cache(namespace, "hit")
                return kept
        entry = _Entry(namespace, log, full, count)
        # Concurrent readers of the entry at this count fetch, patch or load it once.
        return await self._once(
            f"{full}@{count}",
            lambda: self._fetch_or_patch(entry, loader, ready, row_ids, patch),
        )

    async def _fetch_or_patch(
        self, entry: _Entry, loader: Loader, prepare: Prepare, row_ids: RowIds, patch: Patch
    ) -> Any:
        namespace, full, count = entry.namespace, entry.full, entry.count
        found = await self.cache.get(full)
        if found is not None and _stamp(found) >= 0:
            changed = await self._changed_since(entry.log, _stamp(found), count)
            if changed is not None:
                value = found["v"]
                ready = prepare(value)
                if not changed.touches(row_ids(ready)):
                    count_cache(namespace, "hit")
                    return self._keep(namespace, full, value, ready, stamp=count)
                patched = await patch(value, changed.changes())
                if patched is not None:
                    await self.cache.set(
                        full, {"v": patched, "s": count}, ttl=self.ttl_for(namespace)
                    )
                    count_cache(namespace, "patched")
                    return self._keep(namespace, full, patched, prepare(patched), stamp=count)
        count_cache(namespace, "miss")
        # Stamped with the count read before the database, like a version.
        loaded = await self._load_once(namespace, full, loader, stamp=count)
        return self._keep(namespace, full, loaded, prepare(loaded), stamp=count)

    def _ttl_or_default(self, namespace: str) -> int:
        return self.ttl_for(namespace) or DEFAULT_LOCAL_TTL

    def _keep(
        self, namespace: str, full: str, value: Any, ready: Any, *, stamp: int | None = None
    ) -> Any:
        """Keep `ready` (what `value` was prepared into) as this process's copy of `full`
        (with the count it was read at, for `get_or_patch`); returns it."""
        if self.local.max_bytes > 0:  # sizing a value serialises it: only when kept
            size = len(dumps(value))
            kept = ready if stamp is None else (stamp, ready, size)
            self.local.put(full, kept, size, self._ttl_or_default(namespace))
        return ready

    async def _load_once(
        self, namespace: str, full: str, loader: Loader, *, stamp: int | None = None
    ) -> Any:
        """Load, and store under `full` (with its `stamp`, see `get_or_patch`), unless
        another process is doing it: then its value, once there (and stamped no older)."""
        lock = f"lock:{full}"
        if not await self.cache.add(lock, 1, ttl=max(1, round(self.lock_timeout))):
            # Another process is loading it: wait for its value, within reason.
            deadline = time.monotonic() + self.lock_timeout
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_EVERY)
                found = await self.cache.get(full)
                if found is not None:
                    if stamp is None or _stamp(found) >= stamp:
                        return found["v"]
                    break  # read before this reader's count: it reads the database itself
                if not self.cache.is_available():
                    break  # the cache went down meanwhile: its value will not come
            return await loader()
        try:
            value = await loader()
            # Wrapped, so a cached None or empty list is a hit, not a miss.
            entry = {"v": value} if stamp is None else {"v": value, "s": stamp}
            await self.cache.set(full, entry, ttl=self.ttl_for(namespace))
            return value
        finally:
            await self.cache.delete(lock)

    async def get_stats(self) -> CacheStats:
        """The backend's statistics, with the hits served from this process's copies
        (which never reach the backend) counted as hits."""
        stats = await self.cache.get_stats()
        return replace(
            stats,
            hits=stats.hits + self.local.hits,
            local_hits=self.local.hits,
            local_entries=len(self.local),
            local_bytes=self.local.size,
        )

    def ttl_for(self, namespace: str) -> int | None:
        """A namespace's TTL; `name:<id>` (one record) takes that of `name`."""
        return self.namespaces.ttl_for(namespace)

    async def close(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._retry_task
        await self.cache.close()
