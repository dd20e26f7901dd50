"""The web app's files served by shre itself (CONTRACT.md §4): index.html for every route
of the app, hashed assets cached for a year, nothing outside the build, and the API's,
docs' and health's paths never answered with the page."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from shre.app import create_app
from shre.kit.headers import API_CSP, UI_CSP, ui_csp
from shre.settings import Settings
from shre.web import router as web
from tests.support.app import assert_problem, assert_secured

INDEX = (
    '<!doctype html><html><head><meta name="shre-style-nonce" content="%SHRE_STYLE_NONCE%">'
    '<script type="module" src="/assets/app-1a2b3c.js"></script></head>'
    '<body><div id="root"></div></body></html>'
)
NONCE = re.compile(r'name="shre-style-nonce" content="([A-Za-z0-9_-]{20,})"')


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A build of the web app (made here: the tests do not depend on npm's output)."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1a2b3c.js").write_text("console.log('app')")
    (root / "assets" / "app-1a2b3c.css").write_text("body{}")
    (root / "assets" / "app-1a2b3c.js.gz").write_bytes(gzip.compress(b"console.log('app')"))
    (root / "assets" / "app-1a2b3c.js.br").write_bytes(b"brotli bytes")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (root / "manifest.webmanifest").write_text('{"name": "shre"}')
    (tmp_path / "secret.txt").write_text("outside the build")
    monkeypatch.setattr(web, "DIST", root)
    return root


@pytest.fixture
async def spa(dist: Path, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_route_of_the_app_gets_the_page_with_a_fresh_style_nonce(
    spa: httpx.AsyncClient,
) -> None:
    nonces = set()
    for path in ("/", "/login", "/employees", "/employees/3f2c/edit", "/audit?page=2"):
        page = await spa.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"  # it names the current assets
        found = NONCE.search(page.text)
        assert found is not None, path
        nonce = found.group(1)
        assert page.headers["content-security-policy"] == ui_csp(nonce)
        assert_secured(page, csp=ui_csp(nonce))
        assert "%SHRE_STYLE_NONCE%" not in page.text
        nonces.add(nonce)
    assert len(nonces) == 5  # one per response
    # The policy: scripts from the app's own files only, no inline script, no framing.
    csp = ui_csp("n")
    assert "script-src 'self';" in csp
    assert "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_hashed_assets_are_immutable_and_other_files_cached_briefly(
    spa: httpx.AsyncClient,
) -> None:
    script = await spa.get("/assets/app-1a2b3c.js")
    assert script.status_code == 200
    assert script.text == "console.log('app')"
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert_secured(script, csp=UI_CSP)
    for accept, encoding in (
        ("gzip, deflate", "gzip"),
        ("gzip, br", "br"),
        ("br;q=0, gzip", "gzip"),
    ):
        packed = await spa.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": accept})
        assert packed.headers["content-encoding"] == encoding, accept
        assert packed.headers["content-type"].startswith("text/javascript")
        assert packed.headers["vary"] == "Accept-Encoding"
        assert packed.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = await spa.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == "console.log('app')"
    # The compressed copies are not files of their own.
    assert (await spa.get("/assets/app-1a2b3c.js.gz")).status_code == 404
    style = await spa.get("/assets/app-1a2b3c.css")
    assert style.headers["content-type"].startswith("text/css")
    icon = await spa.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["cache-control"] == "public, max-age=3600"
    # The service worker and the manifest name the current version: always checked.
    worker = await spa.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    manifest = await spa.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    assert manifest.json() == {"name": "shre"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "path",
    [
        "/assets/missing.js",
        "/assets/%2e%2e/secret.txt",
        "/assets/..%2fsecret.txt",
        "/assets/.hidden",
        "/assets/a//b.js",
        "/assets/a\\b.js",
    ],
)
async def test_nothing_outside_the_build_nor_a_missing_asset(
    spa: httpx.AsyncClient, path: str
) -> None:
    response = await spa.get(path)
    assert response.status_code == 404, path
    assert "outside the build" not in response.text
    if response.headers["content-type"].startswith("application/problem+json"):
        assert_problem(response, 404)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_root_file_that_is_not_there_is_a_route_of_the_app(
    spa: httpx.AsyncClient,
) -> None:
    """`/secret.txt` is not in the build: the app's page (its router says "not found"),
    never the file beside the build."""
    response = await spa.get("/secret.txt")
    assert response.status_code == 200
    assert "outside the build" not in response.text
    assert NONCE.search(response.text)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope", "/api/v2/employees", "/api", "/docs/nope", "/metrics/x", "/openapi.json/x"],
)
async def test_the_apis_paths_stay_json_404s(spa: httpx.AsyncClient, path: str) -> None:
    response = await spa.get(path)
    assert_problem(response, 404)
    assert "root" not in response.text
    if not path.startswith("/docs"):
        assert response.headers["content-security-policy"] == API_CSP


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_health_and_docs_are_not_the_page(spa: httpx.AsyncClient) -> None:
    assert (await spa.get("/healthz")).json() == {"status": "ok"}
    assert (await spa.get("/openapi.json")).json()["info"]["title"] == "shre"
    assert "swagger" in (await spa.get("/docs")).text.lower()
    metrics = await spa.get("/metrics")  # Prometheus' text, never the page
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE http_requests_total counter" in metrics.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_unbuilt_app_says_how_to_build_it(spa: httpx.AsyncClient, dist: Path) -> None:
    (dist / "index.html").unlink()
    page = await spa.get("/employees")
    assert page.status_code == 503
    assert "make web" in page.text
    assert (await spa.get("/api/v1/me")).status_code == 401  # the API works without it
