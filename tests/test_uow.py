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
from shre.cache.models import CacheInvalidation
from shre.departments.models import Department
from shre.kit.errors import Conflict
from shre.uow import Invalidated, unit_of_work


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
