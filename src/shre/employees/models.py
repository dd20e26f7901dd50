from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shre.db import Base, Timestamps, UUIDPrimaryKey, utcnow

EMPLOYMENT_TYPES = ("full_time", "part_time", "contractor", "intern")
SORTED_BY = ("last_name", "first_name", "hire_date", "job_title", "created_at")
SEARCH_TEXT = (
    "lower(first_name || ' ' || last_name || ' ' || email || ' ' || employee_number"
    " || ' ' || coalesce(job_title, ''))"
)
STATUSES = ("active", "on_leave", "terminated")
# The current employees with a salary and a data key: whose salaries pay bands count.
SALARIED = (
    "status <> 'terminated' AND salary_enc IS NOT NULL AND salary_currency_enc IS NOT NULL"
    " AND dek_wrapped IS NOT NULL"
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Employee(UUIDPrimaryKey, Timestamps, Base):
    """An employee record. Sensitive fields are stored only as ciphertext (`*_enc`), sealed
    under the employee's own data key (`dek_wrapped`, wrapped by a master key). A null
    `dek_wrapped` means the key was destroyed: the sensitive values are unrecoverable."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint(_in("employment_type", EMPLOYMENT_TYPES), name="employment_type"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        # Sorted lists page through (field, id) without sorting the table.
        *(Index(f"ix_employees_{f}_id", f, "id") for f in SORTED_BY),
        # `q` is a substring search: trigram index on PostgreSQL (plain index on SQLite).
        Index(
            "ix_employees_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # Analytics read a few columns of every employee: on PostgreSQL these indexes hold
        # them (INCLUDE), so an index-only scan reads megabytes, not the wide table.
        Index(
            "ix_employees_employment",
            "hire_date",
            postgresql_include=["id", "termination_date", "status", "department_id"],
        ),
        # Walking a reporting line down reads the index alone (a manager's reports' ids).
        Index("ix_employees_manager_id_id", "manager_id", "id"),
        # The directory sync pages through changes in the order they were made.
        Index("ix_employees_directory_changed_at_id", "directory_changed_at", "id"),
        # The headcount ledger finds this month's leavings dated after today.
        Index("ix_employees_termination_date", "termination_date"),
        # The daily job finds erasures left pending.
        Index("ix_employees_erasure_requested_at", "erasure_requested_at"),
        Index(
            "ix_employees_salaried",
            "department_id",
            "job_title",
            "hire_date",
            postgresql_include=["version", "updated_at"],
            postgresql_where=text(SALARIED),
        ),
    )

    # directory
    employee_number: Mapped[str] = mapped_column(String(32), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    job_title: Mapped[str | None] = mapped_column(String(120), default=None)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, default=None
    )
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("employees.id", ondelete="RESTRICT"), default=None
    )
    location: Mapped[str | None] = mapped_column(String(120), default=None)
    # What `q` searches, kept by the database: names, email, number, job title, lowercased.
    search_text: Mapped[str] = mapped_column(Text, Computed(SEARCH_TEXT, persisted=True))
    # employment
    employment_type: Mapped[str] = mapped_column(String(16), default="full_time")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    hire_date: Mapped[date] = mapped_column(Date)
    termination_date: Mapped[date | None] = mapped_column(Date, default=None)
    termination_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # When the staff directory last changed for this person: a directory field, or whether
    # they are in it (everyone not terminated). What GET /directory syncs by.
    directory_changed_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=func.now()
    )
    # sensitive: ciphertext only
    salary_enc: Mapped[str | None] = mapped_column(Text, default=None)
    salary_currency_enc: Mapped[str | None] = mapped_column(Text, default=None)
    ssn_enc: Mapped[str | None] = mapped_column(Text, default=None)
    ssn_index: Mapped[str | None] = mapped_column(String(48), index=True, default=None)
    bank_account_enc: Mapped[str | None] = mapped_column(Text, default=None)
    date_of_birth_enc: Mapped[str | None] = mapped_column(Text, default=None)
    home_address_enc: Mapped[str | None] = mapped_column(Text, default=None)
    # Data subject rights (shre.rights): a legal hold freezes every deletion while it is
    # on (`legal_hold_since` set); an erasure begun (`erasure_requested_at`: data key
    # destroyed, directory fields pseudonymised, files being deleted) and done
    # (`erased_at`). The reasons are hr's words, never a value of the record.
    legal_hold_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    legal_hold_since: Mapped[datetime | None] = mapped_column(default=None)
    legal_hold_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    erasure_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    erasure_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # the data key
    dek_wrapped: Mapped[str | None] = mapped_column(Text, default=None)
    dek_key_id: Mapped[str | None] = mapped_column(String(8), index=True, default=None)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


HISTORY_FIELDS = ("job_title", "department_id", "manager_id", "status", "salary")


class EmployeeChange(UUIDPrimaryKey, Base):
    """One change of a tracked field. Salary values are ciphertext under the employee's
    data key, bound to this row (so crypto-shredding the employee covers them too)."""

    __tablename__ = "employee_history"
    __table_args__ = (
        CheckConstraint(_in("field", HISTORY_FIELDS), name="field"),
        # Analytics read one field's changes over time (department moves): on PostgreSQL from
        # the index alone.
        Index(
            "ix_employee_history_field_employee_id",
            "field",
            "employee_id",
            "effective_date",
            postgresql_include=["old_value", "new_value", "changed_at"],
        ),
        # The headcount ledger finds this month's moves dated after today.
        Index("ix_employee_history_field_effective_date", "field", "effective_date"),
    )

    employee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)
    effective_date: Mapped[date] = mapped_column(Date)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayCell(Base):
    """The salaries of one group of current employees (one department, one job title),
    sealed together under a subkey of the master key, so that pay bands open one value
    per group instead of one data key per person. Derived data, never a source: `stamp`
    is what the group looked like when it was sealed (how many, the sum of their row
    versions, the latest change), and a cell whose stamp no longer matches the employees
    is rebuilt from their own sealed values (`shre.employees.paycells`). The clear
    columns say nothing the employees table does not: the group is named by a hash."""

    __tablename__ = "pay_cells"

    cell: Mapped[str] = mapped_column(String(64), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(120))
    sealed: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


HEADCOUNT_KINDS = ("hire", "leave", "move")


class HeadcountEntry(Base):
    """How many hires, leavings or department moves one month saw in one department (or,
    for a move, from one department to another): the headcount ledger, kept by every
    change of an employee in the same transaction (`shre.employees.headcount`). Derived
    data, never a source; `shre analytics check-headcount` compares it with the
    employees and their history. No department is the nil UUID here (a key column)."""

    __tablename__ = "headcount_events"
    __table_args__ = (CheckConstraint(_in("kind", HEADCOUNT_KINDS), name="kind"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # 202503: March 2025
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # A move's destination; the nil UUID for a hire or a leaving
    other_department_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AnalyticsResult(Base):
    """A result a background job computed from employees' sealed values (the attrition
    model's scores: salary-derived), sealed under a subkey of the primary master key and
    bound to its name (`shre.analytics.attrition`). Derived data, never a source."""

    __tablename__ = "analytics_results"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
