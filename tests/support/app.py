"""The app under test: settings for a test's app, and its problem responses."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from shre.app import create_app
from shre.kit.headers import API_CSP
from shre.settings import Settings, load_settings


def base_settings(tmp: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "shre_env": "development",
        "database_url": database_url,
        "shre_var_dir": tmp / "var",
        "upload_dir": tmp / "var" / "uploads",
        "encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "jwt_secret": secrets.token_urlsafe(48),
        "log_format": "json",
        "log_level": "WARNING",
        # Jobs run when a test says so (tests.support.jobs.work_off), on both databases.
        "jobs_in_process": False,
    }
    values.update(overrides)
    return load_settings(**values)


# A test so marked runs with the cache (as configured by default) and without it
# (CACHE_ENABLED=false): rows then come straight from the database, by another path.
WITH_AND_WITHOUT_CACHE = pytest.mark.parametrize(
    "settings_overrides", [{}, {"cache_enabled": False}], ids=["cache", "no-cache"]
)


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    if code is not None:
        assert body.get("code") == code, body
    return body


def assert_secured(response: httpx.Response, *, csp: str = API_CSP) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == csp
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    for name in ("x-content-type-options", "content-security-policy", "cache-control"):
        assert len(headers.get_list(name)) <= 1, name  # never sent twice
    assert "strict-transport-security" not in headers  # development


@asynccontextmanager
async def another_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database and cache (as a second worker is), and a client
    of it."""
    second = create_app(settings)
    async with second.router.lifespan_context(second):
        transport = httpx.ASGITransport(app=second, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            yield client
