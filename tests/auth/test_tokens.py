"""Bearer access tokens: only a genuine, live token of an active user is accepted."""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.auth.tokens import InvalidToken, TokenCodec
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.auth import (
    ME,
    NEW_PASSWORD,
    USERS,
    access_claims,
    bearer,
    login,
    new_user,
    refresh,
    sign,
    tokens,
    unsigned_token,
    with_payload,
)


def assert_unauthorized(response: httpx.Response, case: str, code: str | None = None) -> None:
    assert response.status_code == 401, (case, response.text)
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer", case
    if code is not None:
        assert body.get("code") == code, (case, body)


async def test_a_genuine_token_is_accepted_in_any_scheme_case(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    # The forger below builds tokens exactly as the app does: this one must pass, so the
    # refusals in the next test are about the defect each case carries and nothing else.
    forged_genuine = sign(runtime, access_claims(admin.id))
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    for header in (
        f"Bearer {token}",
        f"bearer {token}",
        f"BEARER {token}",
        f"Bearer {forged_genuine}",
    ):
        response = await client.get(ME, headers={"Authorization": header})
        assert response.status_code == 200, (header, response.text)
        assert response.json()["id"] == str(admin.id)


def bad_tokens(runtime: Runtime, admin: Account, user_id: uuid.UUID) -> dict[str, str]:
    """Tokens that must all be refused; `user_id` is a plain employee, `admin` an admin."""
    now = datetime.now(UTC)
    genuine_user_token = sign(runtime, access_claims(user_id))
    other_secret = secrets.token_urlsafe(48)

    def claims(**changes: Any) -> dict[str, Any]:
        values = access_claims(user_id, now=now)
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    return {
        "expired": sign(runtime, access_claims(user_id, now=now - timedelta(hours=1))),
        "expired a second ago": sign(
            runtime, claims(iat=int(now.timestamp()) - 901, exp=int(now.timestamp()) - 1)
        ),
        "another secret": sign(runtime, claims(), key=other_secret),
        "alg none": unsigned_token(claims()),
        "alg none as admin": unsigned_token(access_claims(admin.id)),
        "payload swapped to the admin": with_payload(genuine_user_token, access_claims(admin.id)),
        "lifetime stretched": with_payload(
            genuine_user_token, claims(exp=int((now + timedelta(days=365)).timestamp()))
        ),
        "signature stripped": genuine_user_token.rsplit(".", 1)[0] + ".",
        "signature of another token": genuine_user_token.rsplit(".", 1)[0]
        + "."
        + admin.headers["Authorization"].rsplit(".", 1)[1],
        "HS512 with the right secret": sign(runtime, claims(), alg="HS512"),
        "refresh type": sign(runtime, claims(type="refresh")),
        "no type": sign(runtime, claims(type=None)),
        "no expiry": sign(runtime, claims(exp=None)),
        "no subject": sign(runtime, claims(sub=None)),
        # Tokens of the release before sessions and epochs: refused, the holder refreshes.
        "no session": sign(runtime, claims(sid=None)),
        "no epoch": sign(runtime, claims(ep=None)),
        "session not a uuid": sign(runtime, claims(sid="all")),
        "epoch a string": sign(runtime, claims(ep="0")),
        "epoch negative": sign(runtime, claims(ep=-1)),
        "epoch a boolean": sign(runtime, claims(ep=False)),
        "subject not a uuid": sign(runtime, claims(sub="admin")),
        "wrong audience": sign(runtime, claims(aud="someone-else")),
        "wrong issuer": sign(runtime, claims(iss="evil")),
        "unknown user": sign(runtime, access_claims(uuid.uuid4())),
        "garbage": "not-a-token-at-all",
        "three garbage parts": "aaaa.bbbb.cccc",
        "json instead of jwt": '{"sub": "' + str(admin.id) + '"}',
    }


async def test_forged_expired_and_malformed_tokens_are_401(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts, admin: Account
) -> None:
    user = await new_user(accounts)
    cases = bad_tokens(runtime, admin, user.id)
    pair = await tokens(client, user)
    cases["refresh token as bearer"] = pair["refresh_token"]

    for case, token in cases.items():
        # Both a self-service endpoint and an admin-only one: the gate is the same.
        code = "inactive_account" if case == "unknown user" else "invalid_token"
        assert_unauthorized(await client.get(ME, headers=bearer(token)), case, code)
        assert_unauthorized(await client.get(USERS, headers=bearer(token)), case, code)

    # None of it disturbed the real sessions.
    assert (await client.get(ME, headers=bearer(pair["access_token"]))).status_code == 200
    assert (await client.get(USERS, headers=admin.headers)).status_code == 200


async def test_other_schemes_and_malformed_headers_are_401(
    client: httpx.AsyncClient, admin: Account
) -> None:
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    basic = base64.b64encode(f"{admin.email}:{admin.password}".encode()).decode()
    headers: dict[str, dict[str, str]] = {
        "basic with the right password": {"Authorization": f"Basic {basic}"},
        "token scheme": {"Authorization": f"Token {token}"},
        "no scheme": {"Authorization": token},
        "scheme only": {"Authorization": "Bearer"},
        "scheme and blank": {"Authorization": "Bearer    "},
        "empty header": {"Authorization": ""},
        "token in another header": {"X-Access-Token": token},
        "token in a cookie": {"Cookie": f"access_token={token}"},
        "two tokens": {"Authorization": f"Bearer {token} {token}"},
    }
    for case, header in headers.items():
        assert_unauthorized(await client.get(ME, headers=header), case)
    assert_unauthorized(await client.get(ME, params={"access_token": token}), "query parameter")


async def test_a_deleted_users_tokens_are_dead(
    client: httpx.AsyncClient, accounts: Accounts, admin: Account
) -> None:
    user = await new_user(accounts)
    pair = await tokens(client, user)
    deleted = await client.delete(f"{USERS}/{user.id}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text

    stale = await client.get(ME, headers=bearer(pair["access_token"]))
    assert_unauthorized(stale, "access", "inactive_account")
    assert_unauthorized(await refresh(client, pair["refresh_token"]), "refresh")
    assert_problem(await login(client, user.email, user.password), 401, "invalid_credentials")


async def test_a_password_change_kills_older_tokens(
    client: httpx.AsyncClient, accounts: Accounts, admin: Account
) -> None:
    user = await new_user(accounts)
    before = [await tokens(client, user), await tokens(client, user)]  # two sessions
    # No waiting: a token issued in the same second as the change is refused as well.
    changed = await client.patch(
        f"{USERS}/{user.id}", json={"password": NEW_PASSWORD}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text

    for pair in before:
        stale = await client.get(ME, headers=bearer(pair["access_token"]))
        assert_unauthorized(stale, "old access token", "token_revoked")
        assert_unauthorized(await refresh(client, pair["refresh_token"]), "old refresh token")
    assert_problem(await login(client, user.email, user.password), 401, "invalid_credentials")

    # The new password works at once, tokens and all.
    response = await login(client, user.email, NEW_PASSWORD)
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200
    assert (await refresh(client, fresh["refresh_token"])).status_code == 200
    # An admin's other activity is not disturbed by it.
    assert (await client.get(ME, headers=admin.headers)).status_code == 200


async def test_reactivation_does_not_revive_old_tokens(
    client: httpx.AsyncClient, accounts: Accounts, admin: Account
) -> None:
    user = await new_user(accounts)
    pair = await tokens(client, user)  # the same second as what follows, most likely
    for active in (False, True):
        response = await client.patch(
            f"{USERS}/{user.id}", json={"is_active": active}, headers=admin.headers
        )
        assert response.status_code == 200, response.text

    assert_unauthorized(
        await client.get(ME, headers=bearer(pair["access_token"])), "access", "token_revoked"
    )
    assert_unauthorized(
        await refresh(client, pair["refresh_token"]), "refresh", "refresh_token_revoked"
    )
    fresh = await tokens(client, user)
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200


async def test_a_token_that_expires_is_refused_after_being_accepted() -> None:
    """Checked tokens are remembered per process; the expiry is still checked each time."""
    codec = TokenCodec(secrets.token_urlsafe(48), access_ttl=timedelta(seconds=1))
    user_id = uuid.uuid4()
    token = codec.issue_access(user_id, datetime.now(UTC), session_id=uuid.uuid4(), epoch=0)
    assert codec.decode_access(token).user_id == user_id
    assert codec.decode_access(token).user_id == user_id  # the remembered answer
    await asyncio.sleep(1.1)
    with pytest.raises(InvalidToken, match="expired"):
        codec.decode_access(token)
    with pytest.raises(InvalidToken):
        codec.decode_access(token + "x")  # a changed token is checked afresh
    other = TokenCodec(secrets.token_urlsafe(48), access_ttl=timedelta(minutes=5))
    fresh = other.issue_access(user_id, datetime.now(UTC), session_id=uuid.uuid4(), epoch=0)
    with pytest.raises(InvalidToken):
        codec.decode_access(fresh)  # another key's signature
