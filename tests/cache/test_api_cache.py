"""The cache in the running app, on Redis: what a write changes is seen by the next read
from any app process; Redis holds ciphertext only; one role's cached rows never become
another role's view; Redis dying mid-test fails no request; operators see and flush it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.app import build_runtime
from shre.audit.chain import SharedHead
from shre.cache.sync import installation_id
from shre.employees import cache as employee_cache
from shre.observability.metrics import COUNTERS
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import PASSWORD, Account, Accounts
from tests.support.app import another_process, assert_problem
from tests.support.audit import events as audit_events
from tests.support.audit import statements_of_change, statements_of_read, verify
from tests.support.cli import clean_env, shre
from tests.support.documents import DOCS, new_employee, uploaded
from tests.support.employees import EMPLOYEES, SENSITIVE, create, employee_body
from tests.support.servers import RedisServer


@pytest.fixture
async def redis(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    own = RedisServer(tmp_path_factory.mktemp("redis-api"))  # these tests may stop it
    own.start()
    yield own
    own.stop()


@pytest.fixture
def settings_overrides(redis: RedisServer) -> dict[str, Any]:
    return {"redis_enabled": True, "redis_host": "127.0.0.1", "redis_port": redis.port}


@pytest.fixture
async def other_process(settings: Settings, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second app instance on the same database and Redis (as a second worker is)."""
    async with another_process(settings) as client:
        yield client


def command_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment of a `shre` command run beside the servers: their database, keys
    and Redis."""
    return clean_env(
        DATABASE_URL=settings.database_url,
        ENCRYPTION_KEY=settings.encryption_key.get_secret_value(),  # type: ignore[union-attr]
        JWT_SECRET=settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        SHRE_VAR_DIR=str(tmp_path / "cli-var"),
        REDIS_ENABLED="true",
        REDIS_HOST=settings.redis_host,
        REDIS_PORT=str(settings.redis_port),
    )


def keys_of(runtime: Runtime) -> str:
    """Where this installation's keys live in Redis (`shre:<installation>:`)."""
    prefix = runtime.cache.cache.prefix  # type: ignore[attr-defined]
    assert isinstance(prefix, str)
    assert prefix.startswith("shre:")
    return prefix


async def names(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(EMPLOYEES, headers=headers)
    assert response.status_code == 200, response.text
    return [e["last_name"] for e in response.json()["items"]]


async def test_a_write_in_one_process_is_read_in_the_other(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    record = f"{EMPLOYEES}/{ada['id']}"
    # Both processes have the list and the record cached.
    for process in (client, other_process):
        for _ in range(2):
            assert await names(process, admin.headers) == ["Lovelace"]
            assert (await process.get(record, headers=admin.headers)).json()["salary"] == (
                "85000.50"
            )
    assert (await runtime.cache.get_stats()).hits >= 2

    changed = await other_process.patch(
        record, json={"last_name": "King", "salary": "90000.00"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert await names(client, admin.headers) == ["King"]
    got = (await client.get(record, headers=admin.headers)).json()
    assert (got["last_name"], got["salary"]) == ("King", "90000.00")

    await create(client, admin, employee_body("E2", "grace@example.com", last_name="Hopper"))
    assert sorted(await names(other_process, admin.headers)) == ["Hopper", "King"]
    # Termination is a write too.
    gone = await client.delete(record, headers=admin.headers)
    assert gone.status_code == 204, gone.text
    got = (await other_process.get(record, headers=admin.headers)).json()
    assert got["status"] == "terminated"


async def test_redis_holds_no_sensitive_plaintext(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    redis: RedisServer,
    runtime: Runtime,
) -> None:
    person = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    await accounts.create(Role.EMPLOYEE, "ada-user@example.com", employee_id=person["id"])
    self_headers = {
        "Authorization": f"Bearer {(await accounts.login('ada-user@example.com'))['access_token']}"
    }
    hr = await accounts.signed_in(Role.HR)
    # Changes made in place are logged with the row as committed (its ciphertext).
    changed = {"salary": "97000.25", "bank_account": "GB29NWBK60161331926819"}
    for round_, body in enumerate(({}, changed, {"home_address": "2 Elm Rd, Shelbyville"})):
        if body:
            patched = await client.patch(
                f"{EMPLOYEES}/{person['id']}", json=body, headers=admin.headers
            )
            assert patched.status_code == 200, patched.text
        for headers in (admin.headers, hr.headers, self_headers):
            await client.get(EMPLOYEES, headers=headers)
            await client.get(EMPLOYEES, params={"ssn": SENSITIVE["ssn"]}, headers=headers)
            read = await client.get(f"{EMPLOYEES}/{person['id']}", headers=headers)
            assert read.json().get("ssn") in (SENSITIVE["ssn"], None), round_
    raw = redis.client()
    keys = [key async for key in raw.scan_iter(match=f"{keys_of(runtime)}*")]
    assert any(b":v" in key for key in keys)  # something was cached
    values, logged = [], []
    for key in keys:
        if await raw.type(key) == b"zset":  # a change log: the rows its changes carried
            logged += await raw.zrange(key, 0, -1)
        else:
            values.append(await raw.get(key) or b"")
    assert any(b'"salary_enc"' in entry for entry in logged), logged
    dump = b"".join([*keys, *values, *logged])
    for value in [*SENSITIVE.values(), *changed.values(), "2 Elm Rd, Shelbyville"]:
        if len(value) > 3:
            assert value.encode() not in dump, value
    assert b"123456789" not in dump
    assert b"dek_wrapped" not in dump  # the wrapped data keys are never cached either
    await raw.aclose()


async def test_one_roles_cached_view_never_reaches_another(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com", **SENSITIVE))
    hr = await accounts.signed_in(Role.HR)
    staff = await accounts.signed_in(Role.EMPLOYEE)
    every = {"fields": ",".join(SENSITIVE)}
    hr_list = (await client.get(EMPLOYEES, params=every, headers=hr.headers)).json()["items"]
    hr_record = (
        await client.get(f"{EMPLOYEES}/{boss['id']}", params=every, headers=hr.headers)
    ).json()
    assert hr_list[0]["salary"] == hr_record["salary"] == "85000.50"
    assert hr_list[0]["ssn"] == hr_record["ssn"] == SENSITIVE["ssn"]
    hr_default = (await client.get(EMPLOYEES, headers=hr.headers)).json()["items"]
    assert hr_default[0]["status"] == "active"
    assert not hr_default[0].keys() & set(SENSITIVE)  # one cached page, each its own view
    hits = (await runtime.cache.get_stats()).hits

    listed = (await client.get(EMPLOYEES, params=every, headers=staff.headers)).json()["items"]
    record = (
        await client.get(f"{EMPLOYEES}/{boss['id']}", params=every, headers=staff.headers)
    ).json()
    assert (await runtime.cache.get_stats()).hits >= hits + 2  # served from the cache
    for view in (listed[0], record):
        assert view["last_name"] == "Lovelace"
        for name in (*SENSITIVE, "hire_date", "status"):
            assert name not in view, name


async def test_requests_keep_succeeding_while_redis_is_down(
    client: httpx.AsyncClient, admin: Account, redis: RedisServer, runtime: Runtime
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    assert await names(client, admin.headers) == ["Lovelace"]
    redis.stop()
    for _ in range(5):
        assert await names(client, admin.headers) == ["Lovelace"]
    changed = await client.patch(
        f"{EMPLOYEES}/{ada['id']}", json={"last_name": "Byron"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert await names(client, admin.headers) == ["Byron"]
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["cache"] == "degraded"
    stats = (await client.get("/api/v1/admin/cache", headers=admin.headers)).json()
    assert stats["errors"] > 0
    assert "employees" in stats["pending_invalidations"]

    redis.start()
    runtime.cache.cache.breaker.reset_after = 0  # type: ignore[attr-defined]
    for _ in range(3):  # the first calls close the circuit and apply the invalidation
        assert await names(client, admin.headers) == ["Byron"]
    assert runtime.cache.dirty == set()
    assert (await client.get("/readyz")).json()["checks"]["cache"] == "ok"


async def test_operators_see_and_flush_the_cache(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    await create(client, admin, employee_body("E1", "ada@example.com"))
    await names(client, admin.headers)
    await names(client, admin.headers)
    stats = await client.get("/api/v1/admin/cache", headers=admin.headers)
    assert stats.status_code == 200
    body = stats.json()
    assert {"enabled", "backend", "hits", "misses", "hit_ratio", "errors", "keys"} <= set(body)
    assert (body["enabled"], body["backend"]) == (True, "redis")
    assert body["hits"] >= 1
    assert body["keys"] >= 1
    hr = await accounts.signed_in(Role.HR)
    assert_problem(await client.get("/api/v1/admin/cache", headers=hr.headers), 403)
    assert_problem(await client.delete("/api/v1/admin/cache", headers=hr.headers), 403)
    flushed = await client.delete("/api/v1/admin/cache", headers=admin.headers)
    assert flushed.status_code == 200
    assert flushed.json()["deleted"] >= 1
    assert await names(client, admin.headers) == ["Lovelace"]
    process = (await client.get("/api/v1/admin/stats", headers=admin.headers)).json()
    assert process["process"]["requests"] > 0
    assert process["process"]["db_queries"] > 0

    # The audit log's statements are counted apart (and within db_queries): a read of
    # sensitive fields appends an event; a read of directory fields appends nothing.
    async def counted() -> tuple[int, int]:
        stats = (await client.get("/api/v1/admin/stats", headers=admin.headers)).json()
        return stats["process"]["db_queries"], stats["process"]["audit_queries"]

    staff = await accounts.signed_in(Role.EMPLOYEE)
    queries, audit = await counted()
    assert (await client.get(EMPLOYEES, headers=staff.headers)).status_code == 200
    assert (await counted())[1] == audit
    for _ in range(2):
        queries, audit = await counted()
        listed = await client.get(EMPLOYEES, params={"fields": "salary"}, headers=admin.headers)
        assert "salary" in listed.json()["items"][0]
        more_queries, more_audit = await counted()
        assert more_audit - audit >= 1  # 1 after this process's own head, else 2
    # The rows' data keys were read by the first of these reads, kept by the process.
    assert more_queries - queries == more_audit - audit


async def test_a_command_that_changes_employees_invalidates_the_servers_cache(
    client: httpx.AsyncClient, admin: Account, settings: Settings, tmp_path: Path
) -> None:
    for _ in range(2):  # cached: an empty directory
        assert (await client.get(EMPLOYEES, headers=admin.headers)).json()["total"] == 0
    env = command_env(settings, tmp_path)
    seeded = shre(tmp_path, "seed-demo", "--employees", "12", env=env)
    assert seeded.returncode == 0, seeded.stderr
    assert "WARNING: could not invalidate" not in seeded.stderr
    after = (await client.get(EMPLOYEES, headers=admin.headers)).json()["total"]
    assert after == 12


async def test_a_key_destroyed_by_a_command_is_used_by_no_process_after(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Each process keeps the wrapped data keys it read; `shre keys shred` (a process of
    its own) makes every server forget them before it returns: crypto-shredding works at
    once, whatever was kept."""
    person = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    record = f"{EMPLOYEES}/{person['id']}"
    every = {"fields": ",".join(SENSITIVE)}
    for process in (client, other_process):
        for _ in range(2):  # the key is kept now, by both processes
            assert (await process.get(record, params=every, headers=admin.headers)).json()[
                "ssn"
            ] == (SENSITIVE["ssn"])
            listed = await process.get(EMPLOYEES, params=every, headers=admin.headers)
            assert listed.json()["items"][0]["ssn"] == SENSITIVE["ssn"]
    env = command_env(settings, tmp_path)
    shredded = shre(tmp_path, "keys", "shred", person["id"], "--yes", env=env)
    assert shredded.returncode == 0, shredded.stderr
    assert "WARNING: could not invalidate" not in shredded.stderr
    for process in (client, other_process):
        got = (await process.get(record, params=every, headers=admin.headers)).json()
        listed = (await process.get(EMPLOYEES, params=every, headers=admin.headers)).json()["items"]
        for view in (got, listed[0]):
            assert view["last_name"] == "Lovelace"
            for name in ("salary", "ssn", "bank_account", "date_of_birth", "home_address"):
                assert view.get(name) is None, name


async def test_department_stats_are_cached_with_salary_figures_sealed(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    redis: RedisServer,
    runtime: Runtime,
) -> None:
    department = (
        await client.post("/api/v1/departments", json={"name": "Ops"}, headers=admin.headers)
    ).json()
    people = [
        await create(
            client,
            admin,
            employee_body(
                f"E{i}",
                f"e{i}@example.com",
                department_id=department["id"],
                salary=f"{61000 + i * 1000}.00",
                salary_currency="EUR",
            ),
        )
        for i in range(5)
    ]
    url = f"/api/v1/departments/{department['id']}/stats"
    hr = await accounts.signed_in(Role.HR)
    staff = await accounts.signed_in(Role.EMPLOYEE)
    first = (await client.get(url, headers=hr.headers)).json()
    assert first["salary"]["by_currency"]["EUR"]["average"] == "63000.00"
    # The cached entry serves the employee too, without the salary part.
    seen = (await client.get(url, headers=staff.headers)).json()
    assert seen["headcount"] == 5
    assert seen["salary"] is None
    raw = redis.client()
    cached = [
        await raw.get(k) async for k in raw.scan_iter(match=f"{keys_of(runtime)}department_stats:*")
    ]
    await raw.aclose()
    assert len(cached) == 1
    assert b"63000" not in cached[0]
    assert b"61000" not in cached[0]
    # A change the figures do not count (a phone number) leaves them cached.
    phone = await client.patch(
        f"{EMPLOYEES}/{people[1]['id']}", json={"phone": "+49 30 1234567"}, headers=admin.headers
    )
    assert phone.status_code == 200
    misses = (await runtime.cache.get_stats()).misses
    assert (await client.get(url, headers=hr.headers)).json() == first
    assert (await runtime.cache.get_stats()).misses == misses  # nothing was reloaded
    # A raise is a write the figures count: the next figures include it.
    raised = await client.patch(
        f"{EMPLOYEES}/{people[0]['id']}", json={"salary": "66000.00"}, headers=admin.headers
    )
    assert raised.status_code == 200
    again = (await client.get(url, headers=hr.headers)).json()
    assert again["salary"]["by_currency"]["EUR"]["average"] == "64000.00"


async def test_a_deactivated_account_is_refused_at_once_by_every_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
) -> None:
    hr = await accounts.signed_in(Role.HR)
    for _ in range(2):  # the account is cached in this process now
        assert (await client.get("/api/v1/me", headers=hr.headers)).status_code == 200
    hits = (await runtime.cache.get_stats()).hits
    assert (await client.get("/api/v1/me", headers=hr.headers)).status_code == 200
    assert (await runtime.cache.get_stats()).hits > hits
    off = await other_process.patch(
        f"/api/v1/users/{hr.id}", json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200, off.text
    assert_problem(await client.get("/api/v1/me", headers=hr.headers), 401)
    cached = [
        k async for k in runtime.cache.cache.client.scan_iter(match=f"{keys_of(runtime)}user:*")
    ]  # type: ignore[attr-defined]
    values = b"".join([await runtime.cache.cache.client.get(k) or b"" for k in cached])  # type: ignore[attr-defined]
    assert b"argon2" not in values  # the password hash is never cached


class TestThrottleOnRedis:
    """With Redis, sign-in failures are counted there: every process sees one count."""

    @pytest.fixture
    def settings_overrides(self, redis: RedisServer) -> dict[str, Any]:
        return {
            "redis_enabled": True,
            "redis_host": "127.0.0.1",
            "redis_port": redis.port,
            "login_max_failures_per_account": 4,
        }

    async def test_failures_count_across_processes_and_concurrent_guesses_cannot_exceed(
        self,
        client: httpx.AsyncClient,
        other_process: httpx.AsyncClient,
        accounts: Accounts,
        redis: RedisServer,
        runtime: Runtime,
    ) -> None:
        await accounts.create(Role.HR, "hr@example.com")
        login = "/api/v1/auth/login"
        wrong = {"email": "hr@example.com", "password": "not the password at all"}
        right = {"email": "hr@example.com", "password": PASSWORD}
        # A successful sign-in takes its attempt back: it never counts as a failure.
        for _ in range(3):
            assert (await client.post(login, json=right)).status_code == 200
        for process in (client, other_process, client, other_process):
            assert (await process.post(login, json=wrong)).status_code == 401
        refused = await other_process.post(login, json=right)
        assert_problem(refused, 429, "login_throttled")
        assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
        raw = redis.client()
        assert [k async for k in raw.scan_iter(match=f"{keys_of(runtime)}throttle:acct:*")]
        await raw.aclose()

        # Twenty guesses at once for another account: at most four are even checked.
        await accounts.create(Role.HR, "hr2@example.com")
        guesses = await asyncio.gather(
            *(
                (client, other_process)[i % 2].post(
                    login, json={"email": "hr2@example.com", "password": f"guess number {i}"}
                )
                for i in range(20)
            )
        )
        codes = sorted(r.status_code for r in guesses)
        assert codes.count(401) == 4
        assert codes.count(429) == 16

    async def test_with_redis_down_the_database_counts(
        self, client: httpx.AsyncClient, accounts: Accounts, redis: RedisServer
    ) -> None:
        await accounts.create(Role.HR, "hr@example.com")
        redis.stop()
        login = "/api/v1/auth/login"
        wrong = {"email": "hr@example.com", "password": "not the password at all"}
        for _ in range(4):
            assert (await client.post(login, json=wrong)).status_code == 401
        refused = await client.post(login, json={"email": "hr@example.com", "password": PASSWORD})
        assert_problem(refused, 429, "login_throttled")


async def test_a_new_manager_sees_their_report_at_once_in_every_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
) -> None:
    """Whether a record reports to the (manager) caller is cached by the reporting line:
    a change of manager_id, made in one process, shows in the next read of the other."""
    boss = await create(client, admin, employee_body("B1", "boss@example.com"))
    report = await create(client, admin, employee_body("R1", "report@example.com"))
    email = "boss-user@example.com"
    await accounts.create(Role.MANAGER, email, employee_id=boss["id"])
    tokens = await accounts.login(email)
    manager = {"Authorization": f"Bearer {tokens['access_token']}"}
    record = f"{EMPLOYEES}/{report['id']}"

    async def listed() -> dict[str, Any]:
        page = (await other_process.get(EMPLOYEES, headers=manager)).json()["items"]
        found: dict[str, Any] = next(e for e in page if e["id"] == report["id"])
        return found

    for _ in range(2):  # the second read comes from the cache
        assert "status" not in await listed()
        seen = (await other_process.get(record, headers=manager)).json()
        assert "hire_date" not in seen
        assert "status" not in seen

    moved = await client.patch(record, json={"manager_id": boss["id"]}, headers=admin.headers)
    assert moved.status_code == 200, moved.text
    seen = (await other_process.get(record, headers=manager)).json()
    assert seen["hire_date"] == "2020-01-01"
    assert seen["status"] == "active"
    assert "salary" not in seen  # employment fields, never sensitive ones
    assert (await listed())["status"] == "active"
    reports = await other_process.get(f"{EMPLOYEES}/{boss['id']}/reports", headers=manager)
    assert [(r["id"], r["status"]) for r in reports.json()] == [(report["id"], "active")]

    # A phone change leaves the cached reporting line (it cannot change it) and is seen.
    phone = await client.patch(record, json={"phone": "+49 30 555"}, headers=admin.headers)
    assert phone.status_code == 200, phone.text
    seen = (await other_process.get(record, headers=manager)).json()
    assert seen["phone"] == "+49 30 555"
    assert seen["status"] == "active"


async def test_a_subtree_too_large_to_cache_still_shows_a_manager_their_reports(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(employee_cache, "SUBTREE_CACHED_UP_TO", 0)  # every one too large
    boss = await create(client, admin, employee_body("B1", "boss@example.com"))
    report = await create(
        client, admin, employee_body("R1", "report@example.com", manager_id=boss["id"])
    )
    await create(client, admin, employee_body("O1", "other@example.com"))
    email = "boss-user@example.com"
    await accounts.create(Role.MANAGER, email, employee_id=boss["id"])
    tokens = await accounts.login(email)
    manager = {"Authorization": f"Bearer {tokens['access_token']}"}
    for _ in range(2):
        page = (await client.get(EMPLOYEES, headers=manager)).json()["items"]
        status = {e["employee_number"]: e.get("status") for e in page}
        assert status == {"B1": "active", "R1": "active", "O1": None}
        record = (await client.get(f"{EMPLOYEES}/{report['id']}", headers=manager)).json()
        assert record["status"] == "active"


async def test_a_change_in_place_patches_the_cached_pages_of_every_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
) -> None:
    """A phone or salary change moves no row of any list: the pages stay cached, and every
    process patches them with the row as the write committed it (carried in the change
    log, ciphertext as stored): no statement. A change of a name reorders the pages:
    they are read again whole."""
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    await create(client, admin, employee_body("E2", "grace@example.com", last_name="Hopper"))
    staff = await accounts.signed_in(Role.EMPLOYEE)  # directory fields only: nothing audited

    async def page(process: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
        response = await process.get(EMPLOYEES, params={"fields": "salary"}, headers=headers)
        assert response.status_code == 200, response.text
        return [(e["last_name"], e["phone"], e.get("salary")) for e in response.json()["items"]]

    async def statements(process: httpx.AsyncClient) -> tuple[list[Any], int]:
        before = COUNTERS.db_queries
        seen = await page(process, staff.headers)
        return seen, COUNTERS.db_queries - before

    for process in (client, other_process):
        await page(process, staff.headers)
        await page(process, admin.headers)
        assert (await statements(process))[1] == 0  # cached

    record = f"{EMPLOYEES}/{ada['id']}"
    changed = await client.patch(
        record, json={"phone": "+44 20 7946", "salary": "91000.00"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    # Neither process reads the row again: the change carried it.
    for process in (other_process, client):
        expected = [("Hopper", None, None), ("Lovelace", "+44 20 7946", None)]
        assert await statements(process) == (expected, 0)
        assert await statements(process) == (expected, 0)
        assert await page(process, admin.headers) == [
            ("Hopper", None, None),
            ("Lovelace", "+44 20 7946", "91000.00"),
        ]

    renamed = await other_process.patch(record, json={"last_name": "Byron"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    seen, count = await statements(client)
    assert [name for name, _, _ in seen] == ["Byron", "Hopper"]
    assert count >= 2  # the page read again: its order changed


async def test_racing_changes_of_one_row_leave_every_process_with_the_last_one(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Writers of one row in two processes commit one after the other but log their
    changes in any order: every process's cached page and record end with the row as the
    database has it (the newest version), not with whichever change was logged last."""
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    record = f"{EMPLOYEES}/{ada['id']}"

    async def phone_on_page(process: httpx.AsyncClient) -> str:
        response = await process.get(EMPLOYEES, headers=admin.headers)
        assert response.status_code == 200, response.text
        return str(response.json()["items"][0]["phone"])

    for process in (client, other_process):
        await phone_on_page(process)  # cached, in both
        await process.get(record, headers=admin.headers)
    for round_ in range(3):
        changes = [
            process.patch(record, json={"phone": f"+1 555 {round_}{n:03d}"}, headers=admin.headers)
            for n, process in enumerate([client, other_process] * 4)
        ]
        for response in await asyncio.gather(*changes):
            assert response.status_code in (200, 409), response.text  # SQLite: 409 may come
        async with runtime.engine.connect() as conn:
            stored = (
                await conn.execute(text("SELECT phone FROM employees WHERE employee_number = 'E1'"))
            ).scalar_one()
        for process in (client, other_process):
            assert await phone_on_page(process) == stored
            on_record = await process.get(record, headers=admin.headers)
            assert on_record.json()["phone"] == stored


async def test_a_change_in_place_patches_the_cached_record_in_every_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
) -> None:
    """One employee's cached record follows the same change log as the pages: a phone or
    salary change reaches it in every process without a statement; a change of a name
    drops it."""
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    staff = await accounts.signed_in(Role.EMPLOYEE)  # directory fields only: nothing audited
    record = f"{EMPLOYEES}/{ada['id']}"

    async def read(process: httpx.AsyncClient, headers: dict[str, str]) -> tuple[Any, int]:
        before = COUNTERS.db_queries
        response = await process.get(record, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return (body["last_name"], body["phone"], body.get("salary")), COUNTERS.db_queries - before

    for process in (client, other_process):
        await read(process, staff.headers)
        assert (await read(process, staff.headers))[1] == 0  # cached

    changed = await client.patch(
        record, json={"phone": "+44 20 7946", "salary": "91000.00"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    for process in (other_process, client):
        assert await read(process, staff.headers) == (("Lovelace", "+44 20 7946", None), 0)
        seen, _ = await read(process, admin.headers)  # (an audited read: its event)
        assert seen == ("Lovelace", "+44 20 7946", "91000.00")

    renamed = await other_process.patch(record, json={"last_name": "Byron"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    for process in (client, other_process):
        seen, _ = await read(process, staff.headers)
        assert seen == ("Byron", "+44 20 7946", None)


async def test_a_managers_document_list_follows_the_reporting_line_in_every_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
) -> None:
    """A manager's document list (their own, and their reports' performance reviews) is
    cached within the reporting line: a report who moves in or out, or a new review,
    shows at once in every process."""
    boss = await new_employee(client, admin, "M")
    report = await new_employee(client, admin, "R", boss)
    outsider = await new_employee(client, admin, "O")
    await accounts.create(Role.MANAGER, "m@example.com", employee_id=uuid.UUID(boss))
    manager = {"Authorization": f"Bearer {(await accounts.login('m@example.com'))['access_token']}"}
    reviews = {
        who: (
            await uploaded(
                client, admin.headers, who.encode(), category="performance", employee_id=who
            )
        )["id"]
        for who in (report, outsider)
    }

    async def listed(process: httpx.AsyncClient) -> tuple[set[str], int]:
        before = COUNTERS.db_queries
        response = await process.get(DOCS, headers=manager)
        assert response.status_code == 200, response.text
        return {d["id"] for d in response.json()["items"]}, COUNTERS.db_queries - before

    for process in (client, other_process):
        await listed(process)
        assert await listed(process) == ({reviews[report]}, 0)  # cached

    moved = await other_process.patch(
        f"{EMPLOYEES}/{outsider}", json={"manager_id": boss}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    for process in (client, other_process):
        assert (await listed(process))[0] == set(reviews.values())

    away = await client.patch(
        f"{EMPLOYEES}/{report}", json={"manager_id": None}, headers=admin.headers
    )
    assert away.status_code == 200, away.text
    newer = await uploaded(
        other_process, admin.headers, b"q4", category="performance", employee_id=outsider
    )
    for process in (client, other_process):
        assert (await listed(process))[0] == {reviews[outsider], newer["id"]}


class TestSharedAuditHead:
    """Processes sharing a Redis publish the audit log's head they wrote: whichever of
    them appends next guesses it, so taking turns costs one statement per append, not
    two. A guess is never trusted: a published head that is not signed, or not the
    database's, only costs the usual locked append."""

    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    async def test_processes_taking_turns_append_in_one_statement_each(
        self, runtime: Runtime, settings: Settings, redis: RedisServer
    ) -> None:
        other = build_runtime(settings, serving=True)
        other.cache.cache.scope(await installation_id(other.sessionmaker))

        read = statements_of_read

        async def change(by: Runtime, n: int) -> int:
            return await statements_of_change(by, n, "test.write")

        try:
            costs = [await read(runtime, 0)]  # starts the chain
            for n in range(1, 9):
                by = (runtime, other)[n % 2]
                costs.append(await (read if n % 3 else change)(by, n))
            assert costs[1:] == [1] * 8

            raw = redis.client()
            key = f"{keys_of(runtime)}{SharedHead.KEY}"
            published = await raw.get(key)
            assert published is not None
            seq, hash_, key_id, _mac = orjson.loads(published[1:])  # by the last append
            # The database's head, published with a wrong signature, is not taken: the
            # process's own (stale) guess is, then the locked append.
            await raw.set(key, b"\x01" + orjson.dumps([seq, hash_, key_id, "0" * 64]))
            assert await read(other, 9) == 2
            # A head signed by the key but not the database's is taken, and moves nothing.
            fake = "f" * 64
            signed = [seq + 2, fake, *runtime.audit.sealer.sign("head", seq + 2, fake)]
            await raw.set(key, b"\x01" + orjson.dumps(signed))
            assert await read(runtime, 10) == 2
            assert await read(other, 11) == 1  # the real head, published by that append
            await raw.aclose()
        finally:
            await other.audit.aclose()
            await other.engine.dispose()
        stored = await audit_events(runtime)
        assert [e.seq for e in stored] == list(range(1, 13))
        report = await verify(runtime)
        assert report.ok, report
