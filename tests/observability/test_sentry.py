"""Error tracking: with SENTRY_DSN set, a request's unhandled error reaches Sentry once,
with its type and stack, and nothing the request carried (its body, cookies, credential
headers, query values) nor any sensitive field's value; without it, nothing is set up.

The receiver is a local HTTP server standing in for Sentry's ingest endpoint. sentry-sdk's
client is the process's: the app is built in this process with the DSN, and the client
is closed and removed again afterwards (`stop_error_tracking`), so the tests after these
run without it. Its patches of logging and Starlette stay, inert without a client.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sentry_sdk
from fastapi import FastAPI

from shre.app import create_app
from shre.observability.errors import (
    configure_error_tracking,
    scrub_breadcrumb,
    scrub_event,
    stop_error_tracking,
)
from shre.settings import SettingsError
from tests.support.app import base_settings
from tests.support.receivers import Receiver, dsn, envelopes, sentry_receiver

TOKEN = "eyJ.sentry-test-bearer-token.0451"
COOKIE = "refresh-cookie-value-5521"
CSRF = "csrf-value-8812"
API_KEY = "api-key-value-3317"
SALARY = "91234.56"
SSN = "987-65-4329"
NOTE = "a free-text note 6620"
SEARCHED = "Quiddity6620"
SECRETS = (TOKEN, COOKIE, CSRF, API_KEY, SALARY, SSN, NOTE, SEARCHED)


class DeliberateCrash(RuntimeError):
    """What the test's own route raises."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with sentry_receiver() as got:
        yield got


@pytest.fixture
async def app(tmp_path: Path, receiver: Receiver) -> AsyncIterator[FastAPI]:
    """The app with SENTRY_DSN pointing at the receiver, and a route of the test's own
    that fails with a sensitive value in hand."""
    settings = base_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/shre.db", sentry_dsn=dsn(receiver)
    )
    from shre import migrate

    await migrate.upgrade(settings)
    application = create_app(settings)

    async def crash(payload: dict[str, Any]) -> None:
        salary = payload["salary"]  # a local a frame's variables would show
        raise DeliberateCrash(f"failed with {len(salary)} characters in hand")

    application.add_api_route("/api/v1/test-crash", crash, methods=["POST"])
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        stop_error_tracking()


async def test_a_500_is_reported_once_with_its_stack_and_without_what_the_request_carried(
    app: FastAPI, receiver: Receiver
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(
            "/api/v1/test-crash",
            params={"ssn": SSN, "q": SEARCHED},
            json={"salary": SALARY, "ssn": SSN, "note": NOTE},
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Cookie": f"shre_refresh={COOKIE}",
                "X-CSRF-Token": CSRF,
                "X-Api-Key": API_KEY,
            },
        )
    assert response.status_code == 500
    assert sentry_sdk.get_client().is_active()
    assert not sentry_sdk.get_client().should_send_default_pii()
    sentry_sdk.flush(timeout=10)
    receiver.wait_for(lambda posted: any(envelopes_of(posted)))

    events = [event for envelope in envelopes(receiver) for event in envelope.events()]
    assert len(events) == 1, [e.get("logentry") or e.get("exception") for e in events]
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "DeliberateCrash"
    frames = exception["stacktrace"]["frames"]
    assert frames[-1]["function"] == "crash"
    assert all("vars" not in frame for frame in frames)
    assert event["environment"] == "development"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/api/v1/test-crash")
    assert event["request"]["query_string"] == "ssn=[redacted]&q=[redacted]"
    headers = {name.lower(): value for name, value in event["request"]["headers"].items()}
    assert headers.get("authorization") in (None, "[redacted]", "[Filtered]")
    assert "cookies" not in event["request"]

    # Nothing the request carried, anywhere in what was sent (whatever its encoding).
    for envelope in envelopes(receiver):
        for secret in SECRETS:
            assert secret.encode() not in envelope.raw, secret
            assert json.dumps(secret)[1:-1].encode() not in envelope.raw, secret


def envelopes_of(posted: list[Any]) -> list[Any]:
    return [p for p in posted if p.path == "/api/1/envelope/"]


def test_before_send_scrubs_a_full_event() -> None:
    """Whatever an integration put in an event: the request's body, cookies, credential
    headers and query values, frames' variables and sensitive keys at any depth go."""
    event: dict[str, Any] = {
        "request": {
            "url": f"http://shre.example/api/v1/employees?ssn={SSN}",
            "method": "PATCH",
            "query_string": f"ssn={SSN}&q={SEARCHED}",
            "data": {"salary": SALARY, "note": NOTE},
            "cookies": {"shre_refresh": COOKIE},
            "headers": {
                "Authorization": f"Bearer {TOKEN}",
                "Cookie": f"shre_refresh={COOKIE}",
                "X-CSRF-Token": CSRF,
                "X-Api-Key": API_KEY,
                "Accept": "application/json",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "exception": {
            "values": [
                {
                    "type": "DeliberateCrash",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"note": NOTE}}]},
                }
            ]
        },
        "extra": {"employee": {"ssn": SSN, "home_address": "42 Wallaby Way"}},
        "contexts": {"deep": [{"password": "hunter2 hunter2"}]},
    }
    scrubbed = scrub_event(event, {})  # type: ignore[arg-type]
    assert scrubbed is not None
    sent = json.dumps(scrubbed)
    for secret in (*SECRETS, "203.0.113.9", "42 Wallaby Way", "hunter2"):
        assert secret not in sent, secret
    request = scrubbed["request"]
    assert request["headers"]["Accept"] == "application/json"
    assert request["url"] == "http://shre.example/api/v1/employees?ssn=[redacted]"
    assert scrubbed["exception"]["values"][0]["type"] == "DeliberateCrash"


def test_before_breadcrumb_scrubs_urls_and_sensitive_keys() -> None:
    crumb: dict[str, Any] = {
        "category": "httplib",
        "data": {"url": f"http://s3.example/bucket/key?token={TOKEN}", "token": TOKEN},
    }
    scrubbed = scrub_breadcrumb(crumb, {})
    assert scrubbed is not None
    assert TOKEN not in json.dumps(scrubbed)
    assert scrubbed["data"]["url"] == "http://s3.example/bucket/key?token=[redacted]"


def test_without_a_dsn_nothing_is_set_up(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, "sqlite+aiosqlite://")
    assert settings.sentry_dsn is None
    assert not configure_error_tracking(settings)
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize("given", ["not a dsn", "ftp://key@host/1", "https://host/1"])
def test_a_dsn_that_is_not_one_is_refused(tmp_path: Path, given: str) -> None:
    with pytest.raises(SettingsError, match="SENTRY_DSN"):
        base_settings(tmp_path, "sqlite+aiosqlite://", sentry_dsn=given)
