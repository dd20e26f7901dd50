from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from shre.auth.schemas import LoginIn, RefreshIn, TokenOut
from shre.auth.service import AuthService, TokenPair
from shre.kit.deps import Audit, ClientAddress, DbSession, RuntimeDep

router = APIRouter(prefix="/auth", tags=["auth"])

_401: dict[int | str, dict[str, Any]] = {401: {"description": "Bad credentials or token"}}


def _out(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
    )


@router.post("/login", responses={**_401, 429: {"description": "Too many failed attempts"}})
async def login(
    body: LoginIn, session: DbSession, runtime: RuntimeDep, address: ClientAddress, audit: Audit
) -> TokenOut:
    """Exchange email and password for an access token (15 min) and a refresh token."""
    service = AuthService(session, runtime.auth, audit)
    pair = await service.login(body.email, body.password, address)
    return _out(pair)


@router.post("/refresh", responses=_401)
async def refresh(
    body: RefreshIn, session: DbSession, runtime: RuntimeDep, audit: Audit
) -> TokenOut:
    """Spend a refresh token for a new pair. Reusing a spent token revokes the session."""
    return _out(await AuthService(session, runtime.auth, audit).refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    body: RefreshIn, session: DbSession, runtime: RuntimeDep, audit: Audit
) -> Response:
    """Revoke the refresh token and every token of its session."""
    await AuthService(session, runtime.auth, audit).logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
