"""What services use: read-through caching by namespace, and invalidation by namespace.

Every entity type has a namespace version (a counter in the cache). Cached entries live
under `{namespace}:v{version}:{key}`; a write bumps the version once its transaction has
committed, so every entry of the old version is unreachable at once (they expire by TTL).
The order makes it sound: a reader takes the version before it reads the database, so a
reader that could have seen the data before a commit also holds the version before the
bump, and what it stores is never found again.

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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from typing import Any

import orjson
import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shre.cache.base import Cache

log = structlog.get_logger("shre.cache")
Loader = Callable[[], Awaitable[Any]]
RETRY_DIRTY_EVERY = 1.0
POLL_EVERY = 0.02


def key_of(*parts: Any) -> str:
    """A short, stable key for a query's parameters (order-sensitive)."""
    raw = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(raw).hexdigest()[:32]


class CacheLayer:
    def __init__(self, cache: Cache, ttls: Mapping[str, int], *, lock_timeout: float = 2.0) -> None:
        self.cache = cache
        self.ttls = dict(ttls)
        self.lock_timeout = lock_timeout
        self.dirty: set[str] = set()
        self._epoch = 0
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._retry_task: asyncio.Task[None] | None = None
        hook = getattr(cache, "on_reconnect", None)
        if hook is not None:
            hook(self._reconnected)

    async def _reconnected(self) -> None:
        self._epoch += 1
        await self.flush_dirty()

    async def flush_dirty(self) -> None:
        for namespace in sorted(self.dirty):
            if await self.cache.increment(f"ns:{namespace}") is None:
                return
            self.dirty.discard(namespace)
            log.info("cache.invalidated_after_outage", namespace=namespace)

    async def invalidate(self, *namespaces: str) -> None:
        """Make every cached entry of these namespaces unreachable (after the commit)."""
        if not self.cache.is_enabled():
            return
        for namespace in namespaces:
            if await self.cache.increment(f"ns:{namespace}") is None:
                self.dirty.add(namespace)
        if self.dirty and (self._retry_task is None or self._retry_task.done()):
            self._retry_task = asyncio.create_task(self._retry_dirty())

    async def invalidate_now(self, *namespaces: str) -> list[str]:
        """Invalidate without retrying later (a command about to exit); the namespaces
        that could not be invalidated."""
        if not self.cache.is_enabled():
            return []
        return [n for n in namespaces if await self.cache.increment(f"ns:{n}") is None]

    async def _retry_dirty(self) -> None:
        while self.dirty:
            await asyncio.sleep(RETRY_DIRTY_EVERY)
            await self.flush_dirty()

    async def get_or_load(
        self, namespace: str, key: str, loader: Loader, *, within: str | None = None
    ) -> Any:
        """The cached value for `key` in `namespace`, or `loader()`'s (then cached).
        `within`: a wider namespace whose invalidation drops this one too (one record's
        namespace within its entity type's, which bulk operations invalidate)."""
        if not self.cache.is_enabled():
            return await loader()
        if self.dirty:
            await self.flush_dirty()
            if self.dirty:
                return await loader()
        epoch = self._epoch
        version = await self.cache.counter(f"ns:{namespace}")
        outer = 0 if within is None else await self.cache.counter(f"ns:{within}")
        if version is None or outer is None or epoch != self._epoch or self.dirty:
            return await loader()  # cache down, or it just came back: trust the database
        full = f"{namespace}:v{outer}.{version}:{key}"
        found = await self.cache.get(full)
        if found is not None:
            return found["v"]
        running = self._inflight.get(full)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[full] = future
        try:
            value = await self._load_once(namespace, full, loader)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody warns
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[full]

    async def _load_once(self, namespace: str, full: str, loader: Loader) -> Any:
        lock = f"lock:{full}"
        if not await self.cache.add(lock, 1, ttl=max(1, round(self.lock_timeout))):
            # Another process is loading it: wait for its value, within reason.
            deadline = time.monotonic() + self.lock_timeout
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_EVERY)
                found = await self.cache.get(full)
                if found is not None:
                    return found["v"]
                if not self.cache.is_available():
                    break  # the cache went down meanwhile: its value will not come
            return await loader()
        try:
            value = await loader()
            # Wrapped, so a cached None or empty list is a hit, not a miss.
            await self.cache.set(full, {"v": value}, ttl=self.ttl_for(namespace))
            return value
        finally:
            await self.cache.delete(lock)

    def ttl_for(self, namespace: str) -> int | None:
        """A namespace's TTL; `employee:<id>` (one record) takes that of `employee`."""
        return self.ttls.get(namespace, self.ttls.get(namespace.split(":", 1)[0]))

    async def close(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._retry_task
        await self.cache.close()


INVALIDATE_KEY = "shre.cache.invalidate"


def invalidate_on_commit(session: AsyncSession, *namespaces: str) -> None:
    """Ask for these namespaces to be invalidated once the session's transaction has
    committed (the request's session dependency and the CLI do it, before replying)."""
    session.info.setdefault(INVALIDATE_KEY, set()).update(namespaces)


def pending_invalidations(session: AsyncSession) -> set[str]:
    """The namespaces asked for, taken (the next transaction starts with none)."""
    taken: set[str] = session.info.pop(INVALIDATE_KEY, set())
    return taken


def invalidate_when_changed(model: type[Any], namespaces: Callable[[Any], Iterable[str]]) -> None:
    """Whenever a flush writes rows of `model` (insert, update, delete) through the ORM,
    invalidate `namespaces(row)` once the transaction commits: no write path of that model
    can forget its cache. (Bulk Core statements bypass it: do not use them on `model`.)"""

    @event.listens_for(Session, "after_flush")
    def _changed(session: Session, _context: Any) -> None:
        touched = [
            obj
            for obj in (*session.new, *session.dirty, *session.deleted)
            if isinstance(obj, model)
        ]
        if touched:
            pending = session.info.setdefault(INVALIDATE_KEY, set())
            for obj in touched:
                pending.update(namespaces(obj))
