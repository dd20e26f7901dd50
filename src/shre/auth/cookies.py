"""The browser's sign-in: its refresh token lives in an HttpOnly, SameSite=Strict cookie
scoped to the auth endpoints, and a request from another site cannot use it."""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import urlsplit

import structlog
from fastapi import Depends, Request, Response

from shre.auth.schemas import RefreshIn
from shre.kit.errors import Forbidden, InvalidInput

log = structlog.get_logger("shre.auth")

REFRESH_COOKIE: Final = "shre_refresh"
# Sent to refresh and logout only, never with the rest of the API's requests.
COOKIE_PATH: Final = "/api/v1/auth"
# What a browser says of a request from this site's own pages (`none`: typed or
# bookmarked by the user); anything else is another site's doing.
OWN_FETCHES: Final = frozenset({"same-origin", "none"})
# The bodies an HTML form can send anywhere without asking (no CORS preflight).
FORM_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
MIN_TOKEN, MAX_TOKEN = 16, 512  # as the body field (RefreshIn)


def set_refresh_cookie(response: Response, token: str, max_age: int, *, secure: bool) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response, *, secure: bool) -> None:
    """Max-Age=0 with the attributes it was set with (a browser matches on them)."""
    response.delete_cookie(
        REFRESH_COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="strict"
    )


def cross_site(request: Request) -> str | None:
    """Why the request looks like another site's (None: it does not). SameSite=Strict
    keeps a browser from sending the cookie then; this holds where it is not honoured."""
    headers = request.headers
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in OWN_FETCHES:
        return "sec_fetch_site"
    origin = headers.get("origin")
    # Compared with the host and port the browser addressed (the scheme may be a proxy's);
    # an opaque origin ("null") matches none.
    own = (headers.get("host") or "").lower()
    if origin is not None and urlsplit(origin.strip()).netloc.lower() != own:
        return "origin"
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in FORM_TYPES:
        return "form_content_type"
    return None


async def refresh_cookie(request: Request) -> str | None:
    """The refresh-token cookie, if the request carries one and comes from this site's
    own pages (403 otherwise, before anything is read or spent)."""
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        return None
    reason = cross_site(request)
    if reason is not None:
        log.warning("auth.cross_site_refused", reason=reason)
        raise Forbidden(
            "The sign-in cookie is accepted only from this site's own pages",
            code="cross_site_request",
        )
    if not MIN_TOKEN <= len(token) <= MAX_TOKEN:
        raise InvalidInput(
            f"{REFRESH_COOKIE}: not a refresh token",
            code="validation_error",
            errors=[
                {"field": REFRESH_COOKIE, "location": "cookie", "message": "not a refresh token"}
            ],
        )
    return token


RefreshCookie = Annotated[str | None, Depends(refresh_cookie)]


def presented(body: RefreshIn | None, cookie: str | None) -> tuple[str, bool]:
    """The refresh token presented, and whether it came from the cookie: the body's wins
    (API clients), else the cookie's (a browser); neither is a 422."""
    if body is not None and body.refresh_token is not None:
        return body.refresh_token, False
    if cookie is not None:
        return cookie, True
    raise InvalidInput(
        "Invalid input: refresh_token",
        code="validation_error",
        errors=[
            {
                "field": "refresh_token",
                "location": "body",
                "message": f"required (in the body, or the {REFRESH_COOKIE} cookie)",
                "type": "missing",
            }
        ],
    )
