from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import Field

from shre.api.deps import (
    Audit,
    CurrentUser,
    DbSession,
    ETagsDep,
    IfMatch,
    RuntimeDep,
    reading,
)
from shre.api.runtime import Runtime
from shre.kit.export import FILE_RESPONSES, FormatParam, list_file
from shre.kit.pagination import Page
from shre.kit.query import PagedQuery, documented, query
from shre.kit.text import SearchText
from shre.policy import Role
from shre.users.models import User
from shre.users.passwords import PasswordHasher
from shre.users.repository import UserFilters
from shre.users.schemas import UserCreate, UserOut, UserUpdate
from shre.users.service import UserService

router = APIRouter(tags=["users"])
USER = "user"  # the kind of record, for its ETags


async def _service(session: DbSession, runtime: RuntimeDep, audit: Audit) -> UserService:
    return UserService(session, runtime.part(PasswordHasher), audit)


Service = Annotated[UserService, Depends(_service)]


async def _reader(request: Request) -> UserService:
    """The service for the list: a session that only reads, no `yield`."""
    runtime: Runtime = request.app.state.runtime
    session, audit = reading(request)
    return UserService(session, runtime.part(PasswordHasher), audit)


Reader = Annotated[UserService, Depends(_reader)]


async def current_account(request: Request, _: CurrentUser) -> User:
    """The signed-in user's record, as the authenticator (`shre.auth`) cached it with
    the caller: detached, to read, never to change."""
    user: User = request.state.caller.user()
    return user


CurrentAccount = Annotated[User, Depends(current_account)]


@router.get("/me")
async def me(account: CurrentAccount, response: Response, etags: ETagsDep) -> UserOut:
    """The signed-in user."""
    response.headers["ETag"] = etags.for_version(USER, account.id, account.version)
    return UserOut.model_validate(account)


class UserQuery(PagedQuery):
    q: SearchText | None = Field(None, description="Email or name contains")
    role: Role | None = None
    is_active: bool | None = None
    format: FormatParam = None

    def filters(self) -> UserFilters:
        return UserFilters(q=self.q, role=self.role, is_active=self.is_active)


@router.get(
    "/users",
    response_model=Page[UserOut],
    openapi_extra=documented(UserQuery),
    responses=FILE_RESPONSES,
)
async def list_users(
    request: Request,
    principal: CurrentUser,
    service: Reader,
    params: Annotated[UserQuery, Depends(query(UserQuery))],
) -> Page[UserOut] | Response:
    """Users (administrators only). With `format`, every matching user as a CSV or XLSX
    file (`page` and `page_size` do not apply)."""
    if params.format is not None:
        return await list_file(request, "users", principal, service, params, params.format)
    users, total = await service.list(principal, params.paging, params.filters())
    return Page(
        items=[UserOut.model_validate(u) for u in users],
        total=total,
        page=params.page,
        page_size=params.page_size,
    )


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
) -> UserOut:
    user = await service.create(principal, body)
    response.headers["ETag"] = etags.for_version(USER, user.id, user.version)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return UserOut.model_validate(user)


@router.get("/users/{user_id}")
async def get_user(
    user_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
) -> UserOut:
    user = await service.get(principal, user_id)
    response.headers["ETag"] = etags.for_version(USER, user.id, user.version)
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", responses={412: {"description": "Stale If-Match"}})
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: CurrentUser,
    service: Service,
    response: Response,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> UserOut:
    precondition = etags.precondition(if_match, USER, user_id)
    user = await service.update(principal, user_id, body, precondition)
    response.headers["ETag"] = etags.for_version(USER, user.id, user.version)
    return UserOut.model_validate(user)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(
    user_id: uuid.UUID,
    principal: CurrentUser,
    service: Service,
    etags: ETagsDep,
    if_match: IfMatch = None,
) -> Response:
    await service.delete(principal, user_id, etags.precondition(if_match, USER, user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
