"""Analytics on Redis: answers cached (pay bands sealed, never a clear salary or group),
served again without the database, and invalidated by every change they count, in every
process sharing the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shre.analytics.cache import FIGURES
from shre.api.runtime import Runtime
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.analytics import build_history, build_pay
from tests.support.app import another_process
from tests.support.employees import create, employee_body, url
from tests.support.servers import RedisServer

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
async def redis(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RedisServer]:
    own = RedisServer(tmp_path_factory.mktemp("redis-analytics"))
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


async def _cached_values(redis: RedisServer, runtime: Runtime) -> bytes:
    prefix = runtime.cache.cache.prefix  # type: ignore[attr-defined]
    raw = redis.client()
    try:
        keys = [k async for k in raw.scan_iter(match=f"{prefix}{FIGURES}:*")]
        return b" ".join([await raw.get(k) or b"" for k in keys])
    finally:
        await raw.aclose()


async def test_pay_bands_are_cached_sealed_and_follow_a_raise_in_another_process(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    redis: RedisServer,
    runtime: Runtime,
) -> None:
    org = await build_pay(client, admin)
    params = {"department_id": org.departments["Platform"]}
    path = "/api/v1/analytics/salary-bands"
    first = (await client.get(path, params=params, headers=admin.headers)).json()
    assert first["bands"][0]["median"] == "52000.00"
    misses = (await runtime.cache.get_stats()).misses
    assert (await client.get(path, params=params, headers=admin.headers)).json() == first
    assert (await runtime.cache.get_stats()).misses == misses  # served from the cache
    stored = await _cached_values(redis, runtime)
    assert stored
    for clear in (b"52000", b"50000", b"Engineer", b"EUR", b"median"):
        assert clear not in stored
    raised = await other_process.patch(
        url(org.people["P-02"]), json={"salary": "52500.00"}, headers=admin.headers
    )
    assert raised.status_code == 200
    again = (await client.get(path, params=params, headers=admin.headers)).json()
    assert again["bands"][0]["median"] == "52500.00"


async def test_headcount_is_cached_and_a_hire_in_another_process_is_seen_at_once(
    client: httpx.AsyncClient,
    other_process: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
) -> None:
    await build_history(client, admin)
    window = {"from": "2025-05", "to": "2025-06"}
    path = "/api/v1/analytics/headcount"
    first = (await client.get(path, params=window, headers=admin.headers)).json()
    assert [m["headcount"] for m in first["series"]] == [3, 3]
    hits = (await runtime.cache.get_stats()).hits
    assert (await client.get(path, params=window, headers=admin.headers)).json() == first
    assert (await runtime.cache.get_stats()).hits > hits
    body = employee_body("LATE-1", "late@history.example", hire_date="2025-06-20")
    await create(other_process, admin, body)
    again = (await client.get(path, params=window, headers=admin.headers)).json()
    assert [(m["headcount"], m["hires"]) for m in again["series"]] == [(3, 0), (4, 2)]
