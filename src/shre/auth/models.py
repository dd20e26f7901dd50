from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, UUIDPrimaryKey, utcnow


class RefreshToken(UUIDPrimaryKey, Base):
    """A refresh token, stored only as its SHA-256. One login starts a family; each
    refresh spends a token and issues the next one in the same family."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the family's sign-in happened: the session ends REFRESH_SESSION_MAX_SECONDS on.
    family_started_at: Mapped[datetime]
    # The account's token epoch at issue: a token issued in a race with a password change
    # or deactivation that raised it is refused, even if the revocation missed it.
    token_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginThrottle(Base):
    """Failed-login counter over a fixed window, per account and per client address."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
