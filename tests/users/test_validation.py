"""Bad input is refused with 422/409 and changes nothing; hostile strings are just strings."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.users import (
    NEW_PASSWORD,
    USERS,
    all_users,
    can_login,
    create_user,
    fetch_user,
    new_employee,
    user_body,
    user_url,
)

SECRET = "zebra Quartz 8812 lantern"  # must never come back in an error

SQL_LIKE = ["'; DROP TABLE users; --", '" OR 1=1 --', "%_\\"]


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


# --- create ----------------------------------------------------------------------------


# (overrides of a valid create body, the fields the 422 must name); ... drops a field.
BAD_CREATE: list[tuple[dict[str, Any], set[str]]] = [
    ({"email": ...}, {"email"}),
    ({"password": ...}, {"password"}),
    ({"full_name": ...}, {"full_name"}),
    ({"role": ...}, {"role"}),
    ({"email": ..., "role": ...}, {"email", "role"}),
    ({"is_superuser": True}, {"is_superuser"}),
    ({"password_hash": "$argon2id$v=19$m=19456,t=2,p=1$x$y"}, {"password_hash"}),
    ({"id": str(uuid.uuid4())}, {"id"}),
    ({"email": "not-an-email"}, {"email"}),
    ({"email": "two@@example.com"}, {"email"}),
    ({"email": "spaces in@example.com"}, {"email"}),
    ({"email": ""}, {"email"}),
    ({"email": None}, {"email"}),
    ({"role": "superuser"}, {"role"}),
    ({"role": "Admin"}, {"role"}),
    ({"role": None}, {"role"}),
    ({"full_name": ""}, {"full_name"}),
    ({"full_name": "   "}, {"full_name"}),
    ({"full_name": "x" * 201}, {"full_name"}),
    ({"full_name": "Eve\x00Null"}, {"full_name"}),
    ({"full_name": "Eve\nNewline"}, {"full_name"}),
    ({"full_name": "Eve\tTab"}, {"full_name"}),
    ({"full_name": "Eve\x1b[31mRed"}, {"full_name"}),
    ({"full_name": "Eve\x7fDel"}, {"full_name"}),
    ({"full_name": "Eve\x85Next-line"}, {"full_name"}),
    ({"full_name": "Eve\x9b31mRed"}, {"full_name"}),
    ({"full_name": 42}, {"full_name"}),
    ({"employee_id": "not-a-uuid"}, {"employee_id"}),
    ({"password": "short 1Aa!"}, {"password"}),
    ({"password": "x" * 2000}, {"password"}),
    ({"password": 123456789012345}, {"password"}),
]


async def test_create_with_bad_input_is_422_listing_the_fields(
    client: httpx.AsyncClient, admin: Account
) -> None:
    before = await all_users(client, admin)

    for overrides, fields in BAD_CREATE:
        body = user_body(**{"password": SECRET, **overrides})
        response = await client.post(USERS, json=body, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert fields_of(problem) == fields, overrides
        assert SECRET not in response.text, overrides

    assert await all_users(client, admin) == before


async def test_create_with_a_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    before = await all_users(client, admin)
    for payload in ("not json", "[]", "null", '{"email": "a@example.com",', ""):
        response = await client.post(
            USERS,
            content=payload,
            headers={**admin.headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 422)
    assert await all_users(client, admin) == before


async def test_password_of_11_characters_is_refused_and_12_accepted(
    client: httpx.AsyncClient, admin: Account
) -> None:
    before = await all_users(client, admin)
    short = await client.post(USERS, json=user_body(password="Kq7#mZ2!pL9"), headers=admin.headers)
    problem = assert_problem(short, 422, "weak_password")
    assert fields_of(problem) == {"password"}
    assert "Kq7#mZ2!pL9" not in short.text
    assert await all_users(client, admin) == before

    body = user_body(password="Kq7#mZ2!pL9x")
    await create_user(client, admin, **body)
    assert await can_login(client, body["email"], body["password"])


async def test_password_containing_the_email_or_its_local_part_is_refused(
    client: httpx.AsyncClient, admin: Account
) -> None:
    before = await all_users(client, admin)
    for password in (
        "margaret.hamilton@example.com!",
        "xx MARGARET.HAMILTON@EXAMPLE.COM",
        "margaret.hamilton-2024",
        "My name is Margaret.Hamilton",
    ):
        body = user_body(email="Margaret.Hamilton@example.com", password=password)
        response = await client.post(USERS, json=body, headers=admin.headers)
        problem = assert_problem(response, 422, "weak_password")
        assert fields_of(problem) == {"password"}, password
        assert password not in response.text
    assert await all_users(client, admin) == before


async def test_duplicate_email_is_409_email_taken(
    client: httpx.AsyncClient, admin: Account
) -> None:
    existing = await create_user(client, admin)
    before = await all_users(client, admin)
    local, domain = existing["email"].split("@")

    for email in (
        existing["email"],
        existing["email"].upper(),
        f"{local.title()}@{domain.upper()}",
    ):
        body = user_body(email=email, password=SECRET)
        response = await client.post(USERS, json=body, headers=admin.headers)
        assert_problem(response, 409, "email_taken")
        assert SECRET not in response.text

    assert await all_users(client, admin) == before


async def test_admin_email_cannot_be_taken_by_another_account(
    client: httpx.AsyncClient, admin: Account
) -> None:
    response = await client.post(
        USERS, json=user_body(email=admin.email.upper(), role="admin"), headers=admin.headers
    )
    assert_problem(response, 409, "email_taken")
    assert await can_login(client, admin.email, admin.password)


async def test_two_users_cannot_link_the_same_employee(
    client: httpx.AsyncClient, admin: Account
) -> None:
    employee_id = await new_employee(client, admin)
    linked = await create_user(client, admin, employee_id=employee_id)
    other = await create_user(client, admin)
    before = await all_users(client, admin)

    on_create = await client.post(
        USERS, json=user_body(employee_id=employee_id), headers=admin.headers
    )
    assert_problem(on_create, 409)
    on_patch = await client.patch(
        user_url(other["id"]), json={"employee_id": employee_id}, headers=admin.headers
    )
    assert_problem(on_patch, 409)

    assert await all_users(client, admin) == before
    assert (await fetch_user(client, admin, linked["id"]))["employee_id"] == employee_id


# --- patch -----------------------------------------------------------------------------


BAD_PATCH: list[tuple[dict[str, Any], set[str]]] = [
    ({"role": None}, {"role"}),
    ({"full_name": None}, {"full_name"}),
    ({"is_active": None}, {"is_active"}),
    ({"password": None}, {"password"}),
    ({"role": None, "is_active": None}, {"role", "is_active"}),
    ({"role": "root"}, {"role"}),
    ({"is_active": "perhaps"}, {"is_active"}),
    ({"full_name": ""}, {"full_name"}),
    ({"full_name": "Mallory\x00"}, {"full_name"}),
    ({"full_name": "Mal\rlory"}, {"full_name"}),
    ({"full_name": "Mal\x9blory"}, {"full_name"}),
    ({"email": "new@example.com"}, {"email"}),
    ({"id": str(uuid.uuid4())}, {"id"}),
    ({"created_at": "2020-01-01T00:00:00Z"}, {"created_at"}),
    ({"last_login_at": None}, {"last_login_at"}),
    ({"password_hash": "x"}, {"password_hash"}),
    ({"employee_id": "nope"}, {"employee_id"}),
    ({"password": "too short"}, {"password"}),
    ({"full_name": "Fine Name", "role": "root"}, {"role"}),
]


async def test_patch_with_bad_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    before = await all_users(client, admin)

    for body, fields in BAD_PATCH:
        response = await client.patch(user_url(user["id"]), json=body, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert fields_of(problem) == fields, body
        if isinstance(body.get("password"), str):
            assert body["password"] not in response.text

    assert await all_users(client, admin) == before


async def test_patch_password_containing_the_email_is_refused_and_old_one_still_works(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body(email="dorothy.vaughan@example.com")
    user = await create_user(client, admin, **body)

    for bad in ("DOROTHY.VAUGHAN rocks 2024", "x dorothy.vaughan@example.com x", "2short"):
        response = await client.patch(
            user_url(user["id"]), json={"password": bad}, headers=admin.headers
        )
        problem = assert_problem(response, 422, "weak_password")
        assert fields_of(problem) == {"password"}
        assert bad not in response.text

    assert await can_login(client, body["email"], body["password"])
    ok = await client.patch(
        user_url(user["id"]), json={"password": NEW_PASSWORD}, headers=admin.headers
    )
    assert ok.status_code == 200


async def test_patch_rejected_password_leaves_other_fields_unchanged(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A valid field next to an invalid one is not applied either."""
    user = await create_user(client, admin)
    response = await client.patch(
        user_url(user["id"]),
        json={"full_name": "Changed Name", "role": "hr", "password": "short"},
        headers=admin.headers,
    )
    assert_problem(response, 422)
    assert await fetch_user(client, admin, user["id"]) == user


# --- hostile strings -------------------------------------------------------------------


@pytest.mark.parametrize("name", SQL_LIKE)
async def test_sql_like_full_name_is_stored_and_returned_verbatim(
    client: httpx.AsyncClient, admin: Account, name: str
) -> None:
    user = await create_user(client, admin, full_name=name)
    assert user["full_name"] == name
    assert (await fetch_user(client, admin, user["id"]))["full_name"] == name

    other = await create_user(client, admin)
    patched = await client.patch(
        user_url(other["id"]), json={"full_name": name}, headers=admin.headers
    )
    assert patched.status_code == 200
    assert patched.json()["full_name"] == name
    # The table is still there and holds everyone.
    assert len(await all_users(client, admin)) == 3


async def test_non_ascii_full_name_round_trips(client: httpx.AsyncClient, admin: Account) -> None:
    for name in ("Zoë Ångström", "李小龙", "O'Brien-Smith", "Ünïcødé 🚀", "x" * 200):
        user = await create_user(client, admin, full_name=name)
        assert (await fetch_user(client, admin, user["id"]))["full_name"] == name


async def test_full_name_surrounding_whitespace_is_trimmed(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin, full_name="  Annie Easley  ")
    assert user["full_name"] == "Annie Easley"


@pytest.mark.parametrize("q", SQL_LIKE)
async def test_sql_like_q_is_matched_literally(
    client: httpx.AsyncClient, admin: Account, q: str
) -> None:
    hostile = await create_user(client, admin, full_name=f"Name {q} here")
    await create_user(client, admin, full_name="Plain Person")

    response = await client.get(USERS, params={"q": q}, headers=admin.headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert [u["id"] for u in page["items"]] == [hostile["id"]]
    assert page["total"] == 1
    assert len(await all_users(client, admin)) == 3


async def test_like_wildcards_in_q_do_not_match_everything(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await create_user(client, admin, full_name="Plain Person")
    for q in ("%", "_", "\\", "%%", "_%_", "[a-z]", "*", ".*"):
        literal = await create_user(client, admin, full_name=f"Has {q} inside")

        response = await client.get(USERS, params={"q": q}, headers=admin.headers)

        assert response.status_code == 200, response.text
        assert [u["id"] for u in response.json()["items"]] == [literal["id"]], q
        # Done with it: the next wildcard must not find this one by accident.
        deleted = await client.delete(user_url(literal["id"]), headers=admin.headers)
        assert deleted.status_code == 204


async def test_control_characters_in_q_are_422(client: httpx.AsyncClient, admin: Account) -> None:
    """NUL would be a 500 on PostgreSQL and cut the LIKE pattern short (match all) on SQLite."""
    for q in ("\x00", "a\x00b", "a\nb", "\x1b"):
        response = await client.get(USERS, params={"q": q}, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert fields_of(problem) == {"q"}
