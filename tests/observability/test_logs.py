"""Log lines in the Elastic Common Schema, as Elastic's ecs-logging formatter renders
them: one line per request (method, path, status, duration, the caller's id, the request
id), domain events under `event.action`, shre's own fields under `shre.`; and
`LOG_FORMAT=console` for humans."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from copy import deepcopy
from datetime import datetime
from typing import Any

import ecs_logging
import httpx
import pytest
from fastapi import FastAPI

from shre.app import create_app
from shre.observability.logging import ecs_processors
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import PASSWORD, Accounts
from tests.support.auth import login

Lines = list[dict[str, Any]]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"log_level": "INFO"}


class Captured:
    """What the app's own log handler writes, read back."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> Lines:
        return [json.loads(line) for line in self.text().splitlines()]

    def where(self, **fields: Any) -> Lines:
        """The lines whose dotted `fields` (`http__request__id` for `http.request.id`)
        hold these values."""

        def at(line: dict[str, Any], path: str) -> Any:
            found: Any = line
            for part in path.split("__"):
                found = found.get(part) if isinstance(found, dict) else None
            return found

        return [
            line
            for line in self.lines()
            if all(at(line, path) == wanted for path, wanted in fields.items())
        ]


@pytest.fixture
def logs(app: FastAPI) -> Iterator[Captured]:
    """The formatter `configure_logging` gave the root handler, writing to a buffer too."""
    root = logging.getLogger()
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        yield captured
    finally:
        root.removeHandler(handler)


async def test_each_request_is_one_ecs_line(
    client: httpx.AsyncClient, accounts: Accounts, logs: Captured
) -> None:
    hr = await accounts.signed_in(Role.HR)
    response = await client.get(
        "/api/v1/employees", headers={**hr.headers, "X-Request-ID": "req-logs-1"}
    )
    assert response.status_code == 200
    [line] = logs.where(message="http.request", http__request__id="req-logs-1")
    assert line["log.level"] == "info"
    assert line["log"]["logger"] == "shre.access"
    assert line["ecs.version"]
    assert datetime.fromisoformat(line["@timestamp"].replace("Z", "+00:00")).tzinfo
    assert line["http"]["request"]["method"] == "GET"
    assert line["http"]["response"]["status_code"] == 200
    assert line["url"]["path"] == "/api/v1/employees"
    assert isinstance(line["event"]["duration"], int)  # nanoseconds, ECS' unit
    assert line["event"]["duration"] > 0
    assert line["user"] == {"id": str(hr.id)}  # the id only: no email, no role
    assert line["client"]["ip"]
    assert line["service"]["name"] == "shre"

    await client.get("/healthz", headers={"X-Request-ID": "req-logs-2"})
    [anonymous] = logs.where(message="http.request", http__request__id="req-logs-2")
    assert "user" not in anonymous


async def test_sign_in_and_changes_are_domain_events(
    client: httpx.AsyncClient, accounts: Accounts, logs: Captured
) -> None:
    hr = await accounts.signed_in(Role.HR)
    signed_in = logs.where(event__action="auth.login", user__id=str(hr.id))
    assert len(signed_in) == 1
    assert signed_in[0]["client"]["ip"]

    refused = await login(client, hr.email, PASSWORD + "-wrong")
    assert refused.status_code == 401
    assert logs.where(event__action="auth.login_failed", user__id=str(hr.id))

    admin = await accounts.signed_in(Role.ADMIN)
    created = await client.post(
        "/api/v1/users",
        json={
            "email": "logged@example.com",
            "password": "a pass phrase long enough",
            "full_name": "Logged One",
            "role": "employee",
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    [event] = logs.where(event__action="user.created", user__target__id=created.json()["id"])
    # Who acted is the ECS user; whom it was done to, the target; the rest is shre's own.
    assert event["user"] == {"id": str(admin.id), "target": {"id": created.json()["id"]}}
    assert event["shre"] == {"role": "employee"}
    assert "a pass phrase long enough" not in logs.text()


async def test_console_format_is_for_humans(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"log_format": "console"}))
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                await client.get("/healthz", headers={"X-Request-ID": "req-console"})
    finally:
        root.removeHandler(handler)
    [line] = [line for line in stream.getvalue().splitlines() if "req-console" in line]
    assert "http.request" in line
    assert not line.lstrip().startswith("{")


@pytest.mark.parametrize(
    "event",
    [
        {
            "event": "http.request",
            "@timestamp": "2026-12-06T13:09:00.455746Z",
            "log": {"level": "info", "logger": "shre.access"},
            "http": {"request": {"id": "r-1", "method": "GET"}},
            "event.duration": 1234567,
            "user": {"id": "é ✓ 名"},
        },
        {
            "event": "audit.verify_failed",
            "@timestamp": "2026-12-06T13:09:00Z",
            "log.level": "error",
            "exception": 'Traceback (most recent call last):\n  "boom"',
            "shre": {"fields": ["a", "b"], "ratio": 1.5, "none": None, "ok": True},
        },
        {"event": "bare", "@timestamp": "2026-12-06T13:09:00Z"},
    ],
)
def test_lines_are_the_ones_elastics_formatter_writes(event: dict[str, Any]) -> None:
    """The document is Elastic's formatter's (shre only writes it out with orjson):
    the same JSON, byte for byte, its three leading fields first."""
    ours = ecs_processors()[-1](None, "info", deepcopy(event))
    elastics = ecs_logging.StructlogFormatter(ensure_ascii=False)(None, "info", deepcopy(event))
    assert ours == elastics
    assert list(json.loads(ours))[:3] == ["@timestamp", "log.level", "message"]
