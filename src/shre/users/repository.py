"""All SQL for users."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.auth.policy import Role
from shre.kit.pagination import PageParams, ordering, paginate
from shre.kit.sql import LIKE_ESCAPE, contains_pattern
from shre.users.models import User

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "email": User.email,
    "full_name": User.full_name,
    "role": User.role,
    "created_at": User.created_at,
    "last_login_at": User.last_login_at,
}


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

    async def list(
        self,
        params: PageParams,
        *,
        q: str | None = None,
        role: Role | None = None,
        is_active: bool | None = None,
    ) -> tuple[list[User], int]:
        stmt: Select[Any] = select(User)
        if q:
            pattern = contains_pattern(q)
            stmt = stmt.where(
                or_(
                    User.email.like(pattern, escape=LIKE_ESCAPE),
                    func.lower(User.full_name).like(pattern, escape=LIKE_ESCAPE),
                )
            )
        if role is not None:
            stmt = stmt.where(User.role == role.value)
        if is_active is not None:
            stmt = stmt.where(User.is_active.is_(is_active))
        order = ordering(params.sort, SORTABLE, "email", User.id)
        return await paginate(self.session, stmt, params, order)
