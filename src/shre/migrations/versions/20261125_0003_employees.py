"""employees (sensitive fields as ciphertext), their change history, users -> employees

Revision ID: 20261125_0003
Revises: 20261125_0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_0003"
down_revision: str | None = "20261125_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "employees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_number", sa.String(length=32), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("job_title", sa.String(length=120), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("location", sa.String(length=120), nullable=True),
        sa.Column(
            "search_text",
            sa.Text(),
            sa.Computed(
                "lower(first_name || ' ' || last_name || ' ' || email || ' ' || employee_number"
                " || ' ' || coalesce(job_title, ''))",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("employment_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hire_date", sa.Date(), nullable=False),
        sa.Column("termination_date", sa.Date(), nullable=True),
        sa.Column("termination_reason", sa.Text(), nullable=True),
        sa.Column("salary_currency", sa.String(length=3), nullable=True),
        sa.Column("salary_enc", sa.Text(), nullable=True),
        sa.Column("ssn_enc", sa.Text(), nullable=True),
        sa.Column("ssn_index", sa.String(length=48), nullable=True),
        sa.Column("bank_account_enc", sa.Text(), nullable=True),
        sa.Column("date_of_birth_enc", sa.Text(), nullable=True),
        sa.Column("home_address_enc", sa.Text(), nullable=True),
        sa.Column("dek_wrapped", sa.Text(), nullable=True),
        sa.Column("dek_key_id", sa.String(length=8), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "employment_type IN ('full_time', 'part_time', 'contractor', 'intern')",
            name=op.f("ck_employees_employment_type"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'on_leave', 'terminated')", name=op.f("ck_employees_status")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_employees_department_id_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["employees.id"],
            name=op.f("fk_employees_manager_id_employees"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint("employee_number", name=op.f("uq_employees_employee_number")),
        sa.UniqueConstraint("email", name=op.f("uq_employees_email")),
    )
    for column in ("department_id", "manager_id", "status", "ssn_index", "dek_key_id"):
        op.create_index(op.f(f"ix_employees_{column}"), "employees", [column])
    for column in ("last_name", "first_name", "hire_date", "job_title", "created_at"):
        op.create_index(f"ix_employees_{column}_id", "employees", [column, "id"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_employees_search_text",
        "employees",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_table(
        "employee_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", TZ, nullable=False),
        sa.CheckConstraint(
            "field IN ('job_title', 'department_id', 'manager_id', 'status', 'salary')",
            name=op.f("ck_employee_history_field"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_employee_history_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employee_history")),
    )
    op.create_index(op.f("ix_employee_history_employee_id"), "employee_history", ["employee_id"])
    with op.batch_alter_table("users") as batch:
        batch.create_foreign_key(
            op.f("fk_users_employee_id_employees"),
            "employees",
            ["employee_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_employee_id_employees"), type_="foreignkey")
    op.drop_table("employee_history")
    op.drop_table("employees")
