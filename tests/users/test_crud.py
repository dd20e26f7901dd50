"""Create, read, update and delete users as an administrator."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.users import (
    NEW_PASSWORD,
    USER_FIELDS,
    USERS,
    all_users,
    can_login,
    create_user,
    fetch_user,
    new_employee,
    unique_email,
    user_body,
    user_url,
)


async def test_create_returns_201_with_location_etag_and_contract_fields(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body(full_name="Grace Hopper", role="hr")
    response = await client.post(USERS, json=body, headers=admin.headers)

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == USER_FIELDS
    assert "password" not in response.text
    assert body["password"] not in response.text
    assert "$argon2" not in response.text
    assert created["email"] == body["email"]
    assert created["full_name"] == "Grace Hopper"
    assert created["role"] == "hr"
    assert created["is_active"] is True
    assert created["employee_id"] is None
    assert created["last_login_at"] is None
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    uuid.UUID(created["id"])

    assert response.headers["Location"] == user_url(created["id"])
    assert response.headers["ETag"]
    fetched = await client.get(response.headers["Location"], headers=admin.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created
    assert fetched.headers["ETag"] == response.headers["ETag"]


async def test_created_user_can_log_in_with_the_given_password(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body()
    user = await create_user(client, admin, **body)

    assert await can_login(client, body["email"], body["password"])
    assert not await can_login(client, body["email"], body["password"] + "x")
    assert (await fetch_user(client, admin, user["id"]))["last_login_at"] is not None


async def test_create_normalises_email_to_lower_case(
    client: httpx.AsyncClient, admin: Account
) -> None:
    email = unique_email("Mixed.Case")
    user = await create_user(client, admin, email=email.upper())
    assert user["email"] == email.lower()


async def test_create_with_employee_id_links_it(client: httpx.AsyncClient, admin: Account) -> None:
    employee_id = await new_employee(client, admin)
    user = await create_user(client, admin, employee_id=employee_id)
    assert user["employee_id"] == employee_id
    assert (await fetch_user(client, admin, user["id"]))["employee_id"] == employee_id


async def test_get_one_returns_the_user_with_an_etag(
    client: httpx.AsyncClient, admin: Account
) -> None:
    response = await client.get(user_url(admin.id), headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["id"] == str(admin.id)
    assert body["email"] == admin.email
    assert body["role"] == "admin"
    assert response.headers["ETag"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Ada Lovelace"),
        ("role", "manager"),
        ("role", "admin"),
        ("is_active", False),
        ("employee_id", "<a new employee>"),
    ],
)
async def test_patch_changes_one_field_and_nothing_else(
    client: httpx.AsyncClient, admin: Account, field: str, value: object
) -> None:
    if value == "<a new employee>":
        value = await new_employee(client, admin)
    user = await create_user(client, admin)
    others_before = [u for u in await all_users(client, admin) if u["id"] != user["id"]]

    response = await client.patch(user_url(user["id"]), json={field: value}, headers=admin.headers)

    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == USER_FIELDS
    assert updated[field] == value
    assert {k: v for k, v in updated.items() if k != field} == {
        k: v for k, v in user.items() if k != field
    }
    assert await fetch_user(client, admin, user["id"]) == updated
    others_after = [u for u in await all_users(client, admin) if u["id"] != user["id"]]
    assert others_after == others_before


async def test_patch_several_fields_at_once(client: httpx.AsyncClient, admin: Account) -> None:
    user = await create_user(client, admin)
    changes = {"full_name": "Katherine Johnson", "role": "hr", "is_active": False}
    response = await client.patch(user_url(user["id"]), json=changes, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in changes} == changes


async def test_patch_password_only_the_new_password_works(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body()
    user = await create_user(client, admin, **body)

    response = await client.patch(
        user_url(user["id"]), json={"password": NEW_PASSWORD}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert set(response.json()) == USER_FIELDS
    assert NEW_PASSWORD not in response.text
    assert not await can_login(client, body["email"], body["password"])
    assert await can_login(client, body["email"], NEW_PASSWORD)


async def test_patch_null_employee_id_unlinks(client: httpx.AsyncClient, admin: Account) -> None:
    employee_id = await new_employee(client, admin)
    user = await create_user(client, admin, employee_id=employee_id)

    response = await client.patch(
        user_url(user["id"]), json={"employee_id": None}, headers=admin.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["employee_id"] is None
    assert (await fetch_user(client, admin, user["id"]))["employee_id"] is None
    # The employee is free again: another account may take it.
    other = await create_user(client, admin, employee_id=employee_id)
    assert other["employee_id"] == employee_id


async def test_patch_can_move_the_link_to_another_employee(
    client: httpx.AsyncClient, admin: Account
) -> None:
    first, second = await new_employee(client, admin), await new_employee(client, admin)
    user = await create_user(client, admin, employee_id=first)
    response = await client.patch(
        user_url(user["id"]), json={"employee_id": second}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["employee_id"] == second
    # Re-sending the user's own link is not a conflict with itself.
    again = await client.patch(
        user_url(user["id"]), json={"employee_id": second}, headers=admin.headers
    )
    assert again.status_code == 200, again.text


async def test_empty_patch_changes_nothing(client: httpx.AsyncClient, admin: Account) -> None:
    user = await create_user(client, admin)
    response = await client.patch(user_url(user["id"]), json={}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == user


async def test_deactivated_user_cannot_log_in_until_reactivated(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body()
    user = await create_user(client, admin, **body)
    off = await client.patch(user_url(user["id"]), json={"is_active": False}, headers=admin.headers)
    assert off.status_code == 200
    assert not await can_login(client, body["email"], body["password"])

    on = await client.patch(user_url(user["id"]), json={"is_active": True}, headers=admin.headers)
    assert on.status_code == 200
    assert await can_login(client, body["email"], body["password"])


async def test_deactivation_and_deletion_end_the_users_sessions(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    assert (await client.get("/api/v1/me", headers=hr.headers)).status_code == 200

    off = await client.patch(user_url(hr.id), json={"is_active": False}, headers=admin.headers)
    assert off.status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=hr.headers), 401)

    manager = await accounts.signed_in(Role.MANAGER)
    gone = await client.delete(user_url(manager.id), headers=admin.headers)
    assert gone.status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=manager.headers), 401)


async def test_delete_returns_204_then_404(client: httpx.AsyncClient, admin: Account) -> None:
    user = await create_user(client, admin)

    response = await client.delete(user_url(user["id"]), headers=admin.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(user_url(user["id"]), headers=admin.headers), 404)
    assert_problem(await client.delete(user_url(user["id"]), headers=admin.headers), 404)
    assert_problem(
        await client.patch(user_url(user["id"]), json={"full_name": "X"}, headers=admin.headers),
        404,
    )
    assert user["id"] not in {u["id"] for u in await all_users(client, admin)}


async def test_delete_a_user_who_has_signed_in(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """The user's refresh tokens go with them (no foreign-key error)."""
    employee = await accounts.signed_in(Role.EMPLOYEE)
    response = await client.delete(user_url(employee.id), headers=admin.headers)
    assert response.status_code == 204, response.text
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": employee.refresh_token}
    )
    assert_problem(refresh, 401)
    assert not await can_login(client, employee.email, employee.password)


async def test_deleted_users_email_can_be_reused(client: httpx.AsyncClient, admin: Account) -> None:
    user = await create_user(client, admin)
    assert (await client.delete(user_url(user["id"]), headers=admin.headers)).status_code == 204
    again = await create_user(client, admin, email=user["email"])
    assert again["id"] != user["id"]


async def test_unknown_user_id_is_404_for_admin(client: httpx.AsyncClient, admin: Account) -> None:
    unknown = user_url(uuid.uuid4())
    before = await all_users(client, admin)
    assert_problem(await client.get(unknown, headers=admin.headers), 404, "user_not_found")
    assert_problem(
        await client.patch(unknown, json={"full_name": "Nobody"}, headers=admin.headers),
        404,
        "user_not_found",
    )
    assert_problem(await client.delete(unknown, headers=admin.headers), 404, "user_not_found")
    assert await all_users(client, admin) == before


async def test_malformed_uuid_in_path_is_422(client: httpx.AsyncClient, admin: Account) -> None:
    before = await all_users(client, admin)
    for bad_id in ("not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%00"):
        url = f"{USERS}/{bad_id}"
        for response in (
            await client.get(url, headers=admin.headers),
            await client.patch(url, json={"full_name": "X"}, headers=admin.headers),
            await client.delete(url, headers=admin.headers),
        ):
            body = assert_problem(response, 422)
            assert {e["field"] for e in body["errors"]} == {"user_id"}, bad_id
    assert await all_users(client, admin) == before
