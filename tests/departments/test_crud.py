"""Create, read, update and delete departments as the roles that may write them."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.departments import (
    DEPARTMENT_FIELDS,
    DEPARTMENTS,
    all_departments,
    create_department,
    department_url,
    fetch,
    patch,
    read,
)


@pytest.fixture(params=[Role.ADMIN, Role.HR], ids=lambda r: r.value)
async def writer(request: pytest.FixtureRequest, accounts: Accounts) -> Account:
    """A signed-in caller allowed to change departments."""
    return await accounts.signed_in(request.param)


async def test_create_returns_201_with_location_etag_and_exact_fields(
    client: httpx.AsyncClient, writer: Account
) -> None:
    response = await client.post(
        DEPARTMENTS,
        json={"name": "Engineering", "description": "Builds the product"},
        headers=writer.headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == DEPARTMENT_FIELDS
    assert uuid.UUID(body["id"])
    assert body["name"] == "Engineering"
    assert body["description"] == "Builds the product"
    assert body["parent_id"] is None
    created_at = datetime.fromisoformat(body["created_at"])
    assert created_at.tzinfo is not None
    assert datetime.fromisoformat(body["updated_at"]) >= created_at
    assert response.headers["Location"] == department_url(body["id"])
    etag = response.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')

    # The Location and the ETag describe the record a GET returns.
    fetched = await client.get(response.headers["Location"], headers=writer.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["ETag"] == etag
    # Stable while nothing changes.
    assert (await read(client, writer, body["id"])).headers["ETag"] == etag

    # Only the name is required; a parent makes a sub-department.
    child = await create_department(client, writer, "Logistics", parent_id=body["id"])
    assert child["parent_id"] == body["id"]
    assert child["description"] is None
    assert (await fetch(client, writer, child["id"]))["parent_id"] == body["id"]


async def test_patch_each_field(client: httpx.AsyncClient, writer: Account) -> None:
    parent = await create_department(client, writer, "Corporate")
    dept = await create_department(client, writer, "Legal", description="Contracts")
    seen_etags = {(await read(client, writer, dept["id"])).headers["ETag"]}

    steps = [
        ({"name": "Legal Affairs"}, {"name": "Legal Affairs"}),
        ({"description": "Contracts and compliance"}, {"description": "Contracts and compliance"}),
        ({"description": None}, {"description": None}),
        ({"parent_id": parent["id"]}, {"parent_id": parent["id"]}),
        ({"parent_id": None}, {"parent_id": None}),  # back to the top level
        (
            {"name": "Legal", "description": "Again", "parent_id": parent["id"]},
            {"name": "Legal", "description": "Again", "parent_id": parent["id"]},
        ),
    ]
    expected = dict(dept)
    for changes, effect in steps:
        response = await patch(client, writer, dept["id"], changes)
        assert response.status_code == 200, (changes, response.text)
        body = response.json()
        assert set(body) == DEPARTMENT_FIELDS
        expected.update(effect)
        assert {k: body[k] for k in ("id", "name", "description", "parent_id")} == {
            k: expected[k] for k in ("id", "name", "description", "parent_id")
        }, changes
        assert body["created_at"] == dept["created_at"]
        assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(
            dept["updated_at"]
        )
        etag = response.headers["ETag"]
        assert etag not in seen_etags, changes
        seen_etags.add(etag)
        # The change is stored, not only echoed.
        stored = await read(client, writer, dept["id"])
        assert stored.json() == body
        assert stored.headers["ETag"] == etag

    # An empty PATCH changes nothing, not even the ETag.
    empty = await patch(client, writer, dept["id"], {})
    assert empty.status_code == 200, empty.text
    assert empty.json() == (await read(client, writer, dept["id"])).json()
    assert empty.headers["ETag"] == etag


async def test_delete_returns_204_then_404(client: httpx.AsyncClient, writer: Account) -> None:
    keep = await create_department(client, writer, "Keep")
    gone = await create_department(client, writer, "Gone")

    response = await client.delete(department_url(gone["id"]), headers=writer.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(
        await client.get(department_url(gone["id"]), headers=writer.headers),
        404,
        "department_not_found",
    )
    assert_problem(await client.delete(department_url(gone["id"]), headers=writer.headers), 404)
    assert_problem(
        await patch(client, writer, gone["id"], {"name": "Back"}), 404, "department_not_found"
    )
    assert [d["id"] for d in await all_departments(client, writer)] == [keep["id"]]
    # The name is free again.
    again = await create_department(client, writer, "Gone")
    assert again["id"] != gone["id"]


async def test_admin_and_hr_see_each_others_changes(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    dept = await create_department(client, admin, "People")
    renamed = await patch(client, hr, dept["id"], {"name": "People Ops"})
    assert renamed.status_code == 200
    assert (await fetch(client, admin, dept["id"]))["name"] == "People Ops"
    assert (await client.delete(department_url(dept["id"]), headers=hr.headers)).status_code == 204
    assert await all_departments(client, admin) == []
