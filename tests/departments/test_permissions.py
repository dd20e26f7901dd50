"""Who may do what with departments (CONTRACT.md §4): every role reads, admin and hr write.

Table-driven: role x endpoint, one setup per backend."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.departments import (
    DEPARTMENT_FIELDS,
    DEPARTMENTS,
    all_departments,
    create_department,
    department_url,
)


@dataclass(frozen=True)
class Call:
    """One request against the departments API; `target` is the id of a department."""

    name: str
    method: str
    path: Callable[[str], str]
    body: Callable[[str], dict[str, Any] | None]
    writes: bool


CALLS = [
    Call("list", "GET", lambda _: DEPARTMENTS, lambda _: None, writes=False),
    Call("get", "GET", department_url, lambda _: None, writes=False),
    Call("stats", "GET", lambda t: f"{department_url(t)}/stats", lambda _: None, writes=False),
    Call("create", "POST", lambda _: DEPARTMENTS, lambda _: {"name": "Shadow IT"}, writes=True),
    Call(
        "create child",
        "POST",
        lambda _: DEPARTMENTS,
        lambda target: {"name": "Shadow Child", "parent_id": target},
        writes=True,
    ),
    Call("rename", "PATCH", department_url, lambda _: {"name": "Pwned"}, writes=True),
    Call("describe", "PATCH", department_url, lambda _: {"description": "x"}, writes=True),
    Call("reparent", "PATCH", department_url, lambda _: {"parent_id": None}, writes=True),
    Call("delete", "DELETE", department_url, lambda _: None, writes=True),
]
PER_DEPARTMENT_CALLS = [c for c in CALLS if c.path(DEPARTMENTS) != DEPARTMENTS]
READ_ONLY_ROLES = [Role.MANAGER, Role.EMPLOYEE]


async def send(
    client: httpx.AsyncClient, call: Call, target: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        call.method, call.path(target), json=call.body(target), headers=headers
    )


async def every_role(accounts: Accounts, admin: Account) -> dict[Role, Account]:
    others = {role: await accounts.signed_in(role) for role in (Role.HR, *READ_ONLY_ROLES)}
    return {Role.ADMIN: admin, **others}


async def test_every_role_can_list_and_read(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    callers = await every_role(accounts, admin)
    parent = await create_department(client, admin, "Parent", description="Top")
    child = await create_department(client, admin, "Child", parent_id=parent["id"])

    for role, caller in callers.items():
        listed = await client.get(DEPARTMENTS, headers=caller.headers)
        assert listed.status_code == 200, (role, listed.text)
        page = listed.json()
        assert page["total"] == 2, role
        assert {d["id"] for d in page["items"]} == {parent["id"], child["id"]}, role
        for item in page["items"]:
            assert set(item) == DEPARTMENT_FIELDS, role

        for dept in (parent, child):
            got = await client.get(department_url(dept["id"]), headers=caller.headers)
            assert got.status_code == 200, (role, got.text)
            assert got.json() == dept, role
            assert got.headers["ETag"], role
            stats = await client.get(f"{department_url(dept['id'])}/stats", headers=caller.headers)
            assert stats.status_code == 200, (role, stats.text)
            assert stats.json()["department_id"] == dept["id"], role

        filtered = await client.get(
            DEPARTMENTS, params={"parent_id": parent["id"]}, headers=caller.headers
        )
        assert [d["id"] for d in filtered.json()["items"]] == [child["id"]], role


async def test_manager_and_employee_get_403_on_writes_and_nothing_changes(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    callers = {role: await accounts.signed_in(role) for role in READ_ONLY_ROLES}
    target = await create_department(client, admin, "Target", description="Keep me")
    await create_department(client, admin, "Sub", parent_id=target["id"])
    before = await all_departments(client, admin)
    etag = (await client.get(department_url(target["id"]), headers=admin.headers)).headers["ETag"]

    for role, caller in callers.items():
        for call in CALLS:
            if not call.writes:
                continue
            response = await send(client, call, target["id"], caller.headers)
            body = assert_problem(response, 403, "hr_only")
            assert "name" not in body, (role, call.name)
            # Even with a valid If-Match the answer is 403.
            with_etag = await client.request(
                call.method,
                call.path(target["id"]),
                json=call.body(target["id"]),
                headers={**caller.headers, "If-Match": etag},
            )
            assert_problem(with_etag, 403, "hr_only")

    assert await all_departments(client, admin) == before
    after = await client.get(department_url(target["id"]), headers=admin.headers)
    assert after.headers["ETag"] == etag


async def test_unknown_id_is_404_for_every_role(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    callers = await every_role(accounts, admin)
    await create_department(client, admin, "Existing")
    unknown = str(uuid.uuid4())

    # Reads, and writes too: an unknown id is 404 before any role check (CONTRACT.md §4:
    # 403 is for a visible record the caller may not change).
    for role, caller in callers.items():
        for call in PER_DEPARTMENT_CALLS:
            response = await send(client, call, unknown, caller.headers)
            body = assert_problem(response, 404, "department_not_found")
            assert body["detail"], (role, call.name)


async def test_malformed_uuid_is_422_for_every_role(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    callers = await every_role(accounts, admin)
    await create_department(client, admin, "Existing")
    before = await all_departments(client, admin)

    for role, caller in callers.items():
        for bad in ("not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"):
            for call in PER_DEPARTMENT_CALLS:
                response = await send(client, call, bad, caller.headers)
                body = assert_problem(response, 422)
                assert "department_id" in {e["field"] for e in body["errors"]}, (role, call.name)
        listed = await client.get(DEPARTMENTS, params={"parent_id": "nope"}, headers=caller.headers)
        body = assert_problem(listed, 422)
        assert {e["field"] for e in body["errors"]} == {"parent_id"}

    assert await all_departments(client, admin) == before


BAD_AUTH: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic YWRtaW5AZXhhbXBsZS5jb206cGFzc3dvcmQ="},
    {"Authorization": "Bearer "},
]


async def test_without_a_valid_token_every_endpoint_is_401(
    client: httpx.AsyncClient, admin: Account
) -> None:
    target = await create_department(client, admin, "Target")
    before = await all_departments(client, admin)

    for headers in BAD_AUTH:
        for call in CALLS:
            for dept_id in (target["id"], str(uuid.uuid4())):
                response = await send(client, call, dept_id, headers)
                body = assert_problem(response, 401)
                assert response.headers.get("WWW-Authenticate") == "Bearer", call.name
                assert "Target" not in response.text
                assert "items" not in body

    assert await all_departments(client, admin) == before


async def test_a_role_change_takes_effect_at_once(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    assert (
        await client.post(DEPARTMENTS, json={"name": "A"}, headers=hr.headers)
    ).status_code == 201

    demote = await client.patch(
        f"/api/v1/users/{hr.id}", json={"role": "employee"}, headers=admin.headers
    )
    assert demote.status_code == 200, demote.text

    assert_problem(
        await client.post(DEPARTMENTS, json={"name": "B"}, headers=hr.headers), 403, "hr_only"
    )
    assert (await client.get(DEPARTMENTS, headers=hr.headers)).status_code == 200
