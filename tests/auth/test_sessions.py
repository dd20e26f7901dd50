"""Ending tokens: a password change, deactivation or admin reset ends every token issued
before it, however close in time (a token epoch, not a clock); logging out ends that
session's access tokens too, at once and in every process; a session has an absolute
lifetime."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.app import create_app
from shre.audit import AuditTrail
from shre.cache import pending_invalidations
from shre.db import utcnow
from shre.policy import Role
from shre.settings import Settings
from shre.users.models import RefreshToken
from shre.users.passwords import PasswordHasher
from shre.users.service import UserService
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.auth import (
    LOGOUT,
    ME,
    NEW_PASSWORD,
    USERS,
    Credentials,
    access_claims,
    bearer,
    new_user,
    refresh,
    refresh_rows,
    sign,
    stored_user,
    tokens,
)
from tests.support.database import statements_sent
from tests.support.servers import RedisServer


@pytest.fixture
async def user(accounts: Accounts) -> Credentials:
    return await new_user(accounts)


async def me(client: httpx.AsyncClient, pair: dict[str, Any]) -> httpx.Response:
    return await client.get(ME, headers=bearer(pair["access_token"]))


def assert_revoked(response: httpx.Response, code: str = "token_revoked") -> None:
    assert_problem(response, 401, code)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def logout(client: httpx.AsyncClient, refresh_token: str) -> None:
    response = await client.post(LOGOUT, json={"refresh_token": refresh_token})
    assert response.status_code == 204, response.text


async def set_tokens(runtime: Runtime, user_id: uuid.UUID, **values: Any) -> None:
    async with runtime.sessionmaker() as db:
        await db.execute(
            update(RefreshToken).where(RefreshToken.user_id == user_id).values(**values)
        )
        await db.commit()


# --- the same second: an epoch, not a clock (finding 5) ---------------------------------------
# Each test issues, changes and uses within a few milliseconds (no sleeping): with the
# whole-second comparison these ran in one second and the old tokens were accepted.
# (Deactivation: test_tokens.test_reactivation_does_not_revive_old_tokens.)


async def test_a_token_issued_just_before_a_password_change_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials, admin: Account
) -> None:
    pair = await tokens(client, user)
    assert (await me(client, pair)).status_code == 200  # cached in this process now
    changed = await client.patch(
        f"{USERS}/{user.id}", json={"password": NEW_PASSWORD}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text

    assert_revoked(await me(client, pair))
    assert_revoked(await refresh(client, pair["refresh_token"]), "refresh_token_revoked")
    assert (await stored_user(runtime, user.id)).token_epoch == 1
    # Tokens issued right after, in the same second, carry the new epoch and work.
    fresh = await tokens(client, Credentials(user.id, user.email, NEW_PASSWORD))
    assert (await me(client, fresh)).status_code == 200
    # A forged token with the current epoch passes, one with the old epoch does not: the
    # claim is what is compared (the forger is the app's own format, see tests/support/auth.py).
    current = {"access_token": sign(runtime, access_claims(user.id, epoch=1))}
    assert (await me(client, current)).status_code == 200
    assert_revoked(await me(client, {"access_token": sign(runtime, access_claims(user.id))}))


async def test_an_admin_reset_refuses_a_token_issued_just_before(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    pair = await tokens(client, Credentials(admin.id, admin.email, admin.password))
    assert (await me(client, pair)).status_code == 200
    # `shre create-admin --force` (the CLI's path, in this process).
    async with runtime.sessionmaker() as session:
        audit = AuditTrail.system(session, runtime.sessionmaker)
        service = UserService(session, runtime.part(PasswordHasher), audit)
        await service.create_or_reset_admin(admin.email, NEW_PASSWORD, "Admin", reset=True)
        await session.commit()
        # As the command does after its commit (it reaches a shared cache only).
        await runtime.cache.invalidate(*pending_invalidations(session))

    assert_revoked(await me(client, pair))
    assert_revoked(await client.get(ME, headers=admin.headers))
    assert_revoked(await refresh(client, pair["refresh_token"]), "refresh_token_revoked")


async def test_a_refresh_token_of_an_older_epoch_is_refused_even_if_left_unrevoked(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials, admin: Account
) -> None:
    """A refresh racing a password change can insert its new token after the change's
    revocation ran (PostgreSQL's UPDATE does not see it): the epoch it carries ends it."""
    pair = await tokens(client, user)
    changed = await client.patch(
        f"{USERS}/{user.id}", json={"password": NEW_PASSWORD}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    await set_tokens(runtime, user.id, revoked_at=None)  # the revocation missed it

    assert_revoked(await refresh(client, pair["refresh_token"]), "refresh_token_revoked")
    (row,) = await refresh_rows(runtime, user.id)
    assert row.used_at is None  # refused, not spent


async def test_a_role_change_keeps_the_session_and_takes_effect_at_once(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts, admin: Account
) -> None:
    hr = await accounts.signed_in(Role.HR)
    assert (await client.get(f"{USERS}/{admin.id}", headers=hr.headers)).status_code == 403
    promoted = await client.patch(f"{USERS}/{hr.id}", json={"role": "admin"}, headers=admin.headers)
    assert promoted.status_code == 200, promoted.text
    assert (await client.get(f"{USERS}/{admin.id}", headers=hr.headers)).status_code == 200
    demoted = await client.patch(f"{USERS}/{hr.id}", json={"role": "hr"}, headers=admin.headers)
    assert demoted.status_code == 200, demoted.text
    assert (await client.get(f"{USERS}/{admin.id}", headers=hr.headers)).status_code == 403
    assert (await stored_user(runtime, hr.id)).token_epoch == 0


# --- logout ends the session's access tokens --------------------------------------------------


async def test_logout_ends_that_sessions_access_tokens_but_not_the_others(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    one, other = await tokens(client, user), await tokens(client, user)
    rotated = (await refresh(client, one["refresh_token"])).json()
    for pair in (one, rotated, other):
        assert (await me(client, pair)).status_code == 200  # cached in this process now

    await logout(client, rotated["refresh_token"])

    assert_revoked(await me(client, one))
    assert_revoked(await me(client, rotated))
    assert (await me(client, other)).status_code == 200
    assert (await refresh(client, other["refresh_token"])).status_code == 200
    assert (await stored_user(runtime, user.id)).token_epoch == 0  # the account is untouched


async def test_a_reused_refresh_token_ends_the_sessions_access_tokens(
    client: httpx.AsyncClient, user: Credentials
) -> None:
    first = await tokens(client, user)
    second = (await refresh(client, first["refresh_token"])).json()
    assert (await me(client, second)).status_code == 200

    assert_revoked(await refresh(client, first["refresh_token"]), "refresh_token_reused")
    assert_revoked(await me(client, second))
    assert_revoked(await me(client, first))


async def test_a_token_left_unrevoked_in_a_revoked_session_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    """A refresh racing a logout can insert its new token after the logout's revocation
    ran: one revoked token ends the whole family."""
    first = await tokens(client, user)
    second = (await refresh(client, first["refresh_token"])).json()
    await logout(client, second["refresh_token"])
    newest = (await refresh_rows(runtime, user.id))[-1]
    async with runtime.sessionmaker() as db:
        await db.execute(
            update(RefreshToken).where(RefreshToken.id == newest.id).values(revoked_at=None)
        )
        await db.commit()

    assert_revoked(await refresh(client, second["refresh_token"]), "refresh_token_revoked")


async def test_checking_the_session_costs_no_statement_while_the_account_is_cached(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    one, other = await tokens(client, user), await tokens(client, user)
    with statements_sent(runtime) as cold:
        assert (await me(client, one)).status_code == 200
    with statements_sent(runtime) as warm:
        assert (await me(client, one)).status_code == 200
        assert (await me(client, other)).status_code == 200
    assert len(cold) == 2  # the account's row and its sessions revoked lately
    assert warm == []

    await logout(client, one["refresh_token"])
    with statements_sent(runtime) as reloaded:
        assert_revoked(await me(client, one))
        assert (await me(client, other)).status_code == 200
    assert len(reloaded) == 2  # read again once, for both


class TestAcrossProcesses:
    """With Redis, a logout answered by one process is refused at once by another that
    had the account cached."""

    @pytest.fixture(params=["sqlite"])
    def backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    @pytest.fixture
    async def redis(self, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
        server = RedisServer(tmp_path_factory.mktemp("redis-sessions"))
        server.start()
        yield server
        server.stop()

    @pytest.fixture
    def settings_overrides(self, redis: RedisServer) -> dict[str, Any]:
        return {"redis_enabled": True, "redis_host": "127.0.0.1", "redis_port": redis.port}

    @pytest.fixture
    async def other_process(
        self, settings: Settings, app: FastAPI
    ) -> AsyncIterator[httpx.AsyncClient]:
        second = create_app(settings)
        async with second.router.lifespan_context(second):
            transport = httpx.ASGITransport(app=second, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://other") as c:
                yield c

    async def test_a_logout_in_one_process_is_seen_by_the_other(
        self,
        client: httpx.AsyncClient,
        other_process: httpx.AsyncClient,
        runtime: Runtime,
        user: Credentials,
    ) -> None:
        one, other = await tokens(client, user), await tokens(client, user)
        for _ in range(2):
            assert (await me(client, one)).status_code == 200
        hits = (await runtime.cache.get_stats()).hits
        assert (await me(client, other)).status_code == 200
        assert (await runtime.cache.get_stats()).hits > hits  # served from the cache

        await logout(other_process, one["refresh_token"])

        assert_revoked(await me(client, one))
        assert_revoked(await me(other_process, one))
        assert (await me(client, other)).status_code == 200
        assert (await me(other_process, other)).status_code == 200


# --- a session's absolute lifetime ------------------------------------------------------------


class TestSessionLifetime:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"refresh_session_max_seconds": 3600}  # refresh tokens live 7 days

    async def test_no_refresh_token_outlives_its_session(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        pair = await tokens(client, user)
        (row,) = await refresh_rows(runtime, user.id)
        assert row.family_started_at == row.created_at
        assert row.expires_at - row.family_started_at == timedelta(hours=1)

        # Half an hour into the session, a refresh's token ends with the session.
        await set_tokens(
            runtime, user.id, family_started_at=row.family_started_at - timedelta(minutes=30)
        )
        response = await refresh(client, pair["refresh_token"])
        assert response.status_code == 200, response.text
        newest = (await refresh_rows(runtime, user.id))[-1]
        assert newest.family_id == row.family_id
        assert newest.family_started_at == row.family_started_at - timedelta(minutes=30)
        assert newest.expires_at == newest.family_started_at + timedelta(hours=1)

    async def test_a_refresh_after_the_sessions_end_is_refused(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        pair = await tokens(client, user)
        ended = utcnow() - timedelta(hours=1, seconds=1)
        # The token itself not expired (issued when the limit was longer, say).
        await set_tokens(
            runtime, user.id, family_started_at=ended, expires_at=utcnow() + timedelta(days=1)
        )

        assert_revoked(await refresh(client, pair["refresh_token"]), "session_expired")
        assert_revoked(await refresh(client, pair["refresh_token"]), "session_expired")
        (row,) = await refresh_rows(runtime, user.id)
        assert row.used_at is None  # refused, not spent
        # Signing in again starts a new session.
        again = await tokens(client, user)
        assert (await refresh(client, again["refresh_token"])).status_code == 200
