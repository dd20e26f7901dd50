"""No cache: every read misses, nothing is stored. Used when caching is switched off, and
when several app processes would otherwise each keep their own in-memory cache (they
could not invalidate each other's entries: stale reads)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from shre.cache.base import CacheStats


class NullCache:
    backend = "none"
    shared = False

    def __init__(self) -> None:
        self._misses = 0

    def scope(self, installation: uuid.UUID) -> None:
        """Nothing is kept: nothing to keep apart."""

    def is_available(self) -> bool:
        return False

    def is_enabled(self) -> bool:
        return False

    async def get(self, key: str) -> Any | None:
        self._misses += 1
        return None

    async def peek(self, key: str) -> Any | None:
        return None

    async def set(self, key: str, value: Any, ttl: int | None = None) -> bool:
        return False

    async def set_permanent(self, key: str, value: Any) -> bool:
        return False

    async def add(self, key: str, value: Any, ttl: int) -> bool:
        return True  # the lock is "taken" at once: load, never wait

    async def delete(self, key: str) -> bool:
        return False

    async def delete_pattern(self, pattern: str) -> int:
        return 0

    async def exists(self, key: str) -> bool:
        return False

    async def increment(
        self, key: str, amount: int = 1, ttl: int | None = None, *, start: int = 0
    ) -> int | None:
        return None

    async def counters(self, keys: Sequence[str]) -> list[int | None] | None:
        return None

    async def counter(self, key: str) -> int | None:
        return None  # "unavailable": the layer goes straight to the loader

    async def log_change(
        self, counter: str, log: str, entry: str, *, start: int, keep: int, ttl: int
    ) -> int | None:
        return None

    async def changes(self, log: str, after: int, upto: int) -> list[tuple[int, str]] | None:
        return None

    async def get_ttl(self, key: str) -> int | None:
        return None

    async def flush_all(self) -> int:
        return 0

    async def get_stats(self) -> CacheStats:
        return CacheStats(
            enabled=False, backend=self.backend, hits=0, misses=self._misses, errors=0, keys=0
        )

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
