"""salary_currency is sensitive too: stored as ciphertext (salary_currency_enc)

The values already stored are plaintext currency codes; they move
to the new column, and `shre migrate` seals what it finds in clear right after
upgrading (the migration itself never sees the encryption keys).

Revision ID: 20261126_0004
Revises: 20261125_0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261126_0004"
down_revision: str | None = "20261125_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Add, copy, drop: plain ALTER TABLE on both backends (SQLite >= 3.35 drops columns
    # in place; a batch table copy would choke on the generated search_text column).
    op.add_column("employees", sa.Column("salary_currency_enc", sa.Text(), nullable=True))
    op.execute("UPDATE employees SET salary_currency_enc = salary_currency")
    op.drop_column("employees", "salary_currency")


def downgrade() -> None:
    sealed = op.get_bind().execute(
        sa.text("SELECT count(*) FROM employees WHERE length(salary_currency_enc) > 3")
    )
    if sealed.scalar_one():
        raise RuntimeError(
            "cannot downgrade: salary currencies are sealed; the old schema kept them in clear"
        )
    op.add_column("employees", sa.Column("salary_currency", sa.String(length=3), nullable=True))
    op.execute("UPDATE employees SET salary_currency = salary_currency_enc")
    op.drop_column("employees", "salary_currency_enc")
