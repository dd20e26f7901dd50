"""The security headers of every response (CONTRACT.md §4), as header lists built once.

Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
`X-Frame-Options: DENY` and a Content-Security-Policy with `frame-ancestors 'none'`;
`Strict-Transport-Security` in production. API and JSON responses get a CSP that allows
nothing at all; a path prefix may have a CSP of its own (`CSP_BY_PREFIX`: the docs' page
runs same-origin scripts; the web UI at `/` will add its own). Responses under /api/v1
get `Cache-Control: no-store` (tokens, sensitive values). A header the route set itself
is kept as the route set it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

Headers = tuple[tuple[bytes, bytes], ...]

API_CSP: Final = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI: its bundle and our init script (same origin, no inline script); its styles
# (some set inline by its components) and SVG icons as data: URIs; openapi.json and
# "Try it out" requests to this origin.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
CSP_BY_PREFIX: Final = (("/docs", DOCS_CSP),)
NO_STORE_PREFIX: Final = "/api/v1"
HSTS: Final = "max-age=63072000; includeSubDomains"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class SecurityHeaders:
    """The headers to add to a response, by its path (prefixes matched longest first)."""

    def __init__(
        self, *, production: bool, csp_by_prefix: Sequence[tuple[str, str]] = CSP_BY_PREFIX
    ) -> None:
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if production:
            common.append((b"strict-transport-security", HSTS.encode()))

        def headers(csp: str, *more: tuple[bytes, bytes]) -> Headers:
            return (*common, (b"content-security-policy", csp.encode()), *more)

        routes = [(prefix, headers(csp)) for prefix, csp in csp_by_prefix]
        routes.append((NO_STORE_PREFIX, headers(API_CSP, (b"cache-control", b"no-store"))))
        self.by_prefix = sorted(routes, key=lambda item: -len(item[0]))
        self.default = headers(API_CSP)

    def for_path(self, path: str) -> Headers:
        for prefix, headers in self.by_prefix:
            if _under(path, prefix):
                return headers
        return self.default


def with_headers(headers: list[tuple[bytes, bytes]], extra: Headers) -> list[tuple[bytes, bytes]]:
    """`headers` with each of `extra` the response does not set itself (names as ASGI
    servers and Starlette give them: lower case)."""
    present = {name for name, _ in headers}
    headers.extend(item for item in extra if item[0] not in present)
    return headers
