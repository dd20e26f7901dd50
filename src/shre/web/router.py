"""The SPA's files (CONTRACT.md §4): `/assets/*` are content-hashed, so cached for a year,
and sent compressed (brotli or gzip, made once at build time) where the browser accepts;
every other path that is not the API's, the docs', health's or metrics' is a route of the
app and gets `index.html` (never cached: it names the current assets), with a fresh
nonce for the style elements the app writes (its CSP allows no other inline style). Nothing outside
`dist` is ever served, whatever the path says."""

from __future__ import annotations

import mimetypes
import re
import secrets
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from shre.kit.errors import NotFound
from shre.kit.headers import ui_csp

DIST: Final = Path(__file__).parent / "dist"
# First path segments that are never the SPA's: a mistyped API path stays a JSON 404.
RESERVED: Final = frozenset({"api", "docs", "openapi.json", "healthz", "readyz", "metrics"})
IMMUTABLE: Final = "public, max-age=31536000, immutable"
# Files at the root of dist other than index.html (icons, robots.txt): not hashed.
ROOT_FILE_CACHE: Final = "public, max-age=3600"
# The service worker and the manifest say which version is current: always checked.
ALWAYS_CHECKED: Final = frozenset({"sw.js", "manifest.webmanifest"})
MEDIA_TYPES: Final = {".webmanifest": "application/manifest+json"}
# A relative path of plain names: no "..", no empty segment, no backslash.
# index.html names it in a meta tag; the app gives it to the style elements it writes.
NONCE_PLACEHOLDER: Final = b"%SHRE_STYLE_NONCE%"
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>shre</title></head><body><main><h1>The web app has not been built</h1>
<p>Build it with <code>make web</code> (Node.js 20+), or start shre with
<code>make run</code>, which builds it when its sources change. The API works without it:
see <a href="/docs">/docs</a>.</p></main></body></html>"""


class AppPath(Convertor[str]):
    """A path of the app's: any path whose first segment is not reserved. The page's
    route does not even match the others, so a route added after it (and every API
    path, known or not) is routed as if it were not there."""

    regex = "(?!(?:" + "|".join(re.escape(r) for r in sorted(RESERVED)) + ")(?:/|$)).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("app_path", AppPath())


def _accepted(header: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts (q=0 refuses one)."""
    accepted = set()
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                accepted.add(coding.strip().lower())
        except ValueError:
            continue
    return accepted


def _file(root: Path, relative: str) -> Path | None:
    if not _SAFE_PATH.match(relative):
        return None
    path = root / relative
    return path if path.is_file() else None


def spa_router(dist: Path | None = None) -> APIRouter:
    """The routes that serve the SPA built into `dist` (the package's build by default);
    included after every other."""
    dist = DIST if dist is None else dist
    router = APIRouter(include_in_schema=False)
    assets = dist / "assets"

    @router.get("/assets/{name:path}")
    async def asset(name: str, request: Request) -> FileResponse:
        path = _file(assets, name)
        if path is None or path.suffix in (".gz", ".br"):
            raise NotFound("No such file of the web app", code="not_found")
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        media_type = mimetypes.guess_type(path.name)[0]
        accepted = _accepted(request.headers.get("accept-encoding", ""))
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            packed = path.with_name(path.name + suffix)
            if encoding in accepted and packed.is_file():
                headers["Content-Encoding"] = encoding
                return FileResponse(packed, media_type=media_type, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers)

    @router.get("/{path:app_path}", response_model=None)
    async def page(path: str) -> Response:
        if "/" not in path and path != "index.html" and (found := _file(dist, path)):
            cache = "no-cache" if path in ALWAYS_CHECKED else ROOT_FILE_CACHE
            return FileResponse(
                found, media_type=MEDIA_TYPES.get(found.suffix), headers={"Cache-Control": cache}
            )
        index = dist / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-cache"})
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            index.read_bytes().replace(NONCE_PLACEHOLDER, nonce.encode()),
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": ui_csp(nonce)},
        )

    return router
