"""analytics: sealed pay cells, and department moves found by field

`pay_cells` keeps the salaries of each group of current employees (a department and a
job title) sealed together, so pay bands open one value per group rather than one data
key per person; derived data, rebuilt when a group changes. `employee_history` gains an
index on (field, employee_id, effective_date): headcount over time reads every
department move, and nothing else of the history.

Revision ID: 20261206_0010
Revises: 20261205_0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0010"
down_revision: str | None = "20261205_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pay_cells",
        sa.Column("cell", sa.String(64), nullable=False),
        sa.Column("stamp", sa.String(120), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cell", name=op.f("pk_pay_cells")),
    )
    op.create_index(
        "ix_employee_history_field_employee_id",
        "employee_history",
        ["field", "employee_id", "effective_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_employee_history_field_employee_id", table_name="employee_history")
    op.drop_table("pay_cells")
