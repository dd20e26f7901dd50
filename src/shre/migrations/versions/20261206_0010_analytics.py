"""analytics: sealed pay cells, and department moves found by field

`pay_cells` keeps the salaries of each group of current employees (a department and a
job title) sealed together, so pay bands open one value per group rather than one data
key per person; derived data, rebuilt when a group changes. `employee_history` gains an
index on (field, employee_id, effective_date): headcount over time reads every
department move, and nothing else of the history. Three covering indexes let the
analytics queries read what they need of every employee and document without reading
the wide tables (index-only scans on PostgreSQL).

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
        postgresql_include=["old_value", "new_value", "changed_at"],
    )
    op.create_index(
        "ix_employees_employment",
        "employees",
        ["hire_date"],
        postgresql_include=["id", "termination_date", "status", "department_id"],
    )
    op.create_index(
        "ix_employees_salaried",
        "employees",
        ["department_id", "job_title", "hire_date"],
        postgresql_include=["version", "updated_at"],
        postgresql_where=sa.text(
            "status <> 'terminated' AND salary_enc IS NOT NULL"
            " AND salary_currency_enc IS NOT NULL AND dek_wrapped IS NOT NULL"
        ),
    )
    op.create_index(
        "ix_documents_live",
        "documents",
        ["employee_id", "category"],
        postgresql_include=["expires_on"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_live", table_name="documents")
    op.drop_index("ix_employees_salaried", table_name="employees")
    op.drop_index("ix_employees_employment", table_name="employees")
    op.drop_index("ix_employee_history_field_employee_id", table_name="employee_history")
    op.drop_table("pay_cells")
