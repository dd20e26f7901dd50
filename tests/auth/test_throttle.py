"""Failed-login throttling (CONTRACT.md §4): 10 failures per account or 100 per client address in
15 minutes, then 429 with Retry-After. Counters live in the database."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shre.api.runtime import Runtime
from shre.app import create_app
from shre.auth.throttle import account_key, address_key
from tests.support.accounts import Accounts
from tests.support.app import assert_problem
from tests.support.auth import Credentials, login, new_user, throttle_counts, unique_email

WRONG = "definitely not the password"
CLIENT_ADDRESS = "127.0.0.1"  # what httpx.ASGITransport reports by default
REMOTE_ADDRESS = "203.0.113.7"


def assert_throttled(response: httpx.Response, window_seconds: int) -> int:
    """A 429 problem with a whole, positive Retry-After within the window; returns it."""
    body = assert_problem(response, 429, "login_throttled")
    assert "access_token" not in body
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= window_seconds
    return int(retry_after)


async def fail(client: httpx.AsyncClient, email: str, times: int) -> None:
    for attempt in range(times):
        response = await login(client, email, WRONG)
        assert response.status_code == 401, f"attempt {attempt + 1}: {response.text}"
        assert_problem(response, 401, "invalid_credentials")


@pytest.fixture
async def user(accounts: Accounts) -> Credentials:
    return await new_user(accounts)


@pytest.fixture
async def remote(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling from a public address (no proxy anyone would trust)."""
    transport = httpx.ASGITransport(app=app, client=(REMOTE_ADDRESS, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_ten_failures_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts, user: Credentials
) -> None:
    window = runtime.settings.login_failure_window_seconds
    assert runtime.settings.login_max_failures_per_account == 10
    assert window == 15 * 60

    # Any spelling of the address counts against the same account.
    for attempt in range(10):
        email = user.email.upper() if attempt % 2 else user.email
        assert_problem(await login(client, email, WRONG), 401, "invalid_credentials")
    # The failures were committed although every response was an error.
    counts = await throttle_counts(runtime)
    assert counts[account_key(user.email)] == 10
    assert counts[address_key(CLIENT_ADDRESS)] == 10

    assert_throttled(await login(client, user.email, user.password), window)
    assert_throttled(await login(client, user.email, WRONG), window)
    # Throttled attempts are not checked, so they are not counted either.
    assert (await throttle_counts(runtime))[account_key(user.email)] == 10

    # Every app process sees the same counts: they live in the database.
    second = create_app(runtime.settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as c:
            assert_throttled(await login(c, user.email, user.password), window)

    # Other accounts are unaffected.
    other = await new_user(accounts)
    assert_problem(await login(client, other.email, WRONG), 401, "invalid_credentials")
    assert (await login(client, other.email, other.password)).status_code == 200


async def test_unknown_accounts_are_throttled_alike(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # Otherwise the throttle would tell which emails have an account.
    ghost = unique_email("ghost")
    await fail(client, ghost, 10)
    assert_throttled(
        await login(client, ghost, WRONG), runtime.settings.login_failure_window_seconds
    )


async def test_concurrent_failures_cannot_slip_past_the_limit(
    client: httpx.AsyncClient, runtime: Runtime, user: Credentials
) -> None:
    limit = runtime.settings.login_max_failures_per_account
    responses = await asyncio.gather(*(login(client, user.email, WRONG) for _ in range(2 * limit)))

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 429}, [r.text for r in responses]
    assert 1 <= statuses[401] <= limit, statuses
    assert (await throttle_counts(runtime))[account_key(user.email)] <= limit
    assert_throttled(
        await login(client, user.email, user.password),
        runtime.settings.login_failure_window_seconds,
    )


class TestAccountCounterReset:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_max_failures_per_account": 3}

    async def test_a_successful_login_resets_the_account_counter(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        await fail(client, user.email, 2)
        assert (await login(client, user.email, user.password)).status_code == 200
        assert account_key(user.email) not in await throttle_counts(runtime)

        await fail(client, user.email, 2)  # 4 failures in the window, but not in a row
        assert (await login(client, user.email, user.password)).status_code == 200

        await fail(client, user.email, 3)
        assert_throttled(
            await login(client, user.email, user.password),
            runtime.settings.login_failure_window_seconds,
        )


class TestPerAddressLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_max_failures_per_address": 5}

    async def test_failures_across_accounts_lock_the_address(
        self,
        client: httpx.AsyncClient,
        remote: httpx.AsyncClient,
        runtime: Runtime,
        accounts: Accounts,
        user: Credentials,
    ) -> None:
        window = runtime.settings.login_failure_window_seconds
        victim = await new_user(accounts)
        await fail(remote, user.email, 1)
        await fail(remote, victim.email, 1)
        # A success does not wipe the address's failures.
        assert (await login(remote, user.email, user.password)).status_code == 200
        for _ in range(3):
            await fail(remote, unique_email("spray"), 1)
        counts = await throttle_counts(runtime)
        assert counts[address_key(REMOTE_ADDRESS)] == 5
        assert max(v for k, v in counts.items() if k.startswith("acct:")) == 1

        # Every account is now closed to this address, whatever the password ...
        assert_throttled(await login(remote, victim.email, victim.password), window)
        assert_throttled(await login(remote, unique_email("fresh"), WRONG), window)
        # ... and forwarding headers chosen by the client do not open it.
        spoofed = await remote.post(
            "/api/v1/auth/login",
            json={"email": victim.email, "password": victim.password},
            headers={"X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"},
        )
        assert_throttled(spoofed, window)

        # Another address signs in normally.
        assert (await login(client, victim.email, victim.password)).status_code == 200
        assert_problem(await login(client, victim.email, WRONG), 401, "invalid_credentials")

    async def test_a_concurrent_spray_cannot_slip_past_the_address_limit(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        limit = runtime.settings.login_max_failures_per_address
        emails = [unique_email("spray") for _ in range(3 * limit)]
        responses = await asyncio.gather(*(login(client, email, WRONG) for email in emails))

        statuses = Counter(r.status_code for r in responses)
        assert set(statuses) <= {401, 429}, [r.text for r in responses]
        assert 1 <= statuses[401] <= limit, statuses
        assert (await throttle_counts(runtime))[address_key(CLIENT_ADDRESS)] <= limit
        assert_throttled(
            await login(client, user.email, user.password),
            runtime.settings.login_failure_window_seconds,
        )


class TestWindow:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_failure_window_seconds": 2, "login_max_failures_per_account": 3}

    async def test_the_lock_lifts_when_the_window_has_passed(
        self, client: httpx.AsyncClient, runtime: Runtime, user: Credentials
    ) -> None:
        await fail(client, user.email, 3)
        assert_throttled(await login(client, user.email, user.password), 2)

        await asyncio.sleep(2.5)

        # A new window: the old failures no longer count.
        assert_problem(await login(client, user.email, WRONG), 401, "invalid_credentials")
        assert (await throttle_counts(runtime))[account_key(user.email)] == 1
        assert (await login(client, user.email, user.password)).status_code == 200
