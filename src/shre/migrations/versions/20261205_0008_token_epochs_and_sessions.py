"""token epochs and session lifetimes: revocation without a clock's resolution

`users.token_epoch` replaces `users.tokens_valid_after` (whole seconds: a token issued in
the same second as a password change stayed valid). Refresh tokens keep the epoch they
were issued under and their family's start (`family_started_at`, from the family's
oldest token), which bounds a session's absolute lifetime.

Revision ID: 20261205_0008
Revises: 20261205_0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_0008"
down_revision: str | None = "20261205_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite >= 3.35 drops an unindexed column in
    # place); no table copy of `users`, which other tables reference.
    op.add_column(
        "users", sa.Column("token_epoch", sa.Integer(), nullable=False, server_default="0")
    )
    op.drop_column("users", "tokens_valid_after")
    op.add_column(
        "refresh_tokens",
        sa.Column("token_epoch", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("refresh_tokens", sa.Column("family_started_at", TZ, nullable=True))
    op.execute(
        "UPDATE refresh_tokens SET family_started_at = (SELECT min(f.created_at)"
        " FROM refresh_tokens AS f WHERE f.family_id = refresh_tokens.family_id)"
    )
    # SQLite cannot make a column NOT NULL in place: a batch copies refresh_tokens (which
    # nothing references); PostgreSQL alters it.
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.alter_column("family_started_at", existing_type=TZ, nullable=False)


def downgrade() -> None:
    op.drop_column("refresh_tokens", "family_started_at")
    op.drop_column("refresh_tokens", "token_epoch")
    # The older release cannot tell sessions apart: every access token issued before the
    # downgrade is refused (refresh tokens still work).
    op.add_column(
        "users",
        sa.Column(
            "tokens_valid_after",
            TZ,
            nullable=False,
            server_default=sa.text("'1970-01-01 00:00:00+00:00'"),
        ),
    )
    op.execute("UPDATE users SET tokens_valid_after = CURRENT_TIMESTAMP")
    op.drop_column("users", "token_epoch")
