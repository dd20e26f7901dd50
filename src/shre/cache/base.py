"""The cache contract (the seed's methods) shared by the Redis and in-memory backends.

Values are JSON-shaped (dicts, lists, strings, numbers) serialised with orjson behind a
format byte, never pickle: a value written by another version of shre, or by anything
else, is treated as a miss instead of being executed or trusted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import orjson

FORMAT_V1 = b"\x01"
KEY_PREFIX = "shre:"


def installation_prefix(installation: uuid.UUID) -> str:
    """Where one installation's keys live in a shared backend."""
    return f"{KEY_PREFIX}{installation.hex[:16]}:"


@dataclass(frozen=True, slots=True)
class CacheStats:
    enabled: bool
    backend: str
    hits: int
    misses: int
    errors: int
    keys: int | None
    memory_bytes: int | None = None
    circuit_open: bool = False
    # Of those hits, served from this process's decoded copies (CacheLayer), and those.
    local_hits: int = 0
    local_entries: int = 0
    local_bytes: int = 0

    @property
    def hit_ratio(self) -> float | None:
        looked = self.hits + self.misses
        return round(self.hits / looked, 4) if looked else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "backend": self.backend,
            "hits": self.hits,
            "misses": self.misses,
            "hit_ratio": self.hit_ratio,
            "errors": self.errors,
            "keys": self.keys,
            "memory_bytes": self.memory_bytes,
            "circuit_open": self.circuit_open,
            "local_hits": self.local_hits,
            "local_entries": self.local_entries,
            "local_bytes": self.local_bytes,
        }


def _default(value: Any) -> str:
    # asyncpg returns its own UUID subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    raise TypeError(f"cannot cache a {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return FORMAT_V1 + orjson.dumps(value, default=_default)


def json_text(value: Any) -> str:
    """`value` as compact JSON text (what `dumps` writes, without the format byte)."""
    return orjson.dumps(value, default=_default).decode()


def as_counter(raw: object) -> int | None:
    """A counter as stored (an integer, or its digits), None when it is not one."""
    if isinstance(raw, int):
        return raw
    if isinstance(raw, bytes | str):
        try:
            return int(raw)
        except ValueError:
            return None
    return None


def loads(raw: bytes) -> Any | None:
    """The value, or None for anything not written by `dumps` (a miss, never an error)."""
    if not raw.startswith(FORMAT_V1):
        return None
    try:
        return orjson.loads(raw[1:])
    except orjson.JSONDecodeError:
        return None


@runtime_checkable
class Cache(Protocol):
    """Keys are given without the `shre:<installation>:` prefix; backends add it. A backend
    that fails (Redis down) never raises from these methods: reads miss, writes report
    False or None, and the error is counted."""

    backend: str
    # Whether other processes see the same entries (Redis), or only this one (memory).
    shared: bool

    def scope(self, installation: uuid.UUID) -> None:
        """Keep this installation's keys apart from any other's sharing the backend (two
        installations on one Redis database): called once, before any other method."""
        ...

    def is_enabled(self) -> bool: ...

    def is_available(self) -> bool:
        """False while the backend is known to be failing (an open circuit)."""
        ...

    async def get(self, key: str) -> Any | None: ...

    async def peek(self, key: str) -> Any | None:
        """`get`, not counted as a hit or a miss: for values the processes share to work
        together (a hint), which are not cached data."""
        ...

    async def set(self, key: str, value: Any, ttl: int | None = None) -> bool:
        """Store for `ttl` seconds (None: the backend's default TTL)."""
        ...

    async def set_permanent(self, key: str, value: Any) -> bool: ...

    async def add(self, key: str, value: Any, ttl: int) -> bool:
        """Store only if absent (a lock); True when this call stored it."""
        ...

    async def delete(self, key: str) -> bool: ...

    async def delete_pattern(self, pattern: str) -> int:
        """Delete the keys matching a glob pattern; the number deleted."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def increment(
        self, key: str, amount: int = 1, ttl: int | None = None, *, start: int = 0
    ) -> int | None:
        """Add to a counter, created at `start` (atomically: concurrent callers create it
        once); `ttl` is set when the counter is created. None when the backend failed."""
        ...

    async def counter(self, key: str) -> int | None:
        """A counter's value (0 when missing); None when the backend failed."""
        ...

    async def counters(self, keys: Sequence[str]) -> list[int | None] | None:
        """Several counters in one round trip: each value, None for a missing (or
        malformed) one; None as a whole when the backend failed."""
        ...

    async def log_change(
        self, counter: str, log: str, entry: str, *, start: int, keep: int, ttl: int
    ) -> int | None:
        """Count one change and log `entry` under the counter's new value, atomically (a
        reader that sees the value also finds the entry). The counter is created at
        `start` when missing; the log keeps its newest `keep` entries and expires `ttl`
        seconds after the last one. The new value; None when the backend failed."""
        ...

    async def changes(self, log: str, after: int, upto: int) -> list[tuple[int, str]] | None:
        """The entries logged under values in (after, upto], oldest first (fewer than
        asked for when some are gone); None when the backend failed."""
        ...

    async def get_ttl(self, key: str) -> int | None:
        """Seconds left; -1 for a permanent key; None for a missing key."""
        ...

    async def flush_all(self) -> int:
        """Delete every key of this installation (never anything else in the same Redis)."""
        ...

    async def get_stats(self) -> CacheStats: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
