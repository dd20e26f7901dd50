"""Typed FastAPI dependencies: the runtime, the request's session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.auth.policy import Principal, Role
from shre.auth.service import AuthService
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
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": the commit happens when the handler returns, before the response.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


async def current_account(
    session: DbSession,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The signed-in user's record (loaded once per request, one primary-key query)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Bearer access token required", code="missing_token")
    return await AuthService(session, runtime.auth).authenticate(credentials.credentials)


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
