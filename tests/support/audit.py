"""Probes for the audit tests: what the log holds, raw-SQL tampering as an attacker with
database access would do it, and events written at a chosen time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from shre.api.runtime import Runtime
from shre.audit import AuditTrail, VerifyReport, verify_chain
from shre.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from shre.audit.trail import commit
from shre.observability.metrics import COUNTERS

AUDIT = "/api/v1/audit"
VERIFY = "/api/v1/audit/verify"
# An event as the API shows it (CONTRACT.md §4, audit), in its order.
EVENT_COLUMNS = (
    "id",
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "client_ip",
    "request_id",
    "action",
    "target_type",
    "target_id",
    "target_ids",
    "fields",
    "outcome",
)
EVENT_FIELDS = set(EVENT_COLUMNS)


async def events(runtime: Runtime, action: str | None = None) -> list[AuditEvent]:
    """Every stored event in chain order (optionally of one action)."""
    async with runtime.sessionmaker() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.seq)
        if action is not None:
            stmt = stmt.where(AuditEvent.action == action)
        return list((await session.execute(stmt)).scalars())


async def counts(runtime: Runtime) -> Counter[str]:
    return Counter(e.action for e in await events(runtime))


async def new_events(runtime: Runtime, before: Counter[str]) -> Counter[str]:
    """The events by action written since `before` was taken."""
    after = await counts(runtime)
    after.subtract(before)
    return Counter({action: n for action, n in after.items() if n})


async def verify(runtime: Runtime) -> VerifyReport:
    return await verify_chain(runtime.sessionmaker, runtime.audit.sealer)


async def write(runtime: Runtime, n: int, action: str = "test.event", **kwargs: Any) -> None:
    """`n` events, one transaction each, as the system."""
    for _ in range(n):
        async with runtime.sessionmaker() as session:
            await AuditTrail.system(session, runtime.sessionmaker).record(action, **kwargs)
            await session.commit()


async def statements_of_read(by: Runtime, n: int) -> int:
    """The audit log's statements for one read event (`record_read`, target `r{n}`)."""
    before = COUNTERS.audit_queries
    async with by.sessionmaker() as session:
        await AuditTrail.system(session, by.sessionmaker).record_read(
            "test.read", target_id=f"r{n}"
        )
    return COUNTERS.audit_queries - before


async def statements_of_change(by: Runtime, n: int, *actions: str) -> int:
    """The audit log's statements for a transaction recording `actions` (target `w{n}`),
    committed as a request's is (`shre.audit.trail.commit`)."""
    before = COUNTERS.audit_queries
    async with by.sessionmaker() as session:
        trail = AuditTrail.system(session, by.sessionmaker)
        for action in actions:
            await trail.record(action, target_id=f"w{n}")
        await commit(session)
    return COUNTERS.audit_queries - before


async def tamper(runtime: Runtime, sql: str, **params: Any) -> None:
    """Run `sql` against the audit tables as an attacker with database access: on
    PostgreSQL with the append-only triggers switched off (a superuser can)."""
    async with runtime.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        await conn.execute(text(sql), params)
        if postgres:
            await conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


async def stored_text(runtime: Runtime) -> str:
    """Everything the audit tables hold, as one text (to search for values)."""
    parts: list[str] = []
    async with runtime.engine.connect() as conn:
        for table in (AuditEvent, AuditHead, AuditCheckpoint):
            for row in (await conn.execute(select(table.__table__))).all():
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


@contextmanager
def clock(monkeypatch: pytest.MonkeyPatch, when: datetime) -> Iterator[None]:
    """Events appended inside are stamped `when` (to have old events to prune)."""
    with monkeypatch.context() as patch:
        patch.setattr("shre.audit.chain.utcnow", lambda: when)
        yield
