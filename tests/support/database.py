"""The test databases: PostgreSQL's administration, emptying the tables between tests,
and the SQL statements a block sends."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from shre.api.runtime import Runtime
from shre.models import metadata
from tests.support.servers import unavailable

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://127.0.0.1:5432/test")

# Every table but the installation's identity: apps started one after the other on this
# database are one installation, as they are in production (their shared cache's keys
# are scoped by it).
TABLES = [t.name for t in reversed(metadata.sorted_tables) if t.name != "installation"]
# The job queue's (PostgreSQL only; not in the ORM's metadata).
QUEUE_TABLES = [
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
]


async def pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def own_database(prefix: str) -> AsyncIterator[str]:
    """A PostgreSQL database of its own for the block (named `<prefix>_<random>`), for a
    server process of the tests to write into; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        await pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure to reach it: skipped, or failed in CI
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_tables(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The audit log refuses TRUNCATE (an append-only trigger); a test starts from empty
            # tables, so triggers are off for this one transaction (a superuser's privilege).
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES + QUEUE_TABLES)} CASCADE"))


@contextmanager
def statements_sent(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements sent on the runtime's engine while the block runs (the audit
    log's small pool of its own aside), in order, as sent."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)
