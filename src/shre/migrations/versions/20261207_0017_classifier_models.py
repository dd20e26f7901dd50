"""classifier models: document classifiers retrained on the organisation's reviews

Revision ID: 20261207_0017
Revises: 20261207_0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0017"
down_revision: str | None = "20261207_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classifier_models",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("labels", sa.Integer(), nullable=False),
        sa.Column("labelled_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_models")),
        sa.UniqueConstraint("version", name=op.f("uq_classifier_models_version")),
    )
    op.create_index(
        "ux_classifier_models_active",
        "classifier_models",
        ["active"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("ux_classifier_models_active", table_name="classifier_models")
    op.drop_table("classifier_models")
