"""Typed FastAPI dependencies: the runtime, the request's session, the caller, the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.audit.trail import AuditTrail
from shre.auth.policy import Principal, Role
from shre.auth.service import AuthService
from shre.cache import pending_invalidations
from shre.kit.errors import DomainError, Forbidden, Unauthorized
from shre.kit.runtime import Runtime
from shre.users.models import User


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def _session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed before the response is sent, rolled back on
    error unless the error says its changes must persist (keep_changes)."""
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


def audit_trail(request: Request, session: DbSession, runtime: RuntimeDep) -> AuditTrail:
    """Audit events of this request: its transaction, its caller (read when an event is
    recorded, so it is there once `CurrentUser` ran), its client address and request id."""
    return AuditTrail.for_request(request, session, runtime.sessionmaker)


Audit = Annotated[AuditTrail, Depends(audit_trail)]


async def current_account(
    session: DbSession,
    runtime: RuntimeDep,
    audit: Audit,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The signed-in user's record (loaded once per request, one primary-key query)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Bearer access token required", code="missing_token")
    service = AuthService(session, runtime.auth, audit, runtime.cache)
    return await service.authenticate(credentials.credentials)


CurrentAccount = Annotated[User, Depends(current_account)]


async def current_principal(request: Request, account: CurrentAccount) -> Principal:
    principal = Principal.of(account)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def client_address(request: Request) -> str:
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
