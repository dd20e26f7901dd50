"""The gauges behind the operators' alerts: the database pool's connections in use, the
cache's circuit, key rotation's progress (counted when /metrics is scraped) and the
periodic verification of the audit chain (`shre.monitor`), in a test process and in a
real `shre serve`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from shre.api.runtime import Runtime
from shre.app import create_app
from shre.cache.breaker import CircuitBreaker
from shre.employees.keys import rotate
from shre.employees.vault import EmployeeVault
from shre.monitor import verify_audit
from shre.observability.prometheus import exposition
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.app import base_settings
from tests.support.audit import tamper, write
from tests.support.cli import Server, clean_env, command_env, shre
from tests.support.crypto import new_key, with_keys
from tests.support.employees import create, employee_body
from tests.support.metrics import value


def gauge(name: str, **labels: str) -> float:
    return value(exposition().decode(), name, **labels)


async def test_connections_lent_by_the_pool_are_counted(runtime: Runtime) -> None:
    before = gauge("shre_db_pool_in_use")
    async with runtime.engine.connect() as first:
        assert gauge("shre_db_pool_in_use") == before + 1
        async with runtime.engine.connect() as second:
            assert gauge("shre_db_pool_in_use") == before + 2
            await second.close()
        await first.close()
    assert gauge("shre_db_pool_in_use") == before


def test_an_open_circuit_is_a_gauge_until_a_call_works_again() -> None:
    """(The gauge is the process's: the breaker is first opened and closed, whatever
    another test's breaker left it at.)"""
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=2, reset_after=5.0, clock=lambda: now[0])

    def wait_and_try() -> None:
        now[0] += 6.0
        assert breaker.allow()  # the one trial call

    breaker.failure()
    breaker.failure()
    assert gauge("shre_cache_circuit_open") == 1
    wait_and_try()
    assert breaker.success()
    assert gauge("shre_cache_circuit_open") == 0

    breaker.failure()
    assert gauge("shre_cache_circuit_open") == 0  # one failure is not an outage
    breaker.failure()
    assert gauge("shre_cache_circuit_open") == 1
    wait_and_try()
    breaker.failure()  # the trial failed: still open
    assert gauge("shre_cache_circuit_open") == 1
    wait_and_try()
    assert breaker.success()
    assert gauge("shre_cache_circuit_open") == 0


async def test_verification_of_the_audit_chain_is_exported(runtime: Runtime) -> None:
    await write(runtime, 3)
    started = time.time()
    assert (await verify_audit(runtime)).ok
    passed = gauge("shre_audit_verify_last_success_timestamp_seconds")
    assert passed >= started
    assert gauge("shre_audit_verify_last_failure_timestamp_seconds") < started

    await tamper(runtime, "UPDATE audit_events SET action = 'forged' WHERE seq = 2")
    report = await verify_audit(runtime)
    assert not report.ok
    assert gauge("shre_audit_verify_last_failure_timestamp_seconds") >= passed
    # Failing: the latest failure is newer than the latest success (the alert's rule).
    assert gauge("shre_audit_verify_last_failure_timestamp_seconds") > gauge(
        "shre_audit_verify_last_success_timestamp_seconds"
    )


async def test_key_rotation_progress_is_counted_when_scraped(
    settings: Settings, tmp_path: Path, admin: Account, client: httpx.AsyncClient
) -> None:
    for n in range(3):
        await create(client, admin, employee_body(f"R{n}", f"r{n}@example.com"))
    assert settings.encryption_key is not None
    old = settings.encryption_key.get_secret_value()
    rotating = with_keys(settings, tmp_path, new_key(), old)

    async def pending() -> float:
        app = create_app(rotating)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as scraper:
                scraped = await scraper.get("/metrics")
                assert scraped.status_code == 200
                runtime: Runtime = app.state.runtime
                if value(scraped.text, "shre_key_rotation_pending", kind="employees"):
                    await rotate(runtime.sessionmaker, runtime.part(EmployeeVault))
        return value(scraped.text, "shre_key_rotation_pending", kind="employees")

    assert await pending() == 3  # under the retired key, until `shre keys rotate`
    assert await pending() == 0
    assert gauge("shre_key_rotation_pending", kind="documents") == 0


def test_the_server_verifies_the_chain_periodically(tmp_path: Path, free_port: int) -> None:
    # A database of its own, from scratch: the loop is the same on either database.
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/shre.db")
    env = clean_env(**command_env(settings, tmp_path / "var", AUDIT_VERIFY_INTERVAL_SECONDS="1"))
    migrated = shre(tmp_path, "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    server = Server(tmp_path, free_port, env)
    try:
        deadline = time.monotonic() + 60
        verified = 0.0
        while time.monotonic() < deadline and not verified:
            scraped = httpx.get(server.url + "/metrics", timeout=5)
            verified = value(scraped.text, "shre_audit_verify_last_success_timestamp_seconds")
            time.sleep(0.2)
        assert verified > 0
    finally:
        server.stop()
