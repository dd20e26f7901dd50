from __future__ import annotations

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.users import USER_FIELDS


async def test_me_returns_the_signed_in_user(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get("/api/v1/me", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == admin.email
    assert body["role"] == "admin"
    assert body["id"] == str(admin.id)
    assert set(body) == USER_FIELDS
    assert body["last_login_at"] is not None
    assert "ETag" in response.headers


async def test_me_without_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me")
    assert_problem(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"] == "Bearer"
