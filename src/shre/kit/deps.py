"""Typed FastAPI dependencies: the runtime, the request's session, the caller, the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.audit.trail import AuditTrail
from shre.auth.policy import Principal, Role
from shre.auth.service import Account, authenticate
from shre.cache import cache_reads_of, pending_invalidations
from shre.kit.errors import DomainError, Forbidden, Unauthorized
from shre.kit.runtime import Runtime
from shre.users.models import User


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed before the response is sent, rolled back on
    error unless the error says its changes must persist (keep_changes). (The core
    dependencies take the runtime from the request, not from RuntimeDep: every dependency
    costs each request a little.)"""
    runtime: Runtime = request.app.state.runtime
    async with runtime.sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keep_changes:
                await _commit(session, runtime)
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await _commit(session, runtime)


async def _commit(session: AsyncSession, runtime: Runtime) -> None:
    """Commit, then invalidate the cache namespaces the request's writes touched: after
    the commit (a reader can no longer load the old rows under the new version) and
    before the response (whoever reads after it sees the write)."""
    await session.commit()
    namespaces = pending_invalidations(session)
    if namespaces:
        await runtime.cache.invalidate(*namespaces)


# scope="function": the commit happens when the handler returns, before the response.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


async def audit_trail(request: Request, session: DbSession) -> AuditTrail:
    """Audit events of this request: its transaction, its caller (read when an event is
    recorded, so it is there once `CurrentUser` ran), its client address and request id."""
    return AuditTrail.for_request(request, session, request.app.state.runtime.sessionmaker)


Audit = Annotated[AuditTrail, Depends(audit_trail)]


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The signed-in caller: the bearer token checked, the account read through the
    cache (no session of the request's: most cached reads then need none at all)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Bearer access token required", code="missing_token")
    runtime: Runtime = request.app.state.runtime
    account = await authenticate(
        runtime.auth,
        runtime.cache,
        runtime.sessionmaker,
        credentials.credentials,
        prefetch=cache_reads_of(request.scope.get("endpoint"), request.path_params),
    )
    request.state.account = account
    request.state.principal = account.principal
    return account.principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def current_account(request: Request, _: CurrentUser) -> User:
    """The signed-in user's record (as cached, detached: read it, do not change it)."""
    account: Account = request.state.account
    return account.user()


CurrentAccount = Annotated[User, Depends(current_account)]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
