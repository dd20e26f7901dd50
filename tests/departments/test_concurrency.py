"""Requests racing each other through the real app and database: the outcome must be one
of the serial outcomes, with a clean 409/412/404/422 for the loser and never a 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.departments.schemas import DepartmentCreate, DepartmentUpdate
from shre.departments.service import DepartmentService
from shre.kit.errors import Conflict, DomainError, InvalidInput
from shre.policy import Principal, Role
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.database import statements_sent
from tests.support.departments import (
    DEPARTMENTS,
    all_departments,
    create_department,
    department_url,
    fetch,
    patch,
    read,
)

ROUNDS = 3  # several rounds make an actual overlap of the two requests likely


def assert_no_cycle(departments: list[dict[str, Any]]) -> None:
    parents = {d["id"]: d["parent_id"] for d in departments}
    for start in parents:
        seen = {start}
        node = parents[start]
        while node is not None:
            assert node not in seen, f"cycle through {start}"
            seen.add(node)
            node = parents[node]


async def test_two_creates_with_the_same_name_at_once(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for round_no in range(ROUNDS):
        name = f"Twin {round_no}"
        first, second = await asyncio.gather(
            client.post(DEPARTMENTS, json={"name": name}, headers=admin.headers),
            client.post(DEPARTMENTS, json={"name": name.upper()}, headers=admin.headers),
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [201, 409], (first.text, second.text)
        loser = first if first.status_code == 409 else second
        assert_problem(loser, 409, "department_name_taken")

    names = sorted(d["name"].lower() for d in await all_departments(client, admin))
    assert names == [f"twin {i}" for i in range(ROUNDS)]


async def test_two_renames_to_the_same_name_at_once(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for round_no in range(ROUNDS):
        one = await create_department(client, admin, f"One {round_no}")
        two = await create_department(client, admin, f"Two {round_no}")
        target = f"Merged {round_no}"
        first, second = await asyncio.gather(
            patch(client, admin, one["id"], {"name": target}),
            patch(client, admin, two["id"], {"name": target.lower()}),
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 409], (first.text, second.text)
        loser, loser_dept = (first, one) if first.status_code == 409 else (second, two)
        assert_problem(loser, 409, "department_name_taken")
        assert (await fetch(client, admin, loser_dept["id"]))["name"] == loser_dept["name"]

    renamed = [
        d for d in await all_departments(client, admin) if d["name"].lower().startswith("merged")
    ]
    assert len(renamed) == ROUNDS


async def test_a_rename_and_a_create_racing_for_one_name(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for round_no in range(ROUNDS):
        dept = await create_department(client, admin, f"Before {round_no}")
        target = f"Contested {round_no}"
        renamed, created = await asyncio.gather(
            patch(client, admin, dept["id"], {"name": target}),
            client.post(DEPARTMENTS, json={"name": target}, headers=admin.headers),
        )
        assert sorted([renamed.status_code, created.status_code]) in ([200, 409], [201, 409]), (
            renamed.text,
            created.text,
        )
        for response in (renamed, created):
            if response.status_code == 409:
                assert_problem(response, 409, "department_name_taken")


async def test_two_patches_with_the_same_if_match_at_once(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for round_no in range(ROUNDS):
        dept = await create_department(client, admin, f"Edited {round_no}")
        etag = (await read(client, admin, dept["id"])).headers["ETag"]
        changes = [{"description": "writer one"}, {"description": "writer two"}]
        responses = await asyncio.gather(
            *(patch(client, admin, dept["id"], c, **{"If-Match": etag}) for c in changes)
        )
        winners = [r for r in responses if r.status_code == 200]
        assert len(winners) <= 1, [r.text for r in responses]
        for response in responses:
            if response.status_code != 200:
                assert_problem(response, response.status_code)
                assert response.status_code in {409, 412}, response.text
        final = await read(client, admin, dept["id"])
        if winners:
            assert final.json() == winners[0].json()
            assert final.headers["ETag"] == winners[0].headers["ETag"]
        else:
            assert final.json()["description"] is None
            assert final.headers["ETag"] == etag


async def test_two_deletes_at_once(client: httpx.AsyncClient, admin: Account) -> None:
    for round_no in range(ROUNDS):
        dept = await create_department(client, admin, f"Doomed {round_no}")
        url = department_url(dept["id"])
        responses = await asyncio.gather(
            client.delete(url, headers=admin.headers), client.delete(url, headers=admin.headers)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 204, [r.text for r in responses]
        assert statuses[1] in {404, 409}, [r.text for r in responses]
        loser = next(r for r in responses if r.status_code != 204)
        assert_problem(loser, loser.status_code)
        assert_problem(await client.get(url, headers=admin.headers), 404)
    assert await all_departments(client, admin) == []


async def test_a_patch_and_a_delete_at_once(client: httpx.AsyncClient, admin: Account) -> None:
    for round_no in range(ROUNDS):
        dept = await create_department(client, admin, f"Racing {round_no}")
        url = department_url(dept["id"])
        patched, deleted = await asyncio.gather(
            patch(client, admin, dept["id"], {"description": "changed"}),
            client.delete(url, headers=admin.headers),
        )
        # Either order is fine: patch then delete (200, 204), or delete first (404/409, 204);
        # a delete that loses to the patch may also refuse (409).
        assert patched.status_code in {200, 404, 409}, patched.text
        assert deleted.status_code in {204, 409}, deleted.text
        if patched.status_code != 200:
            assert_problem(patched, patched.status_code)
        after = await client.get(url, headers=admin.headers)
        if deleted.status_code == 204:
            assert_problem(after, 404)
        else:
            assert_problem(deleted, 409)
            assert after.status_code == 200


async def test_opposite_moves_at_once_never_make_a_cycle(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A under B and B under A are each fine alone; together one must be refused."""
    for round_no in range(ROUNDS):
        a = await create_department(client, admin, f"A {round_no}")
        b = await create_department(client, admin, f"B {round_no}")
        first, second = await asyncio.gather(
            patch(client, admin, a["id"], {"parent_id": b["id"]}),
            patch(client, admin, b["id"], {"parent_id": a["id"]}),
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses[0] == 200, (first.text, second.text)
        assert statuses[1] in {409, 422}, (first.text, second.text)
        loser = first if first.status_code != 200 else second
        assert_problem(loser, loser.status_code)
        assert_no_cycle(await all_departments(client, admin))


async def test_a_child_created_while_its_parent_is_deleted(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for round_no in range(ROUNDS):
        parent = await create_department(client, admin, f"Parent {round_no}")
        created, deleted = await asyncio.gather(
            client.post(
                DEPARTMENTS,
                json={"name": f"Child {round_no}", "parent_id": parent["id"]},
                headers=admin.headers,
            ),
            client.delete(department_url(parent["id"]), headers=admin.headers),
        )
        outcome = (created.status_code, deleted.status_code)
        # Child first: the delete is refused. Delete first: the parent is gone.
        assert outcome in {(201, 409), (422, 204)}, (created.text, deleted.text)
        if created.status_code == 422:
            assert_problem(created, 422, "parent_not_found")
        else:
            assert_problem(deleted, 409)
        state = {d["id"]: d for d in await all_departments(client, admin)}
        for dept in state.values():
            assert dept["parent_id"] is None or dept["parent_id"] in state


# --- pinned interleavings ---------------------------------------------------------------
# HTTP cannot choose which request reaches the database first; these drive the service with
# two sessions so the second transaction starts while the first is still open.

Step = Callable[[DepartmentService, dict[str, uuid.UUID]], Awaitable[Any]]
ACTOR = Principal(id=uuid.uuid4(), email="hr@example.com", role=Role.HR, employee_id=None)


def move(child: str, parent: str) -> Step:
    def step(service: DepartmentService, ids: dict[str, uuid.UUID]) -> Awaitable[Any]:
        return service.update(ACTOR, ids[child], DepartmentUpdate(parent_id=ids[parent]), None)

    return step


def delete(name: str) -> Step:
    def step(service: DepartmentService, ids: dict[str, uuid.UUID]) -> Awaitable[Any]:
        return service.delete(ACTOR, ids[name], None)

    return step


def create_under(parent: str) -> Step:
    def step(service: DepartmentService, ids: dict[str, uuid.UUID]) -> Awaitable[Any]:
        body = DepartmentCreate(name="Latecomer", parent_id=ids[parent])
        return service.create(ACTOR, body)

    return step


# (name, first step, second step, the error the second one must end with)
INTERLEAVINGS: list[tuple[str, Step, Step, type[DomainError], str]] = [
    ("opposite moves", move("a", "b"), move("b", "a"), InvalidInput, "department_cycle"),
    (
        "create under a deleted parent",
        delete("b"),
        create_under("b"),
        InvalidInput,
        "parent_not_found",
    ),
    ("move under a deleted parent", delete("b"), move("a", "b"), InvalidInput, "parent_not_found"),
    ("delete twice", delete("b"), delete("b"), Conflict, "concurrent_update"),
    ("delete a moved one", move("b", "c"), delete("b"), Conflict, "concurrent_update"),
]


@pytest.mark.parametrize(
    ("first", "second", "error", "code"),
    [case[1:] for case in INTERLEAVINGS],
    ids=[case[0] for case in INTERLEAVINGS],
)
async def test_interleaved_writes_the_second_waits_then_fails_cleanly(
    runtime: Runtime,
    client: httpx.AsyncClient,
    admin: Account,
    first: Step,
    second: Step,
    error: type[DomainError],
    code: str,
) -> None:
    """Each step alone is allowed; the second must wait for the first transaction and then
    see what it did. Three top-level departments a, b, c to start with."""
    ids = {
        name: uuid.UUID((await create_department(client, admin, name.upper()))["id"])
        for name in ("a", "b", "c")
    }

    def service(session: AsyncSession) -> DepartmentService:
        return DepartmentService(session, AuditTrail.system(session, runtime.sessionmaker))

    async with runtime.sessionmaker() as s1, runtime.sessionmaker() as s2:
        await first(service(s1), ids)  # not committed yet
        # The second has begun (its first statement sent: it has read what it reads before
        # any lock) before the first commits, however slow the machine is at the moment.
        with statements_sent(runtime) as sent:
            racer = asyncio.create_task(second(service(s2), ids))
            for _ in range(200):
                if sent or racer.done():
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert not racer.done(), "the second write must wait for the first transaction"
        await s1.commit()
        with pytest.raises(error) as caught:
            await racer
        assert caught.value.code == code
        await s2.rollback()

    state = await all_departments(client, admin)
    assert_no_cycle(state)
    assert "Latecomer" not in {d["name"] for d in state}
