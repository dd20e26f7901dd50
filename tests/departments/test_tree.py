"""The parent tree: parents must exist, no cycles at any depth, no orphaned children."""

from __future__ import annotations

import uuid

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.departments import (
    DEPARTMENTS,
    all_departments,
    create_department,
    department_url,
    fetch,
    fields_of,
    make_chain,
    patch,
    read,
)


async def test_parent_must_exist_on_create_and_update(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Orphanage")
    deleted = await create_department(client, admin, "Deleted parent")
    assert (
        await client.delete(department_url(deleted["id"]), headers=admin.headers)
    ).status_code == 204
    before = await all_departments(client, admin)

    for missing in (str(uuid.uuid4()), deleted["id"]):
        created = await client.post(
            DEPARTMENTS, json={"name": "Lost", "parent_id": missing}, headers=admin.headers
        )
        problem = assert_problem(created, 422, "parent_not_found")
        assert fields_of(problem) == {"parent_id"}

        moved = await patch(client, admin, dept["id"], {"parent_id": missing})
        problem = assert_problem(moved, 422, "parent_not_found")
        assert fields_of(problem) == {"parent_id"}
        # Together with a valid change, nothing of the request is applied.
        mixed = await patch(client, admin, dept["id"], {"name": "Renamed", "parent_id": missing})
        assert_problem(mixed, 422, "parent_not_found")

    assert await all_departments(client, admin) == before


async def test_a_department_cannot_be_its_own_parent(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Narcissus")
    etag = (await read(client, admin, dept["id"])).headers["ETag"]

    response = await patch(client, admin, dept["id"], {"parent_id": dept["id"], "name": "Echo"})

    problem = assert_problem(response, 422, "department_cycle")
    assert fields_of(problem) == {"parent_id"}
    after = await read(client, admin, dept["id"])
    assert after.json() == dept
    assert after.headers["ETag"] == etag


async def test_no_move_under_a_descendant_at_any_depth(
    client: httpx.AsyncClient, admin: Account
) -> None:
    chain = await make_chain(client, admin, 5)
    sibling = await create_department(client, admin, "Sibling", parent_id=chain[0]["id"])
    before = await all_departments(client, admin)

    for i, ancestor in enumerate(chain):
        for descendant in chain[i:]:
            response = await patch(client, admin, ancestor["id"], {"parent_id": descendant["id"]})
            problem = assert_problem(response, 422, "department_cycle")
            assert fields_of(problem) == {"parent_id"}, (ancestor["name"], descendant["name"])

    assert await all_departments(client, admin) == before

    # Moves that keep the tree acyclic are fine: a leaf under a sibling branch, a middle
    # node to the top (its subtree moves with it), then back under its old grandparent.
    ok = await patch(client, admin, chain[4]["id"], {"parent_id": sibling["id"]})
    assert ok.status_code == 200, ok.text
    ok = await patch(client, admin, chain[2]["id"], {"parent_id": None})
    assert ok.status_code == 200, ok.text
    assert (await fetch(client, admin, chain[3]["id"]))["parent_id"] == chain[2]["id"]
    # chain[0] is no longer above chain[2], so chain[0] may now go under chain[3]...
    ok = await patch(client, admin, chain[0]["id"], {"parent_id": chain[3]["id"]})
    assert ok.status_code == 200, ok.text
    # ...and then chain[2] may not go under chain[1] (chain[1] is below chain[0] below chain[3]).
    cycle = await patch(client, admin, chain[2]["id"], {"parent_id": chain[1]["id"]})
    assert_problem(cycle, 422, "department_cycle")
    # Setting the parent a department already has is a no-op, not a cycle.
    same = await patch(client, admin, chain[1]["id"], {"parent_id": chain[0]["id"]})
    assert same.status_code == 200, same.text
    assert same.json()["parent_id"] == chain[0]["id"]


async def test_delete_with_children_is_409_until_they_move(
    client: httpx.AsyncClient, admin: Account
) -> None:
    root, middle, leaf = await make_chain(client, admin, 3)
    second = await create_department(client, admin, "Second child", parent_id=root["id"])
    other = await create_department(client, admin, "Elsewhere")
    before = await all_departments(client, admin)

    for dept in (root, middle):
        response = await client.delete(department_url(dept["id"]), headers=admin.headers)
        assert_problem(response, 409, "department_has_children")
    assert await all_departments(client, admin) == before

    # Move the only child of `middle` under another department: `middle` can go.
    moved = await patch(client, admin, leaf["id"], {"parent_id": other["id"]})
    assert moved.status_code == 200, moved.text
    deleted = await client.delete(department_url(middle["id"]), headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    # `root` still has its second child...
    response = await client.delete(department_url(root["id"]), headers=admin.headers)
    assert_problem(response, 409, "department_has_children")
    # ...until that one moves to the top level.
    top = await patch(client, admin, second["id"], {"parent_id": None})
    assert top.status_code == 200, top.text
    assert top.json()["parent_id"] is None
    deleted = await client.delete(department_url(root["id"]), headers=admin.headers)
    assert deleted.status_code == 204, deleted.text

    remaining = {d["id"]: d["parent_id"] for d in await all_departments(client, admin)}
    assert remaining == {other["id"]: None, leaf["id"]: other["id"], second["id"]: None}
