"""All SQL for users."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, UnaryExpression, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.kit.pagination import PageParams, ids_in_order, ordering, paginate, rows_in_order
from shre.kit.sql import LIKE_ESCAPE, contains_pattern
from shre.policy import Role
from shre.users.models import User

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "email": User.email,
    "full_name": User.full_name,
    "role": User.role,
    "created_at": User.created_at,
    "last_login_at": User.last_login_at,
}


@dataclass(frozen=True, slots=True)
class UserFilters:
    q: str | None = None  # email or name contains
    role: Role | None = None
    is_active: bool | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.q:
            pattern = contains_pattern(self.q)
            found.append(
                or_(
                    User.email.like(pattern, escape=LIKE_ESCAPE),
                    func.lower(User.full_name).like(pattern, escape=LIKE_ESCAPE),
                )
            )
        if self.role is not None:
            found.append(User.role == self.role.value)
        if self.is_active is not None:
            found.append(User.is_active.is_(self.is_active))
        return found


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        stmt = select(User).where(User.email == email.strip().lower())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def email_taken(self, email: str) -> bool:
        stmt = select(User.id).where(User.email == email.strip().lower())
        return (await self.session.execute(stmt)).first() is not None

    async def employee_linked(
        self, employee_id: uuid.UUID, *, other_than: uuid.UUID | None
    ) -> bool:
        stmt = select(User.id).where(User.employee_id == employee_id)
        if other_than is not None:
            stmt = stmt.where(User.id != other_than)
        return (await self.session.execute(stmt)).first() is not None

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def delete(self, user: User) -> None:
        await self.session.delete(user)
        await self.session.flush()

    async def lock_active_admins(self) -> list[uuid.UUID]:
        """Ids of the active admins, locked (PostgreSQL) so two requests cannot both
        remove 'another' admin and leave none."""
        stmt = (
            select(User.id)
            .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
            .with_for_update()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def count_admins(self) -> int:
        stmt = select(func.count()).select_from(User).where(User.role == Role.ADMIN.value)
        return int((await self.session.execute(stmt)).scalar_one())

    async def list(self, params: PageParams, filters: UserFilters) -> tuple[list[User], int]:
        stmt = select(User).where(*filters.conditions())
        return await paginate(self.session, stmt, params, _order(params.sort))

    async def ids_in_order(
        self, sort: str | None, filters: UserFilters, *, limit: int
    ) -> builtins.list[uuid.UUID]:
        stmt = select(User.id).where(*filters.conditions())
        return await ids_in_order(self.session, stmt, _order(sort), limit)

    async def in_order(self, ids: Sequence[uuid.UUID]) -> builtins.list[User]:
        return await rows_in_order(self.session, User, ids)


def _order(sort: str | None) -> list[UnaryExpression[Any]]:
    return ordering(sort, SORTABLE, "email", User.id)
