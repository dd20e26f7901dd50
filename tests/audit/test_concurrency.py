"""Concurrent writers never fork the chain; a writer stuck on the chain's lock makes the
request fail with 503 instead of hanging; PostgreSQL refuses changes to the table."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, text

from shre.api.runtime import Runtime
from shre.app import build_runtime
from shre.audit import AuditTrail, AuditUnavailable
from shre.departments.models import Department
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events, statements_of_change, statements_of_read, verify, write
from tests.support.departments import DEPARTMENTS, create_department, department_url
from tests.support.employees import SENSITIVE, create, employee_body

WRITERS = 20
EACH = 10


async def _writer(runtime: Runtime, n: int) -> None:
    for i in range(EACH):
        async with runtime.sessionmaker() as session:
            trail = AuditTrail.system(session, runtime.sessionmaker)
            if i % 3 == 2:
                await trail.record_read("test.read", target_id=f"w{n}-{i}")
            else:
                await trail.record("test.write", target_id=f"w{n}-{i}")
                await trail.record("test.write_more", target_id=f"w{n}-{i}")
            await session.commit()


async def test_concurrent_writers_leave_one_valid_chain(runtime: Runtime) -> None:
    await asyncio.gather(*(_writer(runtime, n) for n in range(WRITERS)))

    stored = await events(runtime)
    reads = WRITERS * sum(1 for i in range(EACH) if i % 3 == 2)
    assert len(stored) == reads + 2 * (WRITERS * EACH - reads)
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    report = await verify(runtime)
    assert report.ok, report
    assert report.checked == len(stored)


async def test_a_process_that_wrote_the_head_appends_after_it_in_one_statement(
    runtime: Runtime, settings: Settings
) -> None:
    """Each process remembers the head it wrote last; its next append guesses that it is
    still the head (PostgreSQL): one statement when it is, and when another process
    appended meanwhile, the locked append after the head found. One chain either way."""
    other = build_runtime(settings, serving=True)  # a second app process, same database
    postgres = runtime.engine.dialect.name == "postgresql"

    read = statements_of_read

    async def change(by: Runtime, n: int) -> int:
        return await statements_of_change(by, n, "test.write", "test.write_more")

    try:
        costs = [await read(runtime, 0), await read(runtime, 1), await change(runtime, 2)]
        costs += [await read(other, 3), await read(runtime, 4), await read(runtime, 5)]
        costs += [await change(other, 6), await change(other, 7)]
    finally:
        await other.audit.aclose()
        await other.engine.dispose()
    if postgres:
        # (The first starts the chain.) A change's wait for the lock is bounded by the app's
        # connections already (DATABASE_LOCK_TIMEOUT_MS, see tests/employees/
        # test_concurrency.py for when it bounds it itself): no statement more.
        assert costs[1:] == [1, 1, 2, 2, 1, 2, 1]
    stored = await events(runtime)
    assert [e.target_id for e in stored] == [
        "r0", "r1", "w2", "w2", "r3", "r4", "r5", "w6", "w6", "w7", "w7"
    ]  # fmt: skip
    assert [e.seq for e in stored] == list(range(1, 12))
    report = await verify(runtime)
    assert report.ok, report
    assert report.checked == 11


async def test_concurrent_reads_share_transactions(runtime: Runtime) -> None:
    """record_read groups the reads that arrive together: one transaction (one `at`) for
    many events, each caller returning only once its event is committed."""

    async def read(n: int) -> None:
        async with runtime.sessionmaker() as session:
            trail = AuditTrail.system(session, runtime.sessionmaker)
            await trail.record_read("test.read", target_id=f"r-{n}")
            stored = await events(runtime, "test.read")
            assert f"r-{n}" in {e.target_id for e in stored}

    await asyncio.gather(*(read(n) for n in range(30)))
    stored = await events(runtime)
    assert len(stored) == 30
    assert len({e.at for e in stored}) < 30
    assert (await verify(runtime)).ok


async def test_a_read_inside_a_writing_transaction_does_not_wait_for_itself(
    runtime: Runtime,
) -> None:
    """SQLite has one write lock: a read event written on a second connection would wait
    for the caller's own transaction. It joins that transaction instead."""
    async with runtime.sessionmaker() as session:
        session.add(Department(name="Written first"))
        await session.flush()
        trail = AuditTrail.system(session, runtime.sessionmaker)
        await trail.record("department.create", target_type="department")
        await trail.record_read("department.read_salary_stats", target_type="department")
        await session.commit()
    assert sorted(e.action for e in await events(runtime)) == [
        "department.create",
        "department.read_salary_stats",
    ]
    assert (await verify(runtime)).ok


class TestPostgres:
    """PostgreSQL only: SQLite waits for its write lock (busy_timeout) and has no triggers
    on the table (see the README)."""

    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"audit_lock_timeout_ms": 300}

    async def test_a_stuck_chain_fails_the_request_with_503_and_changes_nothing(
        self, client: httpx.AsyncClient, runtime: Runtime, admin: Account, accounts: Accounts
    ) -> None:
        hr = await accounts.signed_in(Role.HR)
        dept = await create_department(client, admin)
        for i in range(5):  # a group large enough for its salary figures to be shown
            body = employee_body(
                f"E{i}", f"e{i}@example.com", department_id=dept["id"], **SENSITIVE
            )
            await create(client, admin, body)
        async with runtime.engine.connect() as holder:
            await holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            created = await client.post(DEPARTMENTS, json={"name": "Blocked"}, headers=hr.headers)
            assert_problem(created, 503, "audit_unavailable")
            assert "Retry-After" in created.headers
            stats = await client.get(department_url(dept["id"]) + "/stats", headers=hr.headers)
            assert_problem(stats, 503, "audit_unavailable")  # fail closed: no salaries
            await holder.rollback()
        async with runtime.sessionmaker() as session:
            names = set((await session.execute(select(Department.name))).scalars())
        assert "Blocked" not in names
        # Released: everything works again, and the chain is whole.
        again = await client.post(DEPARTMENTS, json={"name": "Blocked"}, headers=hr.headers)
        assert again.status_code == 201
        assert (await verify(runtime)).ok

    async def test_a_read_after_a_known_head_is_one_statement_without_a_transaction(
        self, runtime: Runtime
    ) -> None:
        """Read events are appended by one statement committed on its own: no BEGIN and
        no COMMIT, so one round trip to the database (the first read starts the chain, in
        a transaction: this process knew no head yet)."""
        assert runtime.audit.reads is not None
        engine = runtime.audit.reads.kw["bind"]
        begun: list[object] = []
        listener = lambda *_: begun.append(_)  # noqa: E731
        event.listen(engine.sync_engine, "begin", listener)
        try:
            await statements_of_read(runtime, 0)  # starts the chain
            begun_first = len(begun)
            second = [await statements_of_read(runtime, n) for n in range(1, 4)]
        finally:
            event.remove(engine.sync_engine, "begin", listener)
        assert begun_first == 1
        assert (second, len(begun)) == ([1, 1, 1], 1)
        assert [e.target_id for e in await events(runtime)] == ["r0", "r1", "r2", "r3"]
        assert (await verify(runtime)).ok

    async def test_a_read_whose_connection_died_fails_closed_and_the_next_one_works(
        self, runtime: Runtime
    ) -> None:
        """The statement's connection was cut (a database restart, a proxy): that read is
        refused (503) and not recorded, the connection is dropped, and the next read goes
        through a new one."""
        assert runtime.audit.reads is not None
        engine = runtime.audit.reads.kw["bind"]
        await statements_of_read(runtime, 0)
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
        async with runtime.engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        with pytest.raises(AuditUnavailable):
            await statements_of_read(runtime, 1)
        assert await statements_of_read(runtime, 2) == 1
        assert [e.target_id for e in await events(runtime)] == ["r0", "r2"]
        assert (await verify(runtime)).ok

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE audit_events SET outcome = 'failure'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            # The prune path's switch alone is not enough: no checkpoint covers these events.
            "SELECT set_config('shre.audit_prune', 'on', true); DELETE FROM audit_events",
        ],
    )
    async def test_changes_to_events_are_refused(self, runtime: Runtime, sql: str) -> None:
        await write(runtime, 3)
        async with runtime.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            with pytest.raises(Exception, match="append-only"):
                await raw.driver_connection.execute(sql)  # type: ignore[union-attr]
        assert len(await events(runtime)) == 3
        assert (await verify(runtime)).ok
