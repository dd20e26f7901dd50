"""Prometheus metrics at /metrics: requests counted by their route's template, SQL
statements, audit events and failed sign-ins; labels that hold no id, email or typed
value; the token that guards a scrape; several workers' counts added up."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from shre.app import create_app
from shre.observability import prometheus
from shre.observability.prometheus import exposition
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import Accounts
from tests.support.app import assert_problem
from tests.support.cli import Server, clean_env, command_env, shre
from tests.support.metrics import value

TOKEN = "scrape-token-for-tests-0123456789"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"metrics_token": TOKEN}


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_template_and_no_label_holds_a_value(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    someone = uuid.uuid4()
    typed_email = f"nobody-{uuid.uuid4().hex[:8]}@metrics.example"
    record = {"method": "GET", "route": "/api/v1/employees/{employee_id}", "status": "404"}
    before = await scrape(client)

    for _ in range(3):
        found = await client.get(f"/api/v1/employees/{someone}", headers=hr.headers)
        assert found.status_code == 404
    refused = await client.post(
        "/api/v1/auth/login", json={"email": typed_email, "password": "not the one at all"}
    )
    assert refused.status_code == 401
    created = await client.post(
        "/api/v1/departments", json={"name": "Zebulon Metrics"}, headers=hr.headers
    )
    assert created.status_code == 201
    await client.get("/api/v1/employees", params={"q": "Quixotic-Typed"}, headers=hr.headers)
    await client.get("/api/v1/no-such-thing/abc-123-def")
    for made_up in ("BREW", "BREW2", "BREW3"):
        await client.request(made_up, "/healthz")
    after = await scrape(client)

    assert (
        value(after, "http_requests_total", **record)
        - value(before, "http_requests_total", **record)
        == 3
    )
    timed = {k: record[k] for k in ("method", "route")}
    assert (
        value(after, "http_request_duration_seconds_count", **timed)
        - value(before, "http_request_duration_seconds_count", **timed)
        == 3
    )
    assert (
        value(after, "shre_login_failures_total") - value(before, "shre_login_failures_total") == 1
    )
    made = {"action": "department.create", "outcome": "success"}
    assert (
        value(after, "shre_audit_events_total", **made)
        - value(before, "shre_audit_events_total", **made)
        == 1
    )
    assert value(after, "shre_db_statements_total") > value(before, "shre_db_statements_total")
    brewed = {"method": "OTHER", "route": "/healthz", "status": "405"}
    assert (
        value(after, "http_requests_total", **brewed)
        - value(before, "http_requests_total", **brewed)
        == 3
    )
    # What the process keeps per label set is as bounded as the labels: no made-up
    # method, no record's id.
    assert not any(key[0].startswith("BREW") for key in prometheus._children)
    namespaces = [
        labels[0]
        for metric, labels in prometheus._counters
        if metric == id(prometheus.CACHE_REQUESTS)
    ]
    assert namespaces
    assert not any(":" in namespace for namespace in namespaces)

    # Ids, emails and what clients typed never become label values.
    for secret in (
        str(someone),
        str(hr.id),
        hr.email,
        typed_email,
        "Zebulon",
        "Quixotic",
        "abc-123-def",
        "BREW",
        TOKEN,
    ):
        assert secret not in after, secret
    routes = set(re.findall(r'route="([^"]*)"', after))
    assert routes, after
    assert all(r == "unmatched" or not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", r) for r in routes)


async def test_a_scrape_needs_the_token_when_one_is_set(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert (await client.get("/metrics", headers=SCRAPE)).status_code == 200


@pytest.mark.server
def test_several_workers_counts_add_up(settings: Settings, tmp_path: Path, free_port: int) -> None:
    """`shre serve --workers 2`: each worker writes its own values, a scrape answered by
    either adds them all up."""
    env = clean_env(**command_env(settings, tmp_path / "var"), METRICS_TOKEN=TOKEN)
    assert shre(tmp_path, "migrate", env=env).returncode == 0
    shared = tmp_path / "metrics"
    shared.mkdir()
    (shared / "counter_1.db").write_bytes(b"left by an earlier run")  # emptied at start
    env["PROMETHEUS_MULTIPROC_DIR"] = str(shared)
    server = Server(tmp_path, free_port, env, "--workers", "2")
    try:
        someone = uuid.uuid4()
        requests = 40

        def one(_: int) -> int:
            # A connection each: the kernel hands them to either worker.
            return httpx.get(f"{server.url}/api/v1/employees/{someone}").status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(one, range(requests))) == {401}
        scraped = httpx.get(server.url + "/metrics", headers=SCRAPE)
        assert scraped.status_code == 200
        assert httpx.get(server.url + "/metrics").status_code == 401
        route = {"method": "GET", "route": "/api/v1/employees/{employee_id}", "status": "401"}
        assert value(scraped.text, "http_requests_total", **route) == requests
        writers = {p.stem.rpartition("_")[2] for p in shared.glob("counter_*.db")}
        assert "1" not in writers  # the earlier run's file went
        assert len(writers) >= 2  # both workers write into the one directory
    finally:
        server.stop()


STATEMENTS = "shre_db_statements_total"
FORKED = """
import os
from shre.observability.prometheus import DB_STATEMENTS
DB_STATEMENTS.inc()
child = os.fork()
if child == 0:
    DB_STATEMENTS.inc(2)
    os._exit(0)
os.waitpid(child, 0)
print(os.getpid(), child)
"""


def test_a_forked_process_writes_values_of_its_own(tmp_path: Path) -> None:
    """The process id the multiprocess values are filed under is read once, and again
    in a forked child: the child's values never land in its parent's file."""
    env = clean_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    ran = subprocess.run(
        [sys.executable, "-c", FORKED], env=env, capture_output=True, text=True, check=True
    )
    parent, child = ran.stdout.split()
    files = {p.name for p in tmp_path.glob("counter_*.db")}
    assert files == {f"counter_{parent}.db", f"counter_{child}.db"}

    def statements(pid: str) -> float:
        merged = MultiProcessCollector.merge([str(tmp_path / f"counter_{pid}.db")])
        found = [s.value for m in merged for s in m.samples if s.name == STATEMENTS]
        return sum(found)

    assert (statements(parent), statements(child)) == (1, 2)


async def test_readiness_and_cached_reads_are_counted(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    """`shre_backend_up` follows /readyz; cached reads count by namespace family and
    result (the embedded cache: in-process)."""
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    exposed = await scrape(client)
    for backend in ready.json()["checks"]:
        assert value(exposed, "shre_backend_up", backend=backend) == 1
    employee = await accounts.signed_in(Role.EMPLOYEE)
    before = await scrape(client)
    for _ in range(3):
        listed = await client.get("/api/v1/employees", headers=employee.headers)
        assert listed.status_code == 200
    after = await scrape(client)

    def delta(result: str) -> float:
        labels = {"namespace": "employees", "result": result}
        return value(after, "shre_cache_requests_total", **labels) - value(
            before, "shre_cache_requests_total", **labels
        )

    assert delta("miss") == 1  # the first read loads the page, the others find it
    assert delta("hit") == 2
    # One account per user, under the family's name, never the user's id.
    assert value(after, "shre_cache_requests_total", namespace="user", result="hit") >= 1
    assert str(employee.id) not in after


async def test_metrics_can_be_turned_off(settings: Settings) -> None:
    """METRICS_ENABLED=false: nothing counted per request, and /metrics is a 404."""
    app = create_app(settings.model_copy(update={"metrics_enabled": False}))
    healthz = {"method": "GET", "route": "/healthz", "status": "200"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            before = exposition().decode()
            assert (await client.get("/healthz")).status_code == 200
            assert_problem(await client.get("/metrics", headers=SCRAPE), 404, "metrics_off")
    after = exposition().decode()
    assert value(after, "http_requests_total", **healthz) == value(
        before, "http_requests_total", **healthz
    )
