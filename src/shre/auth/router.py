from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from shre.api.deps import Audit, ClientAddress, DbSession, RuntimeDep
from shre.auth.cookies import RefreshCookie, clear_refresh_cookie, presented, set_refresh_cookie
from shre.auth.schemas import LoginIn, RefreshIn, TokenOut
from shre.auth.service import Authenticator, AuthService, TokenPair
from shre.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])

_401: dict[int | str, dict[str, Any]] = {401: {"description": "Bad credentials or token"}}
_403: dict[int | str, dict[str, Any]] = {
    403: {"description": "The refresh-token cookie came with another site's request"}
}


def _answer(response: Response, pair: TokenPair, settings: Settings, *, in_body: bool) -> TokenOut:
    """The pair, its refresh token also (or only, `in_body` false) in the cookie."""
    set_refresh_cookie(
        response, pair.refresh_token, pair.refresh_expires_in, secure=settings.is_production
    )
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token if in_body else None,
        expires_in=pair.expires_in,
    )


@router.post("/login", responses={**_401, 429: {"description": "Too many failed attempts"}})
async def login(
    body: LoginIn,
    session: DbSession,
    runtime: RuntimeDep,
    address: ClientAddress,
    audit: Audit,
    response: Response,
) -> TokenOut:
    """Exchange email and password for an access token (15 min) and a refresh token (in
    the body unless `refresh_token_in_body` is false, and in an HttpOnly cookie)."""
    service = AuthService(session, runtime.part(Authenticator), audit)
    pair = await service.login(body.email, body.password, address)
    return _answer(response, pair, runtime.settings, in_body=body.refresh_token_in_body)


# The cookie comes first among the dependencies: a request from another site is refused
# before a session is opened or a token read.
@router.post("/refresh", responses={**_401, **_403})
async def refresh(
    cookie: RefreshCookie,
    session: DbSession,
    runtime: RuntimeDep,
    audit: Audit,
    response: Response,
    body: RefreshIn | None = None,
) -> TokenOut:
    """Spend a refresh token (the body's, else the cookie's) for a new pair. Reusing a
    spent token revokes the session. By cookie, the new refresh token is only in it."""
    token, by_cookie = presented(body, cookie)
    pair = await AuthService(session, runtime.part(Authenticator), audit).refresh(token)
    return _answer(response, pair, runtime.settings, in_body=not by_cookie)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_403)
async def logout(
    cookie: RefreshCookie,
    session: DbSession,
    runtime: RuntimeDep,
    audit: Audit,
    body: RefreshIn | None = None,
) -> Response:
    """Revoke the refresh token (the body's, else the cookie's) and every token of its
    session, access tokens included; the cookie is cleared."""
    token, _ = presented(body, cookie)
    await AuthService(session, runtime.part(Authenticator), audit).logout(token)
    done = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_refresh_cookie(done, secure=runtime.settings.is_production)
    return done
