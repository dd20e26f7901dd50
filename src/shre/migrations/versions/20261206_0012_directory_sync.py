"""directory sync: when the staff directory last changed for each employee

`employees.directory_changed_at` moves when a directory field changes or someone joins
or leaves the directory (is terminated, or no longer); GET /directory pages through
changes in that order (index on it and the id). Existing rows start at their last
change.

Revision ID: 20261206_0012
Revises: 20261206_0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0012"
down_revision: str | None = "20261206_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE on both backends (no copy of `employees`, which other tables
    # reference). SQLite adds a column only with a constant default: the epoch, at once
    # replaced below; the app always writes the column itself.
    postgres = op.get_bind().dialect.name == "postgresql"
    default = sa.func.now() if postgres else sa.text("'1970-01-01 00:00:00.000000'")
    op.add_column(
        "employees",
        sa.Column(
            "directory_changed_at",
            sa.DateTime(timezone=True),
            server_default=default,
            nullable=False,
        ),
    )
    op.execute("UPDATE employees SET directory_changed_at = updated_at")
    op.create_index(
        "ix_employees_directory_changed_at_id", "employees", ["directory_changed_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_employees_directory_changed_at_id", table_name="employees")
    op.drop_column("employees", "directory_changed_at")
