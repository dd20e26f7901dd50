"""legal hold and erasure: data subject rights on employees

`legal_hold_reason`, `legal_hold_since`, `legal_hold_by`: a legal hold (a dispute
freezes deletion: no erasure, no document deletion, no retention purge); a hold is on
when `legal_hold_since` is set. `erasure_requested_at`: an erasure has begun (the data key
is destroyed and the directory fields pseudonymised) and its files are being deleted;
`erased_at`: it is done. `erasure_reason`: why it was asked for (hr's words, never a
value of the record). Nullable columns: a plain ALTER TABLE on both backends.

Revision ID: 20261207_0018
Revises: 20261207_0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0018"
down_revision: str | None = "20261207_0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("legal_hold_reason", sa.String(length=500)),
    ("legal_hold_since", sa.DateTime(timezone=True)),
    ("legal_hold_by", sa.Uuid()),
    ("erasure_reason", sa.String(length=500)),
    ("erasure_requested_at", sa.DateTime(timezone=True)),
    ("erased_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("employees", sa.Column(name, type_, nullable=True))
    # The daily job finds erasures left pending (few rows ever have one).
    op.create_index("ix_employees_erasure_requested_at", "employees", ["erasure_requested_at"])


def downgrade() -> None:
    op.drop_index("ix_employees_erasure_requested_at", table_name="employees")
    for name, _ in reversed(COLUMNS):
        op.drop_column("employees", name)
