from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, Timestamps, UUIDPrimaryKey, utcnow
from shre.policy import Role

ROLE_VALUES = tuple(r.value for r in Role)


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ({})".format(", ".join(f"'{r}'" for r in ROLE_VALUES)), name="role"
        ),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The employee record this account belongs to (what "self" means in the access rules).
    employee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), unique=True, default=None
    )
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Carried by every token issued; a password change or deactivation raises it, which
    # ends every token issued before (even within the same second).
    token_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


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
