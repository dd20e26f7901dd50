"""An ETag reveals nothing the body does not: a caller who sees part of a record finds
its tag unchanged by a change of what they cannot see (a salary, a status), and no
caller is shown the record's version counter."""

from __future__ import annotations

from typing import Any

import httpx

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.employees import create, employee_body, sign_in, url


async def tag_of(client: httpx.AsyncClient, headers: dict[str, str], employee_id: Any) -> str:
    response = await client.get(url(employee_id), headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def test_a_tag_moves_only_with_what_its_reader_sees(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com"))
    ada = await create(
        client,
        admin,
        employee_body("E2", "ada@example.com", manager_id=boss["id"], salary="100.00"),
    )
    peer = await create(client, admin, employee_body("E3", "peer@example.com"))
    readers = {
        "colleague": await sign_in(accounts, Role.EMPLOYEE, "c@example.com", peer["id"]),
        "manager": await sign_in(accounts, Role.MANAGER, "m@example.com", boss["id"]),
        "self": await sign_in(accounts, Role.EMPLOYEE, "ada-user@example.com", ada["id"]),
        "hr": admin.headers,
    }

    async def tags() -> dict[str, str]:
        return {name: await tag_of(client, headers, ada["id"]) for name, headers in readers.items()}

    def moved(before: dict[str, str], after: dict[str, str]) -> set[str]:
        return {name for name in before if before[name] != after[name]}

    first = await tags()
    assert len(set(first.values())) == 3  # the self and hr see all of it: the same tag
    assert first["self"] == first["hr"]
    assert '"1"' not in first.values()

    changes: list[tuple[dict[str, Any], set[str]]] = [
        ({"salary": "200.00"}, {"self", "hr"}),  # sensitive: only those who see it
        ({"status": "on_leave"}, {"manager", "self", "hr"}),  # employment: not a colleague
        ({"phone": "+1 555 0100"}, {"colleague", "manager", "self", "hr"}),  # directory
    ]
    before = first
    for change, seen_by in changes:
        response = await client.patch(url(ada["id"]), json=change, headers=admin.headers)
        assert response.status_code == 200, response.text
        after = await tags()
        assert moved(before, after) == seen_by, change
        before = after


async def test_a_partial_readers_tag_is_no_precondition_of_a_change(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """A tag made for one who sees part of the record names no version: sent back by one
    who may change the record, it matches nothing (412), and a caller who may not change
    it is refused first (403) whatever they send."""
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    peer = await create(client, admin, employee_body("E2", "peer@example.com"))
    colleague = await sign_in(accounts, Role.EMPLOYEE, "c@example.com", peer["id"])
    partial = await tag_of(client, colleague, ada["id"])
    refused = await client.patch(
        url(ada["id"]), json={"phone": "1"}, headers={**colleague, "If-Match": partial}
    )
    assert_problem(refused, 403)
    stale = await client.patch(
        url(ada["id"]), json={"phone": "1"}, headers={**admin.headers, "If-Match": partial}
    )
    assert_problem(stale, 412, "stale_etag")
    full = await tag_of(client, admin.headers, ada["id"])
    done = await client.patch(
        url(ada["id"]), json={"phone": "1"}, headers={**admin.headers, "If-Match": full}
    )
    assert done.status_code == 200, done.text
