"""Counters of this app process, for operators and the load benchmark: requests served
and SQL statements sent to the database (counted by an engine event, so every query
is counted, whichever code path sends it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shre.observability.prometheus import DB_POOL_IN_USE, DB_POOL_OVERFLOW, DB_STATEMENTS


@dataclass(slots=True)
class ProcessCounters:
    requests: int = 0
    db_queries: int = 0
    audit_queries: int = 0  # of db_queries: those that append audit events

    def as_dict(self) -> dict[str, int]:
        return {
            "pid": os.getpid(),
            "requests": self.requests,
            "db_queries": self.db_queries,
            "audit_queries": self.audit_queries,
        }


COUNTERS = ProcessCounters()


_AUDITING = "shre.counted_as_audit"


@contextmanager
def counted_as_audit(conn: Connection) -> Iterator[None]:
    """The statements `conn` sends meanwhile are counted as the audit log's too (marked
    on the connection: other requests' statements, sent while this one waits for the
    database, are not)."""
    info = conn.info  # kept: a connection that failed meanwhile cannot give it again
    info[_AUDITING] = True
    try:
        yield
    finally:
        info.pop(_AUDITING, None)


def count_statement(*, audit: bool) -> None:
    """A statement sent to the database (`audit`: one that appends audit events): what
    `count_queries` counts for an engine's cursors, and a driver's direct calls count."""
    COUNTERS.db_queries += 1
    DB_STATEMENTS.inc()
    if audit:
        COUNTERS.audit_queries += 1


def count_queries(engine: AsyncEngine) -> None:
    def before_cursor_execute(conn: Connection, *_: Any) -> None:
        count_statement(audit=_AUDITING in conn.info)

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)


def watch_pool(engine: AsyncEngine) -> None:
    """The pool's connections lent out, and those open beyond its size, as gauges (moved
    by the pool's own events: right whichever worker is scraped)."""
    pool = engine.sync_engine.pool
    overflow = getattr(pool, "overflow", None)  # a queue pool's; SQLite's pools have none

    def moved(*_: Any) -> None:
        if overflow is not None:
            DB_POOL_OVERFLOW.set(max(0, overflow()))

    def checkout(*_: Any) -> None:
        DB_POOL_IN_USE.inc()
        moved()

    def checkin(*_: Any) -> None:
        DB_POOL_IN_USE.dec()
        moved()

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
