"""One unit of work for requests and commands: committed with its audit events, its
cache invalidations applied after the commit, rolled back on error unless the error
keeps its changes; a command's also leaves what it changed for the serving processes."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.cache import invalidate_on_commit
from shre.cache.commit import invalidations_asked
from shre.cache.models import CacheInvalidation
from shre.db import create_sessionmaker, read_only_session
from shre.departments.models import Department
from shre.kit.errors import Conflict
from shre.policy import Role
from shre.uow import Invalidated, unit_of_work
from shre.users.models import User
from tests.support.accounts import Accounts


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def version_of(runtime: Runtime, namespace: str) -> int | None:
    return await runtime.cache.cache.counter(f"ns:{namespace}")


async def test_a_unit_commits_its_events_then_invalidates(runtime: Runtime) -> None:
    await runtime.cache.cache.increment("ns:departments", 0, start=1)
    before = await version_of(runtime, "departments")
    async with unit_of_work(runtime.sessionmaker, runtime.cache) as session:
        session.add(Department(id=uuid.uuid4(), name="Research"))
        await AuditTrail.system(session, runtime.sessionmaker).record(
            "department.create", target_type="department"
        )
        invalidate_on_commit(session, "departments")
    assert await count(runtime, Department) == 1
    assert await version_of(runtime, "departments") != before  # bumped after the commit
    assert await count(runtime, CacheInvalidation) == 0  # a request's: nothing left behind


@pytest.mark.parametrize("keep", [True, False])
async def test_an_error_rolls_back_unless_it_keeps_its_changes(
    runtime: Runtime, keep: bool
) -> None:
    error = Conflict("refused", code="refused")
    error.keep_changes = keep

    async def refused() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.cache) as session:
            session.add(Department(id=uuid.uuid4(), name="Kept or not"))
            raise error

    with pytest.raises(Conflict):
        await refused()
    assert await count(runtime, Department) == (1 if keep else 0)


async def test_a_commands_unit_leaves_its_invalidations_for_the_servers(
    runtime: Runtime,
) -> None:
    done = Invalidated()
    async with unit_of_work(runtime.sessionmaker, runtime.cache, command=done) as session:
        session.add(Department(id=uuid.uuid4(), name="Ops"))
        invalidate_on_commit(session, "department_stats", "employees@123")
    async with runtime.sessionmaker() as session:
        [left] = (await session.scalars(select(CacheInvalidation))).all()
    assert sorted(left.namespaces) == ["department_stats", "employees"]
    assert done.failed == []

    async def failed() -> None:
        async with unit_of_work(runtime.sessionmaker, runtime.cache, command=done) as session:
            invalidate_on_commit(session, "documents")
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        await failed()
    assert await count(runtime, CacheInvalidation) == 1  # rolled back with the work


async def test_the_hooks_are_the_runtimes_sessions_own_not_every_sessions(
    runtime: Runtime, accounts: Accounts
) -> None:
    """The audit, cache and read-only hooks are attached to the sessions of the
    runtime's sessionmaker when it is built; another sessionmaker's sessions have only
    the read-only guard."""
    user_id = await accounts.create(Role.EMPLOYEE)
    bare = create_sessionmaker(runtime.engine)
    async with bare() as session:
        with pytest.raises(RuntimeError, match="no audit chain"):
            await AuditTrail.system(session, bare).record("user.update", target_type="user")
        found = await session.get(User, user_id)
        assert found is not None
        found.full_name = "Renamed elsewhere"
        await session.flush()
        assert invalidations_asked(session) == set()  # no watch here
        await session.rollback()
    async with runtime.sessionmaker() as session:
        found = await session.get(User, user_id)
        assert found is not None
        found.full_name = "Renamed here"
        await session.flush()
        assert f"user:{user_id}" in invalidations_asked(session)  # auth's watch
        await session.rollback()
    for maker in (bare, runtime.sessionmaker):
        reader = read_only_session(maker)
        try:
            reader.add(Department(id=uuid.uuid4(), name="Never written"))
            with pytest.raises(RuntimeError, match="only reads"):
                await reader.flush()
        finally:
            await reader.close()
