"""Failed-login throttling over a fixed window, per account and per client address.

Two implementations of one interface. `CacheThrottler` keeps the counters on the shared
cache (Redis: INCR with a TTL), so every app process sees the same counts; it is used
whenever the cache is Redis, and it hands an attempt to the database throttler when Redis
does not answer — throttling never fails open. `LoginThrottler` keeps them in the
database (the embedded default, and the fallback): a failed login raises a domain error
with `keep_changes=True`, so the counter update commits even though the request answers
401.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.auth.models import LoginThrottle
from shre.cache import Cache
from shre.db import UTCDateTime, state_of, upsert, utcnow


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    scope: str
    limit: int
    window: timedelta


def _insert(session: AsyncSession) -> Any:
    """INSERT with ON CONFLICT for the session's database."""
    return upsert(session.get_bind().dialect.name)


def account_key(email: str) -> str:
    return "acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def address_key(address: str) -> str:
    return "addr:" + hashlib.sha256(address.encode()).hexdigest()[:40]


class LoginThrottler:
    def __init__(self, *, per_account: int, per_address: int, window: timedelta) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window = window

    def limits(self, email: str, address: str) -> dict[str, int]:
        return {account_key(email): self.per_account, address_key(address): self.per_address}

    async def retry_after(self, session: AsyncSession, email: str, address: str) -> int | None:
        """Seconds until the caller may try again, or None when not throttled.

        Locks the caller's counter rows (creating them at zero) until the transaction ends, so
        concurrent attempts on one account or from one address are decided one after another:
        none passes this check while an earlier attempt's failure is still uncounted.
        """
        limits = self.limits(email, address)
        now = utcnow()
        waits = []
        # Always the same lock order, so two logins cannot deadlock on each other's rows.
        for key in sorted(limits):
            failures, started = await self._lock(session, key, now)
            if failures >= limits[key] and started + self.window > now:
                waits.append((started + self.window - now).total_seconds())
        return math.ceil(max(waits)) if waits else None

    async def _lock(self, session: AsyncSession, key: str, now: datetime) -> tuple[int, datetime]:
        """Lock the counter row of `key` (a new window when the old one is over); its
        failures and window start."""
        expired = LoginThrottle.window_started_at <= now - self.window
        stmt = (
            _insert(session)(LoginThrottle)
            .values(key=key, failures=0, window_started_at=now)
            .on_conflict_do_update(
                index_elements=[LoginThrottle.key],
                set_={
                    "failures": case((expired, 0), else_=LoginThrottle.failures),
                    "window_started_at": case(
                        (expired, literal(now, UTCDateTime())),
                        else_=LoginThrottle.window_started_at,
                    ),
                },
            )
            .returning(LoginThrottle.failures, LoginThrottle.window_started_at)
        )
        failures, started = (await session.execute(stmt)).one()
        return int(failures), started

    async def record_failure(self, session: AsyncSession, email: str, address: str) -> None:
        now = utcnow()
        cutoff = now - self.window
        insert = _insert(session)
        now_value = literal(now, UTCDateTime())
        for key in self.limits(email, address):
            expired = LoginThrottle.window_started_at <= cutoff
            stmt = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LoginThrottle.key],
                set_={
                    "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
                    "window_started_at": case(
                        (expired, now_value), else_=LoginThrottle.window_started_at
                    ),
                },
            )
            await session.execute(stmt)
        # Old windows are worthless; keep the table small. Rows another login holds locked
        # are skipped (PostgreSQL): waiting for them could deadlock with that login.
        old = (
            select(LoginThrottle.key)
            .where(LoginThrottle.window_started_at <= cutoff)
            .with_for_update(skip_locked=True)
        )
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(old)))

    async def clear_account(self, session: AsyncSession, email: str, address: str) -> None:
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))


class _InDatabase:
    """A session's part, there when the cache could not decide an attempt: the database
    did, and counts it."""


class CacheThrottler:
    """Counters on the shared cache. Each attempt is counted before the password is
    checked (INCR is atomic): at most `limit` attempts per window get past the check, even
    when many arrive at once; a successful sign-in takes its attempt back."""

    def __init__(self, cache: Cache, database: LoginThrottler) -> None:
        self.cache = cache
        self.database = database

    def _key(self, key: str) -> str:
        return f"throttle:{key}"

    async def retry_after(self, session: AsyncSession, email: str, address: str) -> int | None:
        window = math.ceil(self.database.window.total_seconds())
        waits: list[int] = []
        for key, limit in sorted(self.database.limits(email, address).items()):
            attempts = await self.cache.increment(self._key(key), 1, ttl=window)
            if attempts is None:
                state_of(session).part(_InDatabase)
                return await self.database.retry_after(session, email, address)
            if attempts > limit:
                left = await self.cache.get_ttl(self._key(key))
                waits.append(left if left is not None and left > 0 else window)
        return max(waits) if waits else None

    async def record_failure(self, session: AsyncSession, email: str, address: str) -> None:
        if state_of(session).take(_InDatabase) is not None:
            await self.database.record_failure(session, email, address)
        # Otherwise it was counted when it was checked.

    async def clear_account(self, session: AsyncSession, email: str, address: str) -> None:
        if state_of(session).take(_InDatabase) is not None:
            await self.database.clear_account(session, email, address)
            return
        await self.cache.delete(self._key(account_key(email)))
        # The address counts failures: this attempt was not one.
        await self.cache.increment(self._key(address_key(address)), -1)


Throttler = LoginThrottler | CacheThrottler
