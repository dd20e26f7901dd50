"""The embedded cache: bounded (least recently used entries go first), with TTLs, for one
process. The default when Redis is not enabled."""

from __future__ import annotations

import fnmatch
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from shre.cache.base import CacheStats, dumps, loads

PERMANENT = float("inf")


class MemoryCache:
    backend = "memory"
    shared = False

    def __init__(self, *, max_entries: int = 10_000, default_ttl: int = 3600) -> None:
        self.max_entries = max_entries
        self.default_ttl = default_ttl
        # key -> (expires at, monotonic clock; serialised value). Stored serialised, as
        # Redis would: callers never share a mutable object through the cache.
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._hits = 0
        self._misses = 0

    def scope(self, installation: uuid.UUID) -> None:
        """One process's memory holds one installation's entries only."""

    def is_available(self) -> bool:
        return True

    def is_enabled(self) -> bool:
        return True

    def _live(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, raw = entry
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return raw

    def _store(self, key: str, raw: bytes, ttl: float) -> None:
        self._entries[key] = (time.monotonic() + ttl, raw)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def get(self, key: str) -> Any | None:
        raw = self._live(key)
        if raw is None:
            self._misses += 1
            return None
        self._hits += 1
        return loads(raw)

    async def peek(self, key: str) -> Any | None:
        raw = self._live(key)
        return loads(raw) if raw is not None else None

    async def set(self, key: str, value: Any, ttl: int | None = None) -> bool:
        self._store(key, dumps(value), ttl or self.default_ttl)
        return True

    async def set_permanent(self, key: str, value: Any) -> bool:
        self._store(key, dumps(value), PERMANENT)
        return True

    async def add(self, key: str, value: Any, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._store(key, dumps(value), ttl)
        return True

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    async def delete_pattern(self, pattern: str) -> int:
        doomed = [k for k in self._entries if fnmatch.fnmatchcase(k, pattern)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)

    async def exists(self, key: str) -> bool:
        return self._live(key) is not None

    async def increment(
        self, key: str, amount: int = 1, ttl: int | None = None, *, start: int = 0
    ) -> int | None:
        raw = self._live(key)
        current = loads(raw) if raw is not None else None
        value = (current if isinstance(current, int) else start) + amount
        if raw is None:
            self._store(key, dumps(value), ttl if ttl is not None else PERMANENT)
        else:  # keeps its expiry, as Redis INCRBY does
            self._entries[key] = (self._entries[key][0], dumps(value))
        return value

    async def counter(self, key: str) -> int | None:
        raw = self._live(key)
        value = loads(raw) if raw is not None else 0
        return value if isinstance(value, int) else 0

    async def counters(self, keys: Sequence[str]) -> list[int | None] | None:
        found: list[int | None] = []
        for key in keys:
            raw = self._live(key)
            value = loads(raw) if raw is not None else None
            found.append(value if isinstance(value, int) else None)
        return found

    async def log_change(
        self, counter: str, log: str, entry: str, *, start: int, keep: int, ttl: int
    ) -> int | None:
        # No await in between: nothing else runs on this loop meanwhile (atomic). Each
        # entry is a key of its own (`{log}#{value}`): an append costs the same however
        # long the log is, and the newest `keep` stay. The log's own key (the last value)
        # stands for the whole, as Redis's sorted set does: gone, the log is gone.
        value = await self.increment(counter, start=start)
        assert value is not None  # noqa: S101 - this backend never fails
        self._store(f"{log}#{value}", dumps(entry), ttl)
        self._entries.pop(f"{log}#{value - keep}", None)
        self._store(log, dumps(value), ttl)
        return value

    async def changes(self, log: str, after: int, upto: int) -> list[tuple[int, str]] | None:
        if self._live(log) is None:
            return []
        values: Iterable[int] = range(after + 1, upto + 1)
        if upto - after > len(self._entries):  # a long range: look only at what is kept
            prefix = f"{log}#"
            kept = (k.removeprefix(prefix) for k in list(self._entries) if k.startswith(prefix))
            values = sorted(v for v in map(int, kept) if after < v <= upto)
        found = []
        for value in values:
            raw = self._live(f"{log}#{value}")
            entry = loads(raw) if raw is not None else None
            if isinstance(entry, str):
                found.append((value, entry))
        return found

    async def get_ttl(self, key: str) -> int | None:
        if self._live(key) is None:
            return None
        expires = self._entries[key][0]
        return -1 if expires == PERMANENT else max(0, round(expires - time.monotonic()))

    async def flush_all(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count

    async def get_stats(self) -> CacheStats:
        return CacheStats(
            enabled=True,
            backend=self.backend,
            hits=self._hits,
            misses=self._misses,
            errors=0,
            keys=len(self._entries),
            memory_bytes=sum(len(raw) + len(k) for k, (_, raw) in self._entries.items()),
        )

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._entries.clear()
