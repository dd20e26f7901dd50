"""All SQL for a user's sign-in sessions: the refresh tokens, one family per sign-in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shre.users.models import RefreshToken


class RefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, token: RefreshToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def spend(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark a live token used; False when another request spent or revoked it first."""
        stmt = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def family_revoked(self, family_id: uuid.UUID) -> bool:
        """Whether any token of the family is revoked: a refresh that raced a logout can
        leave its new token unrevoked (PostgreSQL's UPDATE does not see a row inserted
        after it began), and the family is over all the same."""
        revoked = RefreshToken.revoked_at.is_not(None)
        stmt = select(exists().where(RefreshToken.family_id == family_id, revoked))
        return bool((await self.session.execute(stmt)).scalar())

    async def revoked_families(self, user_id: uuid.UUID, since: datetime) -> list[uuid.UUID]:
        """The user's sessions revoked at or after `since` (logout, reuse, password change)."""
        stmt = (
            select(RefreshToken.family_id)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at >= since)
            .distinct()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        stmt = (
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        stmt = (
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)
