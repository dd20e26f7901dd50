"""headcount ledger: hires, leavings and department moves counted by month

`headcount_events` keeps, per month, kind and department (or pair of departments, for
a move), how many hires, leavings and moves there were; the employee writes keep it
from now on (`shre.employees.headcount`), and this migration counts what is already
there, by the same rule (a hire in the department joined, a leaving from the one left,
a move for each department change dated after the hire and by the termination). Two
indexes find the events dated in a few days (this month's, after today); the index on
`manager_id` also holds `id`, so walking a reporting line down reads the index alone.

Revision ID: 20261206_0011
Revises: 20261206_0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_0011"
down_revision: str | None = "20261206_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# {text}: a department as text (a column of employees); {key}: text as the ledger's key
# (no department: the nil UUID); {ym}: a date's year and month as one integer.
COUNT = """
INSERT INTO headcount_events (month, kind, department_id, other_department_id, count)
WITH moves AS (
    SELECT h.old_value, h.new_value, h.effective_date AS day, e.hire_date, e.termination_date
    FROM employee_history h JOIN employees e ON e.id = h.employee_id
    WHERE h.field = 'department_id' AND h.effective_date > e.hire_date
), counted AS (
    SELECT 'hire' AS kind, {text_now} AS one, NULL AS other, {ym_hire} AS month, count(*) AS n
    FROM employees GROUP BY {text_now}, {ym_hire}
    UNION ALL
    SELECT 'leave', {text_now}, NULL, {ym_left}, count(*)
    FROM employees WHERE termination_date IS NOT NULL GROUP BY {text_now}, {ym_left}
    UNION ALL
    SELECT 'hire', old_value, NULL, {ym_moved_hire}, count(*)
    FROM moves GROUP BY old_value, {ym_moved_hire}
    UNION ALL
    SELECT 'hire', new_value, NULL, {ym_moved_hire}, -count(*)
    FROM moves GROUP BY new_value, {ym_moved_hire}
    UNION ALL
    SELECT 'leave', old_value, NULL, {ym_moved_left}, count(*)
    FROM moves WHERE termination_date IS NOT NULL AND day > termination_date
    GROUP BY old_value, {ym_moved_left}
    UNION ALL
    SELECT 'leave', new_value, NULL, {ym_moved_left}, -count(*)
    FROM moves WHERE termination_date IS NOT NULL AND day > termination_date
    GROUP BY new_value, {ym_moved_left}
    UNION ALL
    SELECT 'move', old_value, new_value, {ym_day}, count(*)
    FROM moves WHERE termination_date IS NULL OR day <= termination_date
    GROUP BY old_value, new_value, {ym_day}
)
SELECT month, kind, {key_one}, {key_other}, sum(n)
FROM counted
GROUP BY month, kind, {key_one}, {key_other}
HAVING sum(n) <> 0
"""


def _count(dialect: str) -> str:
    if dialect == "postgresql":
        nil = "'00000000-0000-0000-0000-000000000000'::uuid"
        text_now = "department_id::text"

        def ym(day: str) -> str:
            return f"(extract(year FROM {day}) * 100 + extract(month FROM {day}))::integer"

        def key(value: str) -> str:
            return f"coalesce(({value})::uuid, {nil})"
    else:  # SQLite keeps a UUID as 32 hex digits; history values are its text with dashes
        nil = "'" + "0" * 32 + "'"
        text_now = "department_id"

        def ym(day: str) -> str:
            return f"CAST(strftime('%Y%m', {day}) AS INTEGER)"

        def key(value: str) -> str:
            return f"coalesce(lower(replace({value}, '-', '')), {nil})"

    return COUNT.format(
        text_now=text_now,
        ym_hire=ym("hire_date"),
        ym_left=ym("termination_date"),
        ym_moved_hire=ym("hire_date"),
        ym_moved_left=ym("termination_date"),
        ym_day=ym("day"),
        key_one=key("one"),
        key_other=key("other"),
    )


def upgrade() -> None:
    op.create_table(
        "headcount_events",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("other_department_id", sa.Uuid(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('hire', 'leave', 'move')", name=op.f("ck_headcount_events_kind")
        ),
        sa.PrimaryKeyConstraint(
            "month",
            "kind",
            "department_id",
            "other_department_id",
            name=op.f("pk_headcount_events"),
        ),
    )
    op.create_index("ix_employees_termination_date", "employees", ["termination_date"])
    op.create_index("ix_employees_manager_id_id", "employees", ["manager_id", "id"])
    op.drop_index("ix_employees_manager_id", table_name="employees")
    op.create_index(
        "ix_employee_history_field_effective_date",
        "employee_history",
        ["field", "effective_date"],
    )
    op.execute(_count(op.get_bind().dialect.name))


def downgrade() -> None:
    op.drop_index("ix_employee_history_field_effective_date", table_name="employee_history")
    op.create_index("ix_employees_manager_id", "employees", ["manager_id"])
    op.drop_index("ix_employees_manager_id_id", table_name="employees")
    op.drop_index("ix_employees_termination_date", table_name="employees")
    op.drop_table("headcount_events")
