"""POST /api/v1/auth/refresh and /logout: rotation, reuse detection, revocation, expiry."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.db import utcnow
from shre.users.models import RefreshToken, User
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.auth import (
    LOGOUT,
    ME,
    REFRESH,
    USERS,
    Credentials,
    bearer,
    me_status,
    new_user,
    refresh,
    refresh_rows,
    tokens,
)


@pytest.fixture
async def user(accounts: Accounts) -> Credentials:
    return await new_user(accounts)


async def logout(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(LOGOUT, json={"refresh_token": refresh_token})


def assert_refused(response: httpx.Response, code: str | None = None) -> None:
    assert_problem(response, 401, code)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "access_token" not in response.json()


async def test_refresh_returns_a_new_pair_and_spends_the_old_token(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    first = await tokens(client, user)
    response = await refresh(client, first["refresh_token"])

    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert second["token_type"] == "bearer"
    assert second["expires_in"] == runtime.settings.access_token_ttl_seconds
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    me = await client.get(ME, headers=bearer(second["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)

    assert_refused(await refresh(client, first["refresh_token"]), "refresh_token_reused")

    # Stored: one family, the spent token marked, only SHA-256 digests, the configured TTL.
    rows = await refresh_rows(runtime, user.id)
    assert len(rows) == 2
    assert len({row.family_id for row in rows}) == 1
    digests = {row.token_hash for row in rows}
    for raw in (first["refresh_token"], second["refresh_token"]):
        assert hashlib.sha256(raw.encode()).hexdigest() in digests
        assert raw not in digests
    ttl = timedelta(seconds=runtime.settings.refresh_token_ttl_seconds)
    for row in rows:
        assert row.expires_at - row.created_at == ttl
    assert rows[0].used_at is not None


async def test_reuse_revokes_the_whole_session_but_not_the_others(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    session_a = await tokens(client, user)
    session_b = await tokens(client, user)
    chain = [session_a["refresh_token"]]
    for _ in range(2):
        response = await refresh(client, chain[-1])
        assert response.status_code == 200, response.text
        chain.append(response.json()["refresh_token"])

    # The first token turns up again: stolen, or replayed. The session is over.
    assert_refused(await refresh(client, chain[0]), "refresh_token_reused")
    assert_refused(await refresh(client, chain[-1]))
    assert_refused(await refresh(client, chain[1]))

    # The user's other session lives on.
    response = await refresh(client, session_b["refresh_token"])
    assert response.status_code == 200, response.text
    assert await me_status(client, response.json()["access_token"]) == 200
    assert (await refresh(client, response.json()["refresh_token"])).status_code == 200

    rows = await refresh_rows(runtime, user.id)
    family_a = {row.family_id for row in rows if row.used_at is not None and row.revoked_at}
    assert len(family_a) == 1
    for row in rows:
        assert (row.revoked_at is not None) == (row.family_id in family_a)


async def test_logout_revokes_the_session(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    session = await tokens(client, user)
    other = await tokens(client, user)
    rotated = (await refresh(client, session["refresh_token"])).json()

    response = await client.post(
        LOGOUT, json={"refresh_token": rotated["refresh_token"]}
    )  # no bearer token needed: the refresh token is the credential
    assert response.status_code == 204, response.text
    assert response.content == b""

    assert_refused(await refresh(client, rotated["refresh_token"]))
    assert_refused(await refresh(client, session["refresh_token"]))
    # Logging out twice is fine, and the other session is untouched.
    assert (await logout(client, rotated["refresh_token"])).status_code == 204
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_logout_with_an_unknown_token_is_still_204(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    session = await tokens(client, user)
    response = await logout(client, secrets.token_urlsafe(48))
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await refresh(client, session["refresh_token"])).status_code == 200
    assert all(row.revoked_at is None for row in await refresh_rows(runtime, user.id))


async def test_an_expired_refresh_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    session = await tokens(client, user)
    async with runtime.sessionmaker() as db:
        await db.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await db.commit()

    assert_refused(await refresh(client, session["refresh_token"]), "refresh_token_expired")
    assert_refused(await refresh(client, session["refresh_token"]), "refresh_token_expired")
    (row,) = await refresh_rows(runtime, user.id)
    assert row.used_at is None  # refused, not spent
    # Signing in again is the way back.
    assert (await refresh(client, (await tokens(client, user))["refresh_token"])).status_code == 200


async def test_a_deactivated_users_refresh_token_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account, accounts: Accounts
) -> None:
    # Through the API: deactivation ends every session.
    user = await new_user(accounts)
    session = await tokens(client, user)
    patch = await client.patch(
        f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert patch.status_code == 200, patch.text
    assert_refused(await refresh(client, session["refresh_token"]))

    # And the refresh itself checks the account, even if a token was left unrevoked.
    other = await new_user(accounts)
    session = await tokens(client, other)
    async with runtime.sessionmaker() as db:
        await db.execute(update(User).where(User.id == other.id).values(is_active=False))
        await db.commit()
    assert_refused(await refresh(client, session["refresh_token"]), "inactive_account")


async def test_concurrent_refreshes_of_one_token_succeed_at_most_once(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    for racers in (2, 5):
        session = await tokens(client, user)
        responses = await asyncio.gather(
            *(refresh(client, session["refresh_token"]) for _ in range(racers))
        )

        statuses = Counter(r.status_code for r in responses)
        assert set(statuses) <= {200, 401}, (racers, [r.text for r in responses])
        assert statuses[200] <= 1, (racers, statuses)
        for response in responses:
            if response.status_code == 401:
                assert_refused(response)
        assert_refused(await refresh(client, session["refresh_token"]))


async def test_bad_refresh_and_logout_bodies(client: httpx.AsyncClient, user: Credentials) -> None:
    session = await tokens(client, user)
    client.cookies.clear()  # an API client's: no cookie to fall back on (see test_cookies)
    invalid = {
        "no field": {},
        "null": {"refresh_token": None},
        "too short": {"refresh_token": "abc"},
        "too long": {"refresh_token": "x" * 5000},
        "not a string": {"refresh_token": 12345678901234567890},
        "unknown field": {"refresh_token": session["refresh_token"], "user_id": str(user.id)},
    }
    for case, body in invalid.items():
        for url in (REFRESH, LOGOUT):
            response = await client.post(url, json=body)
            assert response.status_code == 422, (case, url, response.text)
            assert_problem(response, 422)
            assert session["refresh_token"] not in response.text

    assert_refused(await refresh(client, secrets.token_urlsafe(48)), "invalid_refresh_token")
    assert_refused(await refresh(client, session["access_token"]), "invalid_refresh_token")
    assert_refused(await refresh(client, session["refresh_token"].upper()))
    # None of that spent or revoked the real token.
    assert (await refresh(client, session["refresh_token"])).status_code == 200
