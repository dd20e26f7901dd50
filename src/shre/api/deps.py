"""Typed FastAPI dependencies: the runtime, the request's session, the caller, the audit trail.

Every dependency costs every request that uses it: the busiest read routes take a few
flat ones (no sub-dependencies, no `yield`) — see `reading` and `shre.kit.query`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any, Final

import structlog
from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit.trail import AuditTrail
from shre.cache import cache_reads_of
from shre.db import read_only_session
from shre.kit.errors import Forbidden, Unauthorized
from shre.kit.http import ETags
from shre.kit.net import throttle_key
from shre.policy import Principal, Role
from shre.uow import unit_of_work


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_etags(request: Request) -> ETags:
    etags: ETags = request.app.state.runtime.etags
    return etags


ETagsDep = Annotated[ETags, Depends(get_etags)]
IfMatch = Annotated[str | None, Header(description="ETag from a previous read")]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work (`shre.uow`): committed with its audit events before
    the response is sent, its cache invalidations applied right after the commit and
    before the response (whoever reads after it sees the write); rolled back on error
    unless the error says its changes must persist (keep_changes). (The core
    dependencies take the runtime from the request, not from RuntimeDep: every dependency
    costs each request a little.)"""
    runtime: Runtime = request.app.state.runtime
    async with unit_of_work(runtime.sessionmaker, runtime.cache) as session:
        yield session


# scope="function": the commit happens when the handler returns, before the response.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]

# Where RequestMiddleware keeps what is to be closed once the request is over.
CLEANUP: Final = "shre.cleanup"


def after_response(request: Request, close: Callable[[], Awaitable[None]]) -> None:
    """Have `close` run once the request is over, its response sent or failed (by
    RequestMiddleware): a plain dependency's way to clean up, without the exit stack
    that a dependency with `yield` costs every request."""
    try:
        request.scope[CLEANUP].append(close)
    except KeyError:
        raise RuntimeError("after_response needs RequestMiddleware in front of the app") from None


def reading(request: Request) -> tuple[AsyncSession, AuditTrail]:
    """A session and audit trail for a route that only reads: the session writes nothing
    (a write raises, see `read_only_session`), so it has no commit to wait for and is
    closed after the response; reads are recorded by `AuditTrail.record_read`, each
    committed on its own before the data goes out. No connection is taken unless the
    route reaches the database (a cached read does not)."""
    runtime: Runtime = request.app.state.runtime
    session = read_only_session(runtime.sessionmaker)

    async def close() -> None:
        if session.in_transaction():  # it reached the database: give the connection back
            await session.close()

    after_response(request, close)
    return session, AuditTrail.for_request(request, session, runtime.sessionmaker)


async def audit_trail(request: Request, session: DbSession) -> AuditTrail:
    """Audit events of this request: its transaction, its caller (read when an event is
    recorded, so it is there once `CurrentUser` ran), its client address and request id."""
    return AuditTrail.for_request(request, session, request.app.state.runtime.sessionmaker)


Audit = Annotated[AuditTrail, Depends(audit_trail)]


def bearer_token(request: Request) -> str:
    """The token of the request's `Authorization: Bearer …` header ("" when there is none
    or it has another scheme)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def current_principal(request: Request) -> Principal:
    """The signed-in caller: the bearer token checked, the account read through the
    cache (no session of the request's: most cached reads then need none at all). The
    header is read here rather than by FastAPI's HTTPBearer (one dependency less on
    every request); `document_bearer_auth` puts it in the OpenAPI schema."""
    token = bearer_token(request)
    if not token:
        raise Unauthorized("Bearer access token required", code="missing_token")
    runtime: Runtime = request.app.state.runtime
    caller = await runtime.authenticate(
        token, prefetch=cache_reads_of(request.scope.get("endpoint"), request.path_params)
    )
    request.state.caller = caller  # the authenticator's own record (shre.auth.Account)
    request.state.principal = caller.principal
    # The request's log lines name who made it (its id only: ECS `user.id`).
    structlog.contextvars.bind_contextvars(**{"user.id": str(caller.principal.id)})
    return caller.principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def client_address(request: Request) -> str:
    """The per-address sign-in throttle's key: a valid IP address, else one shared
    "unknown" (see shre.kit.net)."""
    return throttle_key(request.scope.get("client"))


ClientAddress = Annotated[str, Depends(client_address)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers with one of `roles` (others get 403)."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"This requires the role: {names}", code="role_required")
        return principal

    return dependency


BEARER_SCHEME: Final = "HTTPBearer"


def _needs_token(dependant: Dependant) -> bool:
    return any(d.call is current_principal or _needs_token(d) for d in dependant.dependencies)


def document_bearer_auth(app: FastAPI, prefix: str, routers: Sequence[APIRouter]) -> None:
    """Mark the routes of `routers` (included under `prefix`) that take `CurrentUser` as
    needing a bearer token in the app's OpenAPI schema (what FastAPI's HTTPBearer
    dependency would have declared)."""
    secured = [
        (prefix + route.path_format, {m.lower() for m in route.methods or ()})
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and _needs_token(route.dependant)
    ]
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()  # FastAPI's, built once and kept: marking it again changes nothing
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "Access token from POST /api/v1/auth/login",
        }
        for path, methods in secured:
            for method, operation in schema["paths"].get(path, {}).items():
                if method in methods:
                    operation["security"] = [{BEARER_SCHEME: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
