"""No sensitive value leaves shre through its observability: a real server with every
sink on (ECS logs at INFO, Prometheus metrics, OpenTelemetry traces to a local OTLP
receiver, Sentry to a local ingest endpoint) serves a full workload carrying known
values (salaries, national ID, bank account, date of birth, home address, passwords,
tokens, a file's contents, the secrets of its settings), including a search by national
ID in the query string and a request that fails with a 500; then every log line, the
exposition, every span exported and every Sentry envelope is searched for each value."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.app import base_settings
from tests.support.cli import Server, clean_env, command_env, server_env, shre
from tests.support.receivers import (
    Receiver,
    dsn,
    envelopes,
    otlp_receiver,
    sentry_receiver,
    spans,
)

pytestmark = pytest.mark.server

API = "/api/v1"
ADMIN_PASSWORD = "quiet orchard lantern " + secrets.token_hex(6)
USER_PASSWORD = "velvet harbour compass " + secrets.token_hex(6)
WRONG_PASSWORD = "amber meadow violin " + secrets.token_hex(6)
RECORD = {
    "salary": "734512.89",
    "ssn": "987-65-4329",
    "bank_account": "DE44500105175407324931",
    "date_of_birth": "1977-03-14",
    "home_address": "42 Wallaby Way, Sydney " + secrets.token_hex(4),
}
RAISE = "812345.67"
FILE = b"CONTRACT TEXT " + secrets.token_hex(16).encode()

# The server, with a route that fails (only in this test's process): its request body
# holds sensitive values, and the handler has one in a local variable.
CRASHING = """
import sys

import shre.app
from fastapi import Request

made = shre.app.create_app


def create_app(settings, *, server=False):
    app = made(settings, server=server)

    @app.post("/api/v1/test-only/crash")
    async def crash(request: Request) -> None:
        body = await request.json()
        salary = body["salary"]
        if salary:
            raise RuntimeError("the test's own failure")

    return app


shre.app.create_app = create_app
from shre.cli import main

sys.argv = ["shre", *sys.argv[1:]]
main()
"""


@pytest.fixture
def sinks() -> Iterator[tuple[Receiver, Receiver]]:
    with otlp_receiver() as otlp, sentry_receiver() as sentry:
        yield otlp, sentry


@pytest.mark.parametrize("backends", ["embedded", "servers"])
def test_no_sensitive_value_reaches_a_log_a_metric_a_trace_or_an_error_report(
    backends: str,
    tmp_path: Path,
    free_port: int,
    sinks: tuple[Receiver, Receiver],
    request: pytest.FixtureRequest,
) -> None:
    """`embedded`: SQLite, local files, the in-process cache; `servers`: PostgreSQL,
    Redis and S3 (their spans and commands searched too)."""
    otlp, sentry = sinks
    sinks_env = {
        "LOG_LEVEL": "INFO",
        "SHRE_ADMIN_EMAIL": "chief@example.com",
        "SHRE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
        "SENTRY_DSN": dsn(sentry),
    }
    if backends == "servers":
        database = request.getfixturevalue("database")
        redis = request.getfixturevalue("redis")
        s3 = request.getfixturevalue("s3_server")
        env = server_env(tmp_path, database, redis, s3, **sinks_env)
    else:
        settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/shre.db")
        env = clean_env(**command_env(settings, tmp_path / "var", **sinks_env))
    encryption_key, jwt_secret = env["ENCRYPTION_KEY"], env["JWT_SECRET"]
    for command in ("migrate", "ensure-admin"):
        done = shre(tmp_path, command, env=env)
        assert done.returncode == 0, done.stderr
    server = Server(tmp_path, free_port, env, program=("-c", CRASHING))
    try:
        secrets_seen = workload(server.url)
        scraped = httpx.get(server.url + "/metrics").text
    finally:
        log = server.stop()  # SIGTERM: the exporters flush on the way out

    assert '"message":"http.request"' in log  # the lines are there to be searched
    otlp.wait_for(lambda posted: any(p.path == "/v1/traces" for p in posted))
    exported = spans(otlp)
    assert exported
    sentry.wait_for(lambda posted: bool(envelopes(sentry)))
    reports = envelopes(sentry)
    assert any(
        "the test's own failure" in str(event.get("exception"))
        for envelope in reports
        for event in envelope.events()
    )

    values = [
        *RECORD.values(),
        RAISE,
        ADMIN_PASSWORD,
        USER_PASSWORD,
        WRONG_PASSWORD,
        FILE.decode(),
        encryption_key,
        jwt_secret,
        *secrets_seen,
    ]
    span_text = "\n".join(repr(span) for span in exported)
    raw_traces = b"".join(p.content() for p in otlp.posted)
    raw_reports = b"".join(envelope.raw for envelope in reports)
    for value in values:
        assert value not in log, value
        assert value not in scraped, value
        assert value not in span_text, value
        assert value.encode() not in raw_traces, value
        assert value.encode() not in raw_reports, value


def workload(url: str) -> list[str]:
    """A day's work over HTTP; returns the tokens it was given (secrets too)."""
    tokens: list[str] = []
    with httpx.Client(base_url=url + API, timeout=30) as http:

        def login(email: str, password: str) -> dict[str, str]:
            answer = http.post("/auth/login", json={"email": email, "password": password})
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            tokens.extend([body["access_token"], body["refresh_token"]])
            return {"Authorization": f"Bearer {body['access_token']}"}

        admin = login("chief@example.com", ADMIN_PASSWORD)
        refused = http.post(
            "/auth/login", json={"email": "chief@example.com", "password": WRONG_PASSWORD}
        )
        assert refused.status_code == 401

        created = http.post(
            "/employees",
            json={
                "employee_number": "E-LEAK-1",
                "first_name": "Lea",
                "last_name": "Kage",
                "email": "lea.kage@example.com",
                "hire_date": "2020-01-01",
                "salary_currency": "EUR",
                **RECORD,
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        employee = created.json()["id"]
        revealed = http.get(
            f"/employees/{employee}", params={"fields": "ssn,bank_account"}, headers=admin
        )
        assert revealed.json()["ssn"] == RECORD["ssn"]
        found = http.get("/employees", params={"ssn": RECORD["ssn"]}, headers=admin)
        assert [e["id"] for e in found.json()["items"]] == [employee]
        changed = http.patch(f"/employees/{employee}", json={"salary": RAISE}, headers=admin)
        assert changed.status_code == 200, changed.text
        history = http.get(f"/employees/{employee}/history", headers=admin)
        assert RAISE in history.text

        user = http.post(
            "/users",
            json={
                "email": "lea.kage@example.com",
                "password": USER_PASSWORD,
                "full_name": "Lea Kage",
                "role": "employee",
                "employee_id": employee,
            },
            headers=admin,
        )
        assert user.status_code == 201, user.text
        own = login("lea.kage@example.com", USER_PASSWORD)
        assert http.get(f"/employees/{employee}", headers=own).json()["salary"] == RAISE
        refreshed = http.post("/auth/refresh", json={"refresh_token": tokens[-1]})
        assert refreshed.status_code == 200, refreshed.text
        tokens.extend([refreshed.json()["access_token"], refreshed.json()["refresh_token"]])

        uploaded = http.post(
            "/documents",
            data={"category": "contract", "employee_id": employee},
            files={"file": ("contract.txt", FILE, "text/plain")},
            headers=admin,
        )
        assert uploaded.status_code == 201, uploaded.text
        document = uploaded.json()["id"]
        assert http.get(f"/documents/{document}/content", headers=own).content == FILE

        crashed = http.post(
            "/test-only/crash",
            json={"salary": RECORD["salary"], "ssn": RECORD["ssn"], "password": USER_PASSWORD},
            headers={**admin, "Cookie": f"shre_refresh={tokens[1]}"},
            params={"ssn": RECORD["ssn"]},
        )
        assert crashed.status_code == 500
        assert RECORD["salary"] not in crashed.text
    return [token for token in tokens if token]
