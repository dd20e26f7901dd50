"""The security headers of every response (CONTRACT.md §4), as header lists built once.

Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
`X-Frame-Options: DENY` and a Content-Security-Policy with `frame-ancestors 'none'`;
`Strict-Transport-Security` in production. API and JSON responses get a CSP that allows
nothing at all; the docs' page runs same-origin scripts; every other path is the web app's
(`UI_CSP`: its own files only, no inline script). Responses under /api/v1
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


# The web app (shre.web): scripts and fonts from its own files only (no inline script);
# styles from its files and, on the page itself, the style elements the component library
# writes for its variables and responsive layout, which carry that response's nonce
# (`ui_csp(nonce)`; other responses allow no style element); images also as data: URIs
# and blob: (a document previewed from memory, which a frame shows too); requests to this
# origin only.
def ui_csp(style_nonce: str | None = None) -> str:
    styles = "'self'" if style_nonce is None else f"'self' 'nonce-{style_nonce}'"
    return (
        f"default-src 'none'; script-src 'self'; style-src {styles}; "
        "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; frame-src blob:; "
        "object-src 'none'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


UI_CSP: Final = ui_csp()
CSP_BY_PREFIX: Final = (
    ("/docs", DOCS_CSP),
    ("/api", API_CSP),
    ("/openapi.json", API_CSP),
    ("/healthz", API_CSP),
    ("/readyz", API_CSP),
    ("/metrics", API_CSP),
)
NO_STORE_PREFIX: Final = "/api/v1"
HSTS: Final = "max-age=63072000; includeSubDomains"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class SecurityHeaders:
    """The headers to add to a response, by its path (prefixes matched longest first;
    a path under none of them is the web app's)."""

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
        self.default = headers(UI_CSP)

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
