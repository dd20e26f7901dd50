from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from shre.auth.schemas import LoginIn, RefreshIn, TokenOut
from shre.auth.service import AuthService, TokenPair
from shre.kit.deps import ClientAddress, DbSession, RuntimeDep

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
    body: LoginIn, session: DbSession, runtime: RuntimeDep, address: ClientAddress
) -> TokenOut:
    """Exchange email and password for an access token (15 min) and a refresh token."""
    pair = await AuthService(session, runtime.auth).login(body.email, body.password, address)
    return _out(pair)


@router.post("/refresh", responses=_401)
async def refresh(body: RefreshIn, session: DbSession, runtime: RuntimeDep) -> TokenOut:
    """Spend a refresh token for a new pair. Reusing a spent token revokes the session."""
    return _out(await AuthService(session, runtime.auth).refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(body: RefreshIn, session: DbSession, runtime: RuntimeDep) -> Response:
    """Revoke the refresh token and every token of its session."""
    await AuthService(session, runtime.auth).logout(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
