"""jobs' records: the daily reminders of expiring documents that went out, and the
results of the analytics jobs (the attrition model's scores, sealed)

Revision ID: 20261207_0015
Revises: 20261207_0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0015"
down_revision: str | None = "20261207_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", "recipient", name=op.f("pk_reminders_sent")),
    )

    op.create_table(
        "analytics_results",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_results")),
    )


def downgrade() -> None:
    op.drop_table("analytics_results")
    op.drop_table("reminders_sent")
