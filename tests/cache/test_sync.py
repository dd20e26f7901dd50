"""A serving process's cache follows what it cannot see change: commands run beside it
(crypto-shredding, a password reset) and other serving processes without a shared
cache. And two installations sharing one Redis database never read each other's entries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shre import migrate
from shre.api.runtime import Runtime
from shre.app import create_app
from shre.cache.sync import TRUST_FOR, CacheSync
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem, base_settings
from tests.support.cli import Server, clean_env, shre
from tests.support.employees import EMPLOYEES, SENSITIVE, create, employee_body
from tests.support.servers import RedisServer

USERS = "/api/v1/users"


def sync_of(runtime: Runtime) -> CacheSync:
    assert runtime.sync is not None
    return runtime.sync


def command_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """A `shre` command beside the server: its database and keys, no Redis."""
    return clean_env(
        DATABASE_URL=settings.database_url,
        ENCRYPTION_KEY=settings.encryption_key.get_secret_value(),  # type: ignore[union-attr]
        JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        SHRE_VAR_DIR=str(tmp_path / "cli-var"),
    )


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            yield client


async def salary(client: httpx.AsyncClient, url: str, account: Account) -> object:
    response = await client.get(url, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json().get("salary")


# --- commands beside an embedded server (memory cache) ---------------------------------


async def test_a_shredding_command_reaches_the_servers_own_cache(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    assert runtime.cache.cache.backend == "memory"
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    url = f"{EMPLOYEES}/{ada['id']}"
    for _ in range(2):  # the record and the data key kept by this process
        assert await salary(client, url, admin) == SENSITIVE["salary"]
    shredded = shre(
        tmp_path, "keys", "shred", ada["id"], "--yes", env=command_env(settings, tmp_path)
    )
    assert shredded.returncode == 0, shredded.stderr
    await sync_of(runtime).sync()  # what the background task does every half second
    assert await salary(client, url, admin) is None
    assert (await client.get(url, headers=admin.headers)).json()["first_name"] == "Ada"


async def test_a_password_reset_by_command_ends_the_old_token_in_the_server(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    for _ in range(2):  # the account is cached
        assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 200
    reset = shre(
        tmp_path,
        "create-admin",
        "--email",
        admin.email,
        "--password",
        "a brand new pass phrase",
        "--force",
        env=command_env(settings, tmp_path),
    )
    assert reset.returncode == 0, reset.stderr
    await sync_of(runtime).sync()
    assert_problem(await client.get("/api/v1/me", headers=admin.headers), 401)


async def test_the_sync_runs_in_the_background(runtime: Runtime) -> None:
    sync = sync_of(runtime)
    first = sync.synced_at
    for _ in range(200):  # a liveness check (10 s at most), not a timing
        if sync.synced_at > first:
            break
        await asyncio.sleep(0.05)
    assert sync.synced_at > first
    assert sync.trusted()


async def test_a_stalled_sync_stops_the_cache_serving(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    for _ in range(2):
        assert (await client.get(USERS, headers=admin.headers)).status_code == 200
    sync = sync_of(runtime)
    assert runtime.cache.is_serving()
    sync.synced_at -= TRUST_FOR  # as if the database had not answered for that long
    assert not runtime.cache.is_serving()
    hits = (await runtime.cache.get_stats()).hits
    assert (await client.get(USERS, headers=admin.headers)).status_code == 200
    assert (await runtime.cache.get_stats()).hits == hits  # read from the database
    await sync.sync()
    assert runtime.cache.is_serving()


# --- several serving processes without a shared cache -----------------------------------


async def test_a_process_with_its_own_cache_stops_trusting_it_when_another_serves(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime, settings: Settings
) -> None:
    """Workers started some other way than `shre serve --workers` (each with a memory
    cache): none serves what another's write may have changed."""
    first = await accounts.signed_in(Role.ADMIN, "first@example.com")
    second = await accounts.signed_in(Role.ADMIN, "second@example.com")
    sync = sync_of(runtime)
    assert sync.trusted()
    for _ in range(2):  # first's account is cached here
        assert (await client.get(USERS, headers=first.headers)).status_code == 200

    async with serving(create_app(settings)) as other:
        # The newcomer served only once this process had stopped trusting its cache.
        assert not sync.trusted()
        demoted = await other.patch(
            f"{USERS}/{first.id}", json={"role": "employee"}, headers=second.headers
        )
        assert demoted.status_code == 200, demoted.text
        for _ in range(5):
            assert_problem(await client.get(USERS, headers=first.headers), 403)
        off = await other.patch(
            f"{USERS}/{first.id}", json={"is_active": False}, headers=second.headers
        )
        assert off.status_code == 200, off.text
        for _ in range(5):
            assert_problem(await client.get("/api/v1/me", headers=first.headers), 401)

    await sync.sync()  # the other one is gone: emptied, then trusted again
    assert sync.trusted()
    assert (await client.get(USERS, headers=second.headers)).status_code == 200


def test_serve_with_workers_and_no_redis_caches_nothing(tmp_path: Path, free_port: int) -> None:
    """The reviewers' case: `shre serve --workers 2`, SQLite, no Redis. A demoted admin
    is refused by every worker, and the workers run without a cache of their own."""
    env = clean_env()
    assert shre(tmp_path, "migrate", env=env).returncode == 0
    for email in ("one@example.com", "two@example.com"):
        made = shre(
            tmp_path, "create-admin", "--email", email, "--password", "a long pass phrase", env=env
        )
        assert made.returncode == 0, made.stderr
    server = Server(tmp_path, free_port, env, "--workers", "2")
    try:

        def sign_in(email: str) -> dict[str, str]:
            response = httpx.post(
                server.url + "/api/v1/auth/login",
                json={"email": email, "password": "a long pass phrase"},
            )
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        one, two = sign_in("one@example.com"), sign_in("two@example.com")
        stats = httpx.get(server.url + "/api/v1/admin/cache", headers=one)
        assert stats.json()["backend"] == "none", stats.text
        for _ in range(10):  # both workers have seen the admin
            assert httpx.get(server.url + USERS, headers=one).status_code == 200
        me = httpx.get(server.url + "/api/v1/me", headers=one).json()
        demoted = httpx.patch(f"{server.url}{USERS}/{me['id']}", json={"role": "hr"}, headers=two)
        assert demoted.status_code == 200, demoted.text
        assert {httpx.get(server.url + USERS, headers=one).status_code for _ in range(20)} == {403}
    finally:
        server.stop()


# --- two installations on one Redis database --------------------------------------------


@pytest.fixture
async def redis(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    own = RedisServer(tmp_path_factory.mktemp("redis-installations"))
    own.start()
    yield own
    own.stop()


async def test_two_installations_sharing_a_redis_database_keep_apart(
    tmp_path: Path, redis: RedisServer
) -> None:
    """Two databases (each made by its own migration), one Redis database: the same
    query is cached once per installation, and a flush of one leaves the other's."""
    shared = {"redis_enabled": True, "redis_host": "127.0.0.1", "redis_port": redis.port}
    installations = []
    for name in ("staging", "production"):
        settings = base_settings(
            tmp_path / name, f"sqlite+aiosqlite:///{tmp_path / name / 'shre.db'}", **shared
        )
        await migrate.upgrade(settings)
        installations.append(settings)
    async with (
        serving(create_app(installations[0])) as staging,
        serving(create_app(installations[1])) as production,
    ):
        runtimes = [app_runtime(staging), app_runtime(production)]
        people = {}
        for client, runtime, last_name in zip(
            (staging, production), runtimes, ("Lovelace", "Hopper"), strict=True
        ):
            admin = await Accounts(runtime, client).signed_in(Role.ADMIN, "admin@example.com")
            body = employee_body("E1", "e1@example.com", last_name=last_name)
            people[last_name] = (admin, await create(client, admin, body))
        for client, last_name in ((staging, "Lovelace"), (production, "Hopper")):
            admin, _ = people[last_name]
            for _ in range(3):
                listed = await client.get(EMPLOYEES, headers=admin.headers)
                assert [e["last_name"] for e in listed.json()["items"]] == [last_name]
        # The other installation's employee is no employee here.
        admin, _ = people["Hopper"]
        _, lovelace = people["Lovelace"]
        assert_problem(
            await production.get(f"{EMPLOYEES}/{lovelace['id']}", headers=admin.headers), 404
        )
        prefixes = [r.cache.cache.prefix for r in runtimes]  # type: ignore[attr-defined]
        assert prefixes[0] != prefixes[1]
        raw = redis.client()
        assert [k async for k in raw.scan_iter(match=f"{prefixes[1]}*")]
        flushed = await staging.delete("/api/v1/admin/cache", headers=people["Lovelace"][0].headers)
        assert flushed.status_code in (200, 204), flushed.text
        assert not [k async for k in raw.scan_iter(match=f"{prefixes[0]}*")]
        assert [k async for k in raw.scan_iter(match=f"{prefixes[1]}*")]
        await raw.aclose()


def app_runtime(client: httpx.AsyncClient) -> Runtime:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    runtime: Runtime = transport.app.state.runtime  # type: ignore[attr-defined]
    return runtime
