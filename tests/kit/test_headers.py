"""Security headers on every kind of response, and /docs served offline (finding 11 of
issue 15: no Cache-Control on tokens, no CSP, no frame protection, Swagger UI from a CDN)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shre.api.deps import DbSession
from shre.app import create_app
from shre.kit.headers import API_CSP
from tests.support.accounts import Account
from tests.support.app import assert_problem, assert_secured, base_settings
from tests.support.documents import DOCS, uploaded


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"


async def test_api_responses_carry_the_headers_and_no_store(
    client: httpx.AsyncClient, admin: Account
) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    assert login.status_code == 200
    assert_secured(login)
    assert_no_store(login)  # a token response
    me = await client.get("/api/v1/me", headers=admin.headers)
    assert me.status_code == 200
    assert_secured(me)
    assert_no_store(me)
    missing = await client.get(f"/api/v1/departments/{uuid.uuid4()}", headers=admin.headers)
    assert_problem(missing, 404)
    assert_secured(missing)
    assert_no_store(missing)
    unauthorized = await client.get("/api/v1/me")
    assert_problem(unauthorized, 401)
    assert_secured(unauthorized)
    assert_no_store(unauthorized)


async def test_the_middlewares_own_413_and_an_unhandled_500_carry_them_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    big = b'{"email": "a@example.com", "password": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    too_large = await client.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert_problem(too_large, 413, "body_too_large")
    assert_secured(too_large)
    assert_no_store(too_large)

    async def explode(session: DbSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    app.add_api_route("/api/v1/boom", explode)
    boom = await client.get("/api/v1/boom", headers={"X-Request-ID": "boom-1"})
    body = assert_problem(boom, 500)
    assert body["detail"] == "An internal error occurred; it has been logged."
    assert_secured(boom)
    assert_no_store(boom)
    assert boom.headers["x-request-id"] == "boom-1"


async def test_outside_the_api_the_headers_without_no_store(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/openapi.json"):
        response = await client.get(path)
        assert response.status_code == 200
        assert_secured(response)
        assert "no-store" not in response.headers.get("cache-control", "")
    assert_secured(await client.get("/api/v1/nothing-here"), csp=API_CSP)
    # Any other path is the web app's: its page, with the app's own policy.
    page = await client.get("/nothing-here")
    csp = page.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert_secured(page, csp=csp)


async def test_a_routes_own_cache_control_is_kept(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A document's content sets `private, no-store` and nosniff itself: kept, not doubled."""
    doc = await uploaded(client, admin.headers, b"plain words", filename="a.txt")
    content = await client.get(f"{DOCS}/{doc['id']}/content", headers=admin.headers)
    assert content.status_code == 200
    assert_secured(content)
    assert content.headers["cache-control"] == "private, no-store"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.urls.append(str(values["src"]))
        elif tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


async def test_docs_work_offline_from_the_apps_own_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp  # same-origin files only: no inline, no CDN
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert_secured(page, csp=csp)
    assets = _Assets()
    assets.feed(page.text)
    assert assets.inline_scripts == 0
    assert len(assets.urls) == 4  # icon, stylesheet, the bundle, our init script
    expected = {
        "swagger-ui-bundle.js": "text/javascript",
        "init.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon.png": "image/png",
    }
    for url in assets.urls:
        absolute = urljoin(str(page.url), url)
        assert urlsplit(absolute).netloc == urlsplit(str(page.url)).netloc, url  # same origin
        response = await client.get(absolute)
        assert response.status_code == 200, url
        name = absolute.rsplit("/", 1)[1]
        assert response.headers["content-type"].split(";")[0] == expected.pop(name)
        assert_secured(response, csp=csp)
    assert expected == {}
    bundle = await client.get("/docs/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    init = await client.get("/docs/init.js")
    assert "openapi.json" in init.text
    assert_problem(await client.get("/docs/page.html"), 404)  # only the listed files
    assert_problem(await client.get("/docs/..%2Fapp.py"), 404)


@pytest.fixture
async def production_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = base_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", shre_env="production"
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
        yield client


async def test_hsts_in_production_only(production_client: httpx.AsyncClient) -> None:
    response = await production_client.get("/docs/init.js")  # no database needed
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-frame-options"] == "DENY"
