"""POST /api/v1/auth/login: the token pair, bad credentials, inactive accounts, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import PASSWORD, Account, Accounts
from tests.support.app import assert_problem
from tests.support.auth import (
    LOGIN,
    ME,
    USERS,
    Credentials,
    bearer,
    login,
    new_user,
    stored_user,
    tokens,
)

# Distinctive, so a test can look for it anywhere in a response.
SECRET = "Zebra-Quartz 88 lemonade!"


@pytest.fixture
async def user(accounts: Accounts) -> Credentials:
    return await new_user(accounts)


async def test_login_returns_a_bearer_pair_that_works(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    before = datetime.now(UTC)
    response = await login(client, user.email, user.password)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    # CONTRACT.md §4: access tokens live 15 minutes.
    assert body["expires_in"] == runtime.settings.access_token_ttl_seconds == 900
    assert body["access_token"] != body["refresh_token"]
    claims = jwt.decode(
        body["access_token"],
        runtime.settings.jwt_key(),
        algorithms=["HS256"],
        audience="shre-api",
    )
    assert claims["sub"] == str(user.id)
    assert claims["exp"] - claims["iat"] == body["expires_in"]

    me = await client.get(ME, headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    last_login = datetime.fromisoformat(me.json()["last_login_at"])
    assert before - timedelta(seconds=1) <= last_login <= datetime.now(UTC)


async def test_each_login_starts_a_new_pair(client: httpx.AsyncClient, user: Credentials) -> None:
    first, second = await tokens(client, user), await tokens(client, user)
    assert first["refresh_token"] != second["refresh_token"]
    assert first["access_token"] != second["access_token"]


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    wrong_password = await login(client, user.email, SECRET)
    unknown_email = await login(client, "nobody-here@example.com", SECRET)

    first = assert_problem(wrong_password, 401, "invalid_credentials")
    second = assert_problem(unknown_email, 401, "invalid_credentials")
    assert first == second
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"
    for response in (wrong_password, unknown_email):
        assert SECRET not in response.text
        assert "access_token" not in response.text


async def test_email_is_matched_case_insensitively(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    email = "Mixed.Case-User@Example.COM"
    user_id = await accounts.create(Role.EMPLOYEE, email)
    for spelling in (email, email.upper(), email.lower(), "mixed.case-user@EXAMPLE.com"):
        response = await login(client, spelling, PASSWORD)
        assert response.status_code == 200, (spelling, response.text)
        me = await client.get(ME, headers=bearer(response.json()["access_token"]))
        assert me.json()["id"] == str(user_id)
        assert me.json()["email"] == email.lower()


async def test_deactivated_user_cannot_log_in_and_their_live_token_dies(
    client: httpx.AsyncClient, admin: Account, user: Credentials
) -> None:
    pair = await tokens(client, user)
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200

    patch = await client.patch(
        f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert patch.status_code == 200, patch.text
    assert patch.json()["is_active"] is False

    refused = await login(client, user.email, user.password)
    # The same answer as a wrong password: an inactive account is not revealed.
    assert assert_problem(refused, 401, "invalid_credentials") == assert_problem(
        await login(client, user.email, SECRET), 401
    )
    stale = await client.get(ME, headers=bearer(pair["access_token"]))
    assert_problem(stale, 401)
    assert stale.headers["WWW-Authenticate"] == "Bearer"

    # Reactivated, the account signs in again.
    patch = await client.patch(
        f"{USERS}/{user.id}", json={"is_active": True}, headers=admin.headers
    )
    assert patch.status_code == 200, patch.text
    assert (await login(client, user.email, user.password)).status_code == 200


# --- bad input: 422 naming the fields, never echoing the password ----------------------------

BAD_BODIES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("empty object", {"json": {}}, {"email", "password"}),
    ("no password", {"json": {"email": "someone@example.com"}}, {"password"}),
    ("no email", {"json": {"password": SECRET}}, {"email"}),
    ("not an email", {"json": {"email": "not-an-email", "password": SECRET}}, {"email"}),
    ("email without domain", {"json": {"email": "someone@", "password": SECRET}}, {"email"}),
    ("empty password", {"json": {"email": "someone@example.com", "password": ""}}, {"password"}),
    (
        "password too long",
        {"json": {"email": "someone@example.com", "password": SECRET * 100}},
        {"password"},
    ),
    (
        "number as password",
        {"json": {"email": "someone@example.com", "password": 12345}},
        {"password"},
    ),
    ("null email", {"json": {"email": None, "password": SECRET}}, {"email"}),
    (
        "unknown field",
        {"json": {"email": "someone@example.com", "password": SECRET, "remember": True}},
        {"remember"},
    ),
    ("array body", {"json": [{"email": "someone@example.com", "password": SECRET}]}, set()),
    (
        "malformed JSON",
        {
            "content": '{"email": "someone@example.com", "password": "' + SECRET + '",',
            "headers": {"content-type": "application/json"},
        },
        set(),
    ),
    ("form-encoded", {"data": {"email": "someone@example.com", "password": SECRET}}, set()),
    ("no body", {}, set()),
]


async def test_bad_input_is_422_naming_the_fields_without_the_password(
    client: httpx.AsyncClient,
) -> None:
    # One test walks the table: each case needs no data, and an app per case costs time.
    for name, request_kwargs, fields in BAD_BODIES:
        response = await client.post(LOGIN, **request_kwargs)

        body = assert_problem(response, 422)
        assert body["errors"], (name, body)
        assert {"field", "location", "message"} <= set(body["errors"][0]), name
        named = {error["field"] for error in body["errors"]}
        assert fields <= named, (name, body)
        for field in fields:
            assert field in body["detail"], (name, body)
        assert SECRET not in response.text, name
        assert SECRET[:8] not in response.text, name


async def test_bad_input_does_not_count_as_a_failed_login(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    for _ in range(12):
        assert (await client.post(LOGIN, json={"email": user.email})).status_code == 422
    assert (await login(client, user.email, user.password)).status_code == 200


async def test_a_10_mb_body_is_413_before_it_is_read(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    huge = b'{"email": "a@example.com", "password": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = await client.post(LOGIN, content=huge, headers={"content-type": "application/json"})

    assert_problem(response, 413)
    assert len(response.content) < 1000
    assert (await login(client, user.email, user.password)).status_code == 200


async def test_a_10_mb_chunked_body_without_content_length_is_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> Any:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    response = await client.post(
        LOGIN, content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


SQL_LIKE = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "x'; DROP TABLE users; --",
    '" OR ""="',
    "%' --",
    "*)(|(uid=*",
]


async def test_sql_like_strings_are_just_wrong_credentials(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    users_before = (await client.get(USERS, headers=admin.headers)).json()
    hash_before = (await stored_user(runtime, admin.id)).password_hash

    for probe in SQL_LIKE:
        attempts = {
            "both": await login(client, probe, probe),
            "as email": await login(client, probe, admin.password),
            "as password": await login(client, admin.email, probe),
            "in local part": await login(client, f"{probe}@example.com", probe),
            "quote in email": await login(client, f"o'brien'--{len(probe)}@example.com", probe),
        }
        for where, response in attempts.items():
            assert response.status_code in {401, 422}, (probe, where, response.text)
            assert_problem(response, response.status_code)
            assert "access_token" not in response.text
            assert "syntax" not in response.text.lower(), (probe, where)
            assert "sql" not in response.text.lower(), (probe, where)
        # Valid emails with a wrong password are plain bad credentials.
        assert attempts["as password"].status_code == 401, probe
        assert attempts["quote in email"].status_code == 401, probe

    assert (await client.get(USERS, headers=admin.headers)).json() == users_before
    assert (await stored_user(runtime, admin.id)).password_hash == hash_before
    assert (await login(client, admin.email, admin.password)).status_code == 200
