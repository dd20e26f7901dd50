"""the installation's identity (scopes its keys in a shared cache) and the invalidations
commands leave for the serving processes' caches

Revision ID: 20261205_0007
Revises: 20261126_0006
Create Date: 2026-12-05
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_0007"
down_revision: str | None = "20261126_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    installation = op.create_table(
        "installation",
        sa.Column("one", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("one = 1", name=op.f("ck_installation_single_row")),
        sa.PrimaryKeyConstraint("one", name=op.f("pk_installation")),
        sa.UniqueConstraint("id", name=op.f("uq_installation_id")),
    )
    # The identity is made with the database, once: every process reads the same one.
    op.bulk_insert(installation, [{"one": 1, "id": uuid.uuid4(), "created_at": datetime.now(UTC)}])
    op.create_table(
        "cache_invalidations",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("namespaces", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_cache_invalidations")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_cache_invalidations_created_at"), "cache_invalidations", ["created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_cache_invalidations_created_at"), table_name="cache_invalidations")
    op.drop_table("cache_invalidations")
    op.drop_table("installation")
