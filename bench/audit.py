"""Audit log throughput: concurrent writers on one chain, and verify speed.

    python -m bench.audit [--writers 20] [--events 100] [--verify-events 100000]
                          [--database-url URL | --sqlite]

Creates a scratch PostgreSQL database on 127.0.0.1:5432 (dropped afterwards), or a
temporary SQLite file with --sqlite. Each writer commits one event per transaction (the
cost an audited request adds: take the chain's lock, insert, sign the head, commit);
each reader calls `record_read`, whose concurrent calls share an append (on PostgreSQL
one statement committed alone: no transaction around it). The chain is built as the web
app's (`build_runtime`, serving). Then the
chain is filled to --verify-events in transactions of 1,000 events and walked by
`verify_chain`, which recomputes every hash.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from shre import migrate
from shre.app import build_runtime
from shre.audit import AuditTrail, verify_chain
from shre.crypto import generate_key
from shre.settings import load_settings

ADMIN_URL = "postgresql+asyncpg://127.0.0.1:5432/test"


async def _admin(sql: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def writer(sessionmaker: async_sessionmaker[AsyncSession], events: int) -> None:
    for _ in range(events):
        async with sessionmaker() as session:
            trail = AuditTrail.system(session, sessionmaker)
            await trail.record(
                "employee.update",
                target_type="employee",
                target_id=uuid.uuid4(),
                fields=("salary", "job_title"),
                actor_id=uuid.uuid4(),
            )
            await session.commit()


async def reader(sessionmaker: async_sessionmaker[AsyncSession], events: int) -> None:
    for _ in range(events):
        async with sessionmaker() as session:
            await AuditTrail.system(session, sessionmaker).record_read(
                "employee.read_sensitive",
                target_type="employee",
                target_id=uuid.uuid4(),
                fields=("salary", "ssn"),
            )


async def fill(sessionmaker: async_sessionmaker[AsyncSession], total: int) -> float:
    started = time.perf_counter()
    done = 0
    while done < total:
        count = min(1000, total - done)
        async with sessionmaker() as session:
            trail = AuditTrail.system(session, sessionmaker)
            for _ in range(count):
                await trail.record(
                    "employee.list",
                    target_type="employee",
                    target_ids=[uuid.uuid4() for _ in range(3)],
                    fields=("first_name", "last_name"),
                )
            await session.commit()
        done += count
    return total / (time.perf_counter() - started)


async def run(url: str, tmp: Path, writers: int, events: int, verify_events: int) -> None:
    key = generate_key()
    settings = load_settings(
        _env_file=None,
        database_url=url,
        encryption_key=key,
        jwt_secret="x" * 48,
        shre_var_dir=tmp,
        database_pool_size=max(10, writers),
        log_level="WARNING",
    )
    await migrate.upgrade(settings)
    # The chain as the web app has it: its sessions' lock waits bounded, read events
    # through the chain's own pool (on PostgreSQL, a statement alone per batch).
    runtime = build_runtime(settings, serving=True)
    sessionmaker, chain = runtime.sessionmaker, runtime.audit
    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer(sessionmaker, events) for _ in range(writers)))
        elapsed = time.perf_counter() - started
        total = writers * events
        print(
            f"{writers} concurrent writers, 1 event per transaction: {total} events in "
            f"{elapsed:.2f} s = {total / elapsed:,.0f} events/s"
        )
        started = time.perf_counter()
        await asyncio.gather(*(reader(sessionmaker, events) for _ in range(writers)))
        elapsed = time.perf_counter() - started
        print(
            f"{writers} concurrent readers, record_read (group commit): {total} events in "
            f"{elapsed:.2f} s = {total / elapsed:,.0f} events/s"
        )
        total *= 2
        rate = await fill(sessionmaker, max(0, verify_events - total))
        print(f"bulk append, 1,000 events per transaction: {rate:,.0f} events/s")
        started = time.perf_counter()
        report = await verify_chain(sessionmaker, chain.sealer)
        elapsed = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"the chain does not verify: {report}")
        print(
            f"verify: {report.checked} events in {elapsed:.2f} s = "
            f"{report.checked / elapsed:,.0f} events/s"
        )
    finally:
        await runtime.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--events", type=int, default=100, help="per writer")
    parser.add_argument("--verify-events", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="an empty database to use")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            url = f"sqlite+aiosqlite:///{tmp}/audit.db"
            print("SQLite (WAL)")
            asyncio.run(run(url, Path(tmp), args.writers, args.events, args.verify_events))
            return
        if args.database_url:
            asyncio.run(
                run(args.database_url, Path(tmp), args.writers, args.events, args.verify_events)
            )
            return
        name = f"shre_bench_audit_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        try:
            url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            print("PostgreSQL")
            asyncio.run(run(url, Path(tmp), args.writers, args.events, args.verify_events))
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
