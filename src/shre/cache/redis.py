"""The shared cache on Redis (redis-py asyncio, one connection pool per process).

Every call goes through the circuit breaker and never raises: a failure is counted,
logged without the value, and answered as a miss (reads) or False/None (writes), so the
request goes on against the database. Retries with exponential backoff are redis-py's
own; timeouts are short, since a cache that answers slowly is worse than none.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from shre.cache.base import CacheStats, as_counter, dumps, installation_prefix, loads
from shre.cache.breaker import CircuitBreaker
from shre.settings import Settings

T = TypeVar("T")
log = structlog.get_logger("shre.cache")
SCAN_BATCH = 1000
Hook = Callable[[], Awaitable[None]]
# KEYS: counter, log; ARGV: start, entry, keep, ttl. A member is "<value> <entry>": unique
# (a sorted set keeps one of equal members), and the value is its score. Lua numbers are
# doubles, written with 14 digits: the value goes on as text, every digit of it.
LOG_CHANGE = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
local value = redis.call('INCR', KEYS[1])
local text = string.format('%.0f', value)
redis.call('ZADD', KEYS[2], text, text .. ' ' .. ARGV[2])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return value
"""


class _Asked:
    """Counters asked for in one turn of the event loop, and what the one read finds."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.keys: set[str] = set()
        self.found: asyncio.Future[dict[str, int | None] | None] = loop.create_future()
        self.reading: asyncio.Task[None] | None = None  # kept: a task nobody holds may go


class RedisCache:
    backend = "redis"
    shared = True

    def __init__(
        self,
        client: Redis,
        *,
        default_ttl: int = 3600,
        prefix: str | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self.default_ttl = default_ttl
        # None until `scope` names the installation: no key is written outside it.
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker()
        self._hits = 0
        self._misses = 0
        self._errors = 0
        self._reconnect_hooks: list[Hook] = []
        self._log_change = client.register_script(LOG_CHANGE)
        # The counters asked for in this turn of the event loop, read by one MGET.
        self._asked: _Asked | None = None

    @classmethod
    def connect(
        cls,
        *,
        host: str,
        port: int,
        db: int = 0,
        password: str | None = None,
        timeout: float = 0.25,
        max_connections: int = 50,
        pool_timeout: float = 1.0,
        default_ttl: int = 3600,
        prefix: str | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> RedisCache:
        """A pool that gives up fast on Redis: short timeouts, two quick retries (redis-py's
        own exponential backoff), so a refused connection costs tens of milliseconds until
        the breaker opens. But not on its own size: with every connection lent out, a
        command waits for one (`pool_timeout` at most) instead of failing, which would
        send its request to the database."""
        pool = BlockingConnectionPool(
            host=host,
            port=port,
            db=db,
            password=password,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.005), retries=2),
            max_connections=max_connections,
            timeout=pool_timeout,
            health_check_interval=30,
            client_name="shre",
        )
        return cls(Redis.from_pool(pool), default_ttl=default_ttl, prefix=prefix, breaker=breaker)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisCache:
        return cls.connect(
            host=settings.redis_host,
            port=settings.redis_port,
            db=settings.redis_db,
            password=(
                settings.redis_password.get_secret_value() if settings.redis_password else None
            ),
            timeout=settings.redis_socket_timeout_ms / 1000,
            max_connections=(
                settings.redis_max_connections or settings.max_concurrent_requests + 8
            ),
            pool_timeout=settings.redis_pool_timeout_ms / 1000,
            default_ttl=settings.cache_ttl,
        )

    def on_reconnect(self, hook: Hook) -> None:
        """Run `hook` when Redis answers again after an outage (before anything else)."""
        self._reconnect_hooks.append(hook)

    def is_available(self) -> bool:
        # Not scoped yet (the database's identity unknown: it was down at start-up): no
        # key can be named, so it answers as a cache that is down.
        return self.prefix is not None and not self.breaker.is_open

    def is_enabled(self) -> bool:
        return True

    def scope(self, installation: uuid.UUID) -> None:
        self.prefix = installation_prefix(installation)

    def _key(self, key: str) -> str:
        if self.prefix is None:
            # A programming error, never a fallback to a key another installation shares.
            raise RuntimeError("RedisCache used before scope(installation)")
        return self.prefix + key

    async def _call(self, operation: Callable[[], Awaitable[T]], fallback: T) -> T:
        if self.prefix is None or not self.breaker.allow():
            return fallback
        try:
            result = await operation()
        except (RedisError, OSError) as exc:
            self._errors += 1
            self.breaker.failure()
            log.warning("cache.error", error=type(exc).__name__, circuit=self.breaker.state.value)
            return fallback
        if self.breaker.success():
            log.info("cache.reconnected")
            for hook in self._reconnect_hooks:
                await hook()
        return result

    async def get(self, key: str) -> Any | None:
        raw = await self._call(lambda: self.client.get(self._key(key)), None)
        value = loads(raw) if isinstance(raw, bytes) else None
        if value is None:
            self._misses += 1
        else:
            self._hits += 1
        return value

    async def peek(self, key: str) -> Any | None:
        raw = await self._call(lambda: self.client.get(self._key(key)), None)
        return loads(raw) if isinstance(raw, bytes) else None

    async def set(self, key: str, value: Any, ttl: int | None = None) -> bool:
        raw = dumps(value)
        done = await self._call(
            lambda: self.client.set(self._key(key), raw, ex=ttl or self.default_ttl), None
        )
        return bool(done)

    async def set_permanent(self, key: str, value: Any) -> bool:
        raw = dumps(value)
        return bool(await self._call(lambda: self.client.set(self._key(key), raw), None))

    async def add(self, key: str, value: Any, ttl: int) -> bool:
        raw = dumps(value)
        done = await self._call(lambda: self.client.set(self._key(key), raw, ex=ttl, nx=True), None)
        return bool(done)

    async def delete(self, key: str) -> bool:
        return bool(await self._call(lambda: self.client.unlink(self._key(key)), 0))

    async def delete_pattern(self, pattern: str) -> int:
        """SCAN + UNLINK in batches: never KEYS, never one huge command, so Redis keeps
        serving other clients while a large namespace goes."""

        async def sweep() -> int:
            deleted = 0
            batch: list[bytes] = []
            async for key in self.client.scan_iter(match=self._key(pattern), count=SCAN_BATCH):
                batch.append(key)
                if len(batch) >= SCAN_BATCH:
                    deleted += await self.client.unlink(*batch)
                    batch = []
            if batch:
                deleted += await self.client.unlink(*batch)
            return deleted

        return await self._call(sweep, 0)

    async def exists(self, key: str) -> bool:
        return bool(await self._call(lambda: self.client.exists(self._key(key)), 0))

    async def increment(
        self, key: str, amount: int = 1, ttl: int | None = None, *, start: int = 0
    ) -> int | None:
        async def incr() -> int:
            full = self._key(key)
            async with self.client.pipeline(transaction=True) as pipe:
                if start:
                    pipe.set(full, start, nx=True)  # MULTI/EXEC: created once, then added to
                pipe.incrby(full, amount)
                if ttl is not None:
                    pipe.expire(full, ttl, nx=True)  # only when the counter is new
                results = await pipe.execute()
            return int(results[1 if start else 0])

        return await self._call(incr, None)

    async def counter(self, key: str) -> int | None:
        async def read() -> tuple[bool, Any]:
            return True, await self.client.get(self._key(key))

        ok, raw = await self._call(read, (False, None))
        if not ok:
            return None
        try:
            return int(raw) if raw is not None else 0
        except ValueError:
            return 0

    async def counters(self, keys: Sequence[str]) -> list[int | None] | None:
        """The counters' values (None: no such counter), or None when Redis failed.

        The counters asked for by every request in one turn of the event loop are read by
        one MGET, sent at the next turn: under load, a request's namespace versions
        (`CacheLayer._versions`, asked by nearly every request) share their round trip
        with the others'. Each is still read after its request asked for it."""
        if not keys:
            return []
        loop = asyncio.get_running_loop()
        asked = self._asked
        if asked is None or asked.loop is not loop:  # (a loop closed before its turn came)
            asked = self._asked = _Asked(loop)
            loop.call_soon(self._read_asked)
        asked.keys.update(keys)
        found = await asyncio.shield(asked.found)
        return None if found is None else [found[key] for key in keys]

    def _read_asked(self) -> None:
        asked, self._asked = self._asked, None
        if asked is not None:
            asked.reading = asked.loop.create_task(self._read_counters(asked))

    async def _read_counters(self, asked: _Asked) -> None:
        keys = list(asked.keys)

        async def read() -> tuple[bool, list[Any]]:
            return True, await self.client.mget([self._key(k) for k in keys])

        failed: tuple[bool, list[Any]] = (False, [])
        try:
            ok, raw = await self._call(read, failed)
        except BaseException as exc:  # not Redis's (those are a failed read): theirs
            asked.found.set_exception(exc)
            asked.found.exception()  # retrieved: the waiters get it, nobody warns
            raise
        found = dict(zip(keys, (as_counter(r) for r in raw), strict=True)) if ok else None
        asked.found.set_result(found)

    async def log_change(
        self, counter: str, log: str, entry: str, *, start: int, keep: int, ttl: int
    ) -> int | None:
        async def append() -> int:
            keys = [self._key(counter), self._key(log)]
            return int(await self._log_change(keys=keys, args=[start, entry, keep, ttl]))

        return await self._call(append, None)

    async def changes(self, log: str, after: int, upto: int) -> list[tuple[int, str]] | None:
        async def read() -> tuple[bool, list[Any]]:
            return True, await self.client.zrangebyscore(self._key(log), f"({after}", upto)

        failed: tuple[bool, list[Any]] = (False, [])
        ok, members = await self._call(read, failed)
        if not ok:
            return None
        found = []
        for member in members:
            version, _, entry = member.decode().partition(" ")
            found.append((int(version), entry))
        return found

    async def get_ttl(self, key: str) -> int | None:
        seconds = await self._call(lambda: self.client.ttl(self._key(key)), -2)
        return None if seconds == -2 else int(seconds)

    async def flush_all(self) -> int:
        return await self.delete_pattern("*")

    async def get_stats(self) -> CacheStats:
        async def sizes() -> tuple[int, int]:
            memory = await self.client.info("memory")
            return int(await self.client.dbsize()), int(memory.get("used_memory", 0))

        keys, memory = await self._call(sizes, (-1, -1))
        return CacheStats(
            enabled=True,
            backend=self.backend,
            hits=self._hits,
            misses=self._misses,
            errors=self._errors,
            keys=None if keys < 0 else keys,
            memory_bytes=None if memory < 0 else memory,
            circuit_open=self.breaker.is_open,
        )

    async def ping(self) -> bool:
        return bool(await self._call(lambda: self.client.ping(), False))

    async def close(self) -> None:
        await self.client.aclose()
