"""Only administrators manage users (CONTRACT.md §4): every /users endpoint, table-driven."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.users import USERS, all_users, can_login, create_user, user_body, user_url


@dataclass(frozen=True)
class Call:
    """One request against the users API; `target` is the id of a user it acts on."""

    name: str
    method: str
    path: Callable[[str], str]
    body: Callable[[], dict[str, Any] | None]


CALLS = [
    Call("list", "GET", lambda _: USERS, lambda: None),
    Call("create", "POST", lambda _: USERS, lambda: user_body(role="admin")),
    Call("get", "GET", user_url, lambda: None),
    Call("patch", "PATCH", user_url, lambda: {"role": "admin", "full_name": "Pwned"}),
    Call("delete", "DELETE", user_url, lambda: None),
]
PER_USER_CALLS = [c for c in CALLS if c.name in {"get", "patch", "delete"}]
NON_ADMIN_ROLES = [Role.HR, Role.MANAGER, Role.EMPLOYEE]


async def send(
    client: httpx.AsyncClient, call: Call, target: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(call.method, call.path(target), json=call.body(), headers=headers)


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
async def test_non_admin_gets_403_on_every_endpoint_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, role: Role
) -> None:
    caller = await accounts.signed_in(role)
    target = await create_user(client, admin, full_name="Target User")
    before = await all_users(client, admin)

    for call in CALLS:
        response = await send(client, call, target["id"], caller.headers)
        body = assert_problem(response, 403, "admin_only")
        assert "items" not in body, call.name
        assert target["email"] not in response.text, call.name

    assert await all_users(client, admin) == before


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
async def test_non_admin_cannot_change_or_delete_their_own_account(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, role: Role
) -> None:
    caller = await accounts.signed_in(role)
    before = await all_users(client, admin)

    for call in PER_USER_CALLS:
        response = await send(client, call, str(caller.id), caller.headers)
        assert_problem(response, 403, "admin_only")

    assert await all_users(client, admin) == before
    me = await client.get("/api/v1/me", headers=caller.headers)
    assert me.status_code == 200
    assert me.json()["role"] == role.value


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
async def test_non_admin_asking_for_an_unknown_id_gets_403_not_404(
    client: httpx.AsyncClient, accounts: Accounts, role: Role
) -> None:
    """A 404 here would tell a non-admin which user ids exist."""
    caller = await accounts.signed_in(role)
    unknown = str(uuid.uuid4())
    for call in PER_USER_CALLS:
        response = await send(client, call, unknown, caller.headers)
        assert_problem(response, 403, "admin_only")


async def test_non_admin_create_does_not_create_the_account(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    caller = await accounts.signed_in(Role.HR)
    body = user_body(role="admin")
    assert_problem(await client.post(USERS, json=body, headers=caller.headers), 403)
    assert body["email"] not in {u["email"] for u in await all_users(client, admin)}
    assert not await can_login(client, body["email"], body["password"])


BAD_AUTH: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer not-a-token"},
    {"Authorization": "Basic YWRtaW5AZXhhbXBsZS5jb206cGFzc3dvcmQ="},
    {"Authorization": "Bearer "},
    {"Authorization": "bearer"},
]


async def test_without_a_valid_token_every_endpoint_is_401(
    client: httpx.AsyncClient, admin: Account
) -> None:
    target = await create_user(client, admin)
    before = await all_users(client, admin)

    for headers in BAD_AUTH:
        for call in CALLS:
            response = await send(client, call, target["id"], headers)
            assert_problem(response, 401)
            assert response.headers.get("WWW-Authenticate") == "Bearer", (call.name, headers)

    assert await all_users(client, admin) == before


async def test_without_token_unknown_and_malformed_ids_are_401_too(
    client: httpx.AsyncClient,
) -> None:
    for target in (str(uuid.uuid4()), "not-a-uuid"):
        for call in PER_USER_CALLS:
            assert_problem(await send(client, call, target, {}), 401)


async def test_demoted_admin_loses_access_at_once(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    other = await accounts.signed_in(Role.ADMIN)
    assert (await client.get(USERS, headers=other.headers)).status_code == 200

    demote = await client.patch(user_url(other.id), json={"role": "hr"}, headers=admin.headers)
    assert demote.status_code == 200, demote.text

    assert_problem(await client.get(USERS, headers=other.headers), 403, "admin_only")
