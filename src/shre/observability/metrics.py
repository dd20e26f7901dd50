"""Counters of this app process, for operators and the load benchmark: requests served
and SQL statements sent to the database (counted by an engine event, so every query
is counted, whichever code path sends it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(slots=True)
class ProcessCounters:
    requests: int = 0
    db_queries: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"pid": os.getpid(), "requests": self.requests, "db_queries": self.db_queries}


COUNTERS = ProcessCounters()


def count_queries(engine: AsyncEngine) -> None:
    def before_cursor_execute(*_: Any) -> None:
        COUNTERS.db_queries += 1

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)
