"""Failed-login throttling over a fixed window, per account and per client address.

Counters live in the database, so every app process sees the same counts. A failed login
raises a domain error with `keep_changes=True`, so the counter update commits even though
the request answers 401.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shre.auth.models import LoginThrottle
from shre.db import UTCDateTime, utcnow


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    scope: str
    limit: int
    window: timedelta


def account_key(email: str) -> str:
    return "acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def address_key(address: str) -> str:
    return "addr:" + hashlib.sha256(address.encode()).hexdigest()[:40]


class LoginThrottler:
    def __init__(self, *, per_account: int, per_address: int, window: timedelta) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window = window

    def _limits(self, email: str, address: str) -> dict[str, int]:
        return {account_key(email): self.per_account, address_key(address): self.per_address}

    async def retry_after(self, session: AsyncSession, email: str, address: str) -> int | None:
        """Seconds until the caller may try again, or None when not throttled."""
        limits = self._limits(email, address)
        now = utcnow()
        rows = (
            await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(list(limits))))
        ).scalars()
        waits = [
            (row.window_started_at + self.window - now).total_seconds()
            for row in rows
            if row.failures >= limits[row.key] and row.window_started_at + self.window > now
        ]
        return math.ceil(max(waits)) if waits else None

    async def record_failure(self, session: AsyncSession, email: str, address: str) -> None:
        now = utcnow()
        cutoff = now - self.window
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now_value = literal(now, UTCDateTime())
        for key in self._limits(email, address):
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
        # Old windows are worthless; keep the table small.
        await session.execute(
            delete(LoginThrottle).where(LoginThrottle.window_started_at <= cutoff)
        )

    async def clear_account(self, session: AsyncSession, email: str) -> None:
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(email)))
