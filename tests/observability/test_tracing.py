"""Traces: with OTEL_EXPORTER_OTLP_ENDPOINT set, `shre serve` sends one trace per request
to an OTLP/HTTP collector, its server span named by the route's template, with the SQL
statements, Redis commands and S3 calls of the request inside it; no span holds a value
the request carried (SQL parameters, query values, credentials). Without the endpoint,
nothing is installed.

The tests run a real server in a process of its own: OpenTelemetry's tracer provider is
set once per process and the Redis and botocore instrumentations patch their libraries
for the whole process, so tracing turned on inside the test process would stay on for
every test after it (and could not be turned on twice with different endpoints). The
server stops with SIGTERM, as in production, which is also what sends its last spans.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shre.app import create_app
from shre.observability import tracing
from shre.settings import Settings
from tests.support.app import base_settings
from tests.support.cli import Server, server_env, shre
from tests.support.receivers import Span, otlp_receiver, spans
from tests.support.servers import RedisServer, S3Server, free_port

pytestmark = pytest.mark.server

SERVER, CLIENT = 2, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
SQL = "opentelemetry.instrumentation.sqlalchemy"
REDIS = "opentelemetry.instrumentation.redis"
BOTOCORE = "opentelemetry.instrumentation.botocore"
PASSWORD = "a traced admin's passphrase 7"
MARK = uuid.uuid4().hex[:8]
# Values the workload sends: none may appear in any span.
EMAIL = f"quiddity.{MARK}@tracing.example"
TYPED = {
    "salary": "91234.56",
    "ssn": "987-65-4329",
    "bank_account": "GB33BUKB20201555555555",
    "date_of_birth": "1987-03-14",
    "home_address": "42 Wallaby Way, Sydney",
}
SEARCHED = f"Quiddity{MARK}"
FILE = f"contents of a traced file {MARK}".encode()


def test_one_trace_per_request_with_its_sql_cache_and_s3_spans_and_no_values(
    tmp_path: Path, database: str, redis: RedisServer, s3_server: S3Server
) -> None:
    with otlp_receiver() as collector:
        env = server_env(
            tmp_path,
            database,
            redis,
            s3_server,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url + "/",
            OTEL_SERVICE_NAME="shre-traced",
        )
        assert shre(tmp_path, "migrate", env=env).returncode == 0
        admin = f"admin.{MARK}@tracing.example"
        made = shre(tmp_path, "create-admin", "--email", admin, "--password", PASSWORD, env=env)
        assert made.returncode == 0, made.stderr
        server = Server(tmp_path, free_port(), env)
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                work = workload(client, admin)
        finally:
            log = server.stop()  # SIGTERM: the lifespan's end sends the last spans
    received = spans(collector)
    assert received, log[-3000:]

    # Every span belongs to this service; every request is one trace, its root the
    # server span, named by the route's template.
    assert {s.resource.get("service.name") for s in received} == {"shre-traced"}
    servers = [s for s in received if s.kind == SERVER]
    assert all(s.parent_id == "" for s in servers)
    by_trace: dict[str, list[Span]] = {}
    for span in received:
        by_trace.setdefault(span.trace_id, []).append(span)
    for trace_spans in by_trace.values():
        assert [s.kind for s in trace_spans].count(SERVER) <= 1
    employee_id = work["employee_id"]
    reads = [s for s in servers if s.name == "GET /api/v1/employees/{employee_id}"]
    assert len(reads) == 2
    assert reads[0].attributes.get("http.route") == "/api/v1/employees/{employee_id}"
    assert not any(employee_id in s.name or work["document_id"] in s.name for s in received)

    # A read of the record: its statements and its cache lookups are inside its trace.
    for read in reads:
        inside = within(read, by_trace[read.trace_id])
        # (The audit append of a read goes on the driver's connection directly: its span
        # is shre's own, DRIVER_SCOPE.)
        sql = {SQL, tracing.DRIVER_SCOPE}
        scopes = {s.scope for s in inside}
        assert REDIS in scopes, scopes
        assert scopes & sql, scopes
        statements = [s.attributes.get("db.statement", "") for s in inside if s.scope in sql]
        # Placeholders ($1 ...), the values sent beside them (the audit event's append,
        # at least: the read of sensitive fields is recorded).
        assert statements
        assert any("$1" in st for st in statements), statements
        assert any("audit_head" in st for st in statements), statements
        commands = [s.attributes.get("db.statement", "") for s in inside if s.scope == REDIS]
        assert commands
        assert all("?" in c or " " not in c for c in commands), commands

    # The file went to S3 and came back from it, each call a span of its request.
    upload = one(servers, "POST /api/v1/documents")
    download = one(servers, "GET /api/v1/documents/{document_id}/content")
    for request, calls in (
        (upload, {"PutObject", "CreateMultipartUpload"}),
        (download, {"GetObject"}),
    ):
        s3_calls = [s for s in within(request, by_trace[request.trace_id]) if s.scope == BOTOCORE]
        assert {s.attributes.get("rpc.method") for s in s3_calls} & calls, s3_calls
        assert all(s.attributes.get("rpc.service") == "S3" for s in s3_calls)

    # The search's query keeps its parameter's name, not what was typed.
    search = one(servers, "GET /api/v1/employees")
    query = search.attributes.get("url.query") or search.attributes.get("http.url", "")
    assert "q=" in query, search.attributes

    # No value the requests carried is in any span: SQL parameters, typed values,
    # credentials, the file.
    secrets = [EMAIL, SEARCHED, PASSWORD, work["token"], FILE.decode(), *TYPED.values()]
    for span in received:
        flat = json.dumps([span.name, span.attributes, span.resource])
        for secret in secrets:
            assert secret not in flat, (secret, span)

    # The request's span was the current one when its access log line was written.
    traced_lines = [
        line for line in log_lines(log) if f"/api/v1/employees/{employee_id}" in json.dumps(line)
    ]
    assert {trace_id(line) for line in traced_lines} == {r.trace_id for r in reads}


def workload(client: httpx.Client, admin: str) -> dict[str, str]:
    """A sign-in, an employee made with known values and read twice (the second from the
    cache), a search, a document uploaded to S3 and downloaded."""
    signed_in = client.post("/api/v1/auth/login", json={"email": admin, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {
        "employee_number": f"T-{MARK}",
        "first_name": SEARCHED,
        "last_name": "Traced",
        "email": EMAIL,
        "hire_date": "2021-04-01",
        **TYPED,
        "salary_currency": "EUR",
    }
    created = client.post("/api/v1/employees", json=body, headers=auth)
    assert created.status_code == 201, created.text
    employee_id = created.json()["id"]
    for _ in range(2):
        read = client.get(f"/api/v1/employees/{employee_id}", headers=auth)
        assert read.status_code == 200, read.text
    found = client.get("/api/v1/employees", params={"q": SEARCHED}, headers=auth)
    assert found.status_code == 200, found.text
    uploaded = client.post(
        "/api/v1/documents",
        data={"category": "other", "employee_id": employee_id},
        files={"file": ("notes.txt", FILE, "text/plain")},
        headers=auth,
    )
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    content = client.get(f"/api/v1/documents/{document_id}/content", headers=auth)
    assert content.status_code == 200, content.text
    assert content.content == FILE
    return {"employee_id": employee_id, "document_id": document_id, "token": token}


def within(root: Span, trace_spans: list[Span]) -> list[Span]:
    """The spans below `root`, at any depth."""
    children: dict[str, list[Span]] = {}
    for span in trace_spans:
        children.setdefault(span.parent_id, []).append(span)
    found, stack = [], [root.span_id]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child.span_id)
    return found


def one(servers: list[Span], name: str) -> Span:
    named = [s for s in servers if s.name == name]
    assert len(named) == 1, [s.name for s in servers]
    return named[0]


def log_lines(log: str) -> list[dict[str, Any]]:
    lines = []
    for line in log.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def trace_id(line: dict[str, Any]) -> str | None:
    """The line's trace id, whether written dotted (`trace.id`) or nested (ECS)."""
    nested = line.get("trace")
    found = nested.get("id") if isinstance(nested, dict) else line.get("trace.id")
    return str(found) if found else None


async def test_without_an_endpoint_nothing_is_installed(tmp_path: Path) -> None:
    """The default: no provider of ours or anyone's, the app not instrumented, no trace
    id to log."""
    settings: Settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/shre.db")
    assert settings.otel_exporter_otlp_endpoint is None
    app: FastAPI = create_app(settings)
    assert not tracing.configure_tracing(settings)
    assert tracing._provider is None
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    assert not RedisInstrumentor().is_instrumented_by_opentelemetry
    assert not BotocoreInstrumentor().is_instrumented_by_opentelemetry  # type: ignore[no-untyped-call]
    assert tracing.current_span_ids() is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("http://collector:4318", "http://collector:4318"),
        ("https://otel.example.com/", "https://otel.example.com"),
        ("", None),
    ],
)
def test_the_endpoint_is_an_http_url(tmp_path: Path, given: str, kept: str | None) -> None:
    settings = base_settings(tmp_path, "sqlite+aiosqlite://", otel_exporter_otlp_endpoint=given)
    assert settings.otel_exporter_otlp_endpoint == kept


@pytest.mark.parametrize("given", ["collector:4318", "ftp://collector", "http://"])
def test_an_endpoint_that_is_not_an_http_url_is_refused(tmp_path: Path, given: str) -> None:
    from shre.settings import SettingsError

    with pytest.raises(SettingsError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        base_settings(tmp_path, "sqlite+aiosqlite://", otel_exporter_otlp_endpoint=given)
