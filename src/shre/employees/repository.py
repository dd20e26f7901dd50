"""All SQL for employees."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    SQLColumnExpression,
    false,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shre.employees.models import Employee, EmployeeChange
from shre.kit.pagination import PageParams, directed, sort_spec
from shre.kit.sql import LIKE_ESCAPE, contains_pattern

# PostgreSQL advisory lock key for the reporting line ("SHRE" + 2); unique in the app.
REPORTING_LINE_LOCK_KEY = 0x5348_5245_0002

# Deeper than any real reporting line; bounds the walk even if data were corrupted.
MAX_DEPTH = 64

SORTABLE: dict[str, SQLColumnExpression[Any]] = {
    "employee_number": Employee.employee_number,
    "last_name": Employee.last_name,
    "first_name": Employee.first_name,
    "email": Employee.email,
    "job_title": Employee.job_title,
    "hire_date": Employee.hire_date,
    # No date sorts before every date, on PostgreSQL as on SQLite (whose NULLs differ).
    "termination_date": func.coalesce(Employee.termination_date, literal(date.min, Date)),
    "created_at": Employee.created_at,
}


@dataclass(frozen=True, slots=True)
class Scope:
    """Limits a list to one employee (None: to nobody) and, `with_reports`, everyone
    who reports to them, directly or not."""

    employee_id: uuid.UUID | None
    with_reports: bool = False

    def condition(self) -> ColumnElement[bool]:
        if self.employee_id is None:
            return false()
        if not self.with_reports:
            return Employee.id == self.employee_id
        tree = (
            select(Employee.id)
            .where(Employee.manager_id == self.employee_id)
            .cte("scope_tree", recursive=True)
        )
        tree = tree.union(select(Employee.id).join(tree, Employee.manager_id == tree.c.id))
        return or_(Employee.id == self.employee_id, Employee.id.in_(select(tree.c.id)))


@dataclass(frozen=True, slots=True)
class Match:
    """Which employees a list ranges over: its filters (a national ID as its blind-index
    values, never the ID itself), and `only` those a caller's scope allows."""

    q: str | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    status: str | None = None
    employment_type: str | None = None
    ssn_indexes: tuple[str, ...] | None = None
    only: Scope | None = None

    def conditions(self) -> builtins.list[ColumnElement[bool]]:
        """The filters as SQL."""
        conditions: builtins.list[ColumnElement[bool]] = []
        if self.only is not None:
            conditions.append(self.only.condition())
        if self.q:
            pattern = contains_pattern(self.q)
            conditions.append(Employee.search_text.like(pattern, escape=LIKE_ESCAPE))
        if self.department_id is not None:
            conditions.append(Employee.department_id == self.department_id)
        if self.manager_id is not None:
            conditions.append(Employee.manager_id == self.manager_id)
        if self.status is not None:
            conditions.append(Employee.status == self.status)
        if self.employment_type is not None:
            conditions.append(Employee.employment_type == self.employment_type)
        if self.ssn_indexes is not None:
            conditions.append(Employee.ssn_index.in_(self.ssn_indexes))
        return conditions


class EmployeeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, employee_id: uuid.UUID, *, lock: bool = False) -> Employee | None:
        """One employee; `lock`: locked for a change until the transaction ends (PostgreSQL;
        SQLite has no row locks). FOR NO KEY UPDATE, the lock an UPDATE of the row takes
        anyway: another change of it waits, while a row that merely refers to it (a report
        whose manager it becomes) does not."""
        locked = {"key_share": True} if lock else None
        # Locked: read as it is now, even if this session has read it before.
        return await self.session.get(
            Employee, employee_id, with_for_update=locked, populate_existing=lock
        )

    async def exists(self, employee_id: uuid.UUID) -> bool:
        stmt = select(Employee.id).where(Employee.id == employee_id)
        return (await self.session.execute(stmt)).first() is not None

    async def on_legal_hold(self, employee_id: uuid.UUID) -> bool:
        stmt = select(Employee.legal_hold_since).where(Employee.id == employee_id)
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def department_exists(self, department_id: uuid.UUID) -> bool:
        """Whether a department exists, read through the target of the employee's own
        foreign key (departments build on employees, so this package does not import
        them)."""
        (key,) = Employee.__table__.c.department_id.foreign_keys
        stmt = select(key.column).where(key.column == department_id)
        return (await self.session.execute(stmt)).first() is not None

    async def taken(
        self, *, employee_number: str | None, email: str | None, other_than: uuid.UUID | None
    ) -> set[str]:
        """Which of the unique fields another employee already uses."""
        found: set[str] = set()
        for field, value in (("employee_number", employee_number), ("email", email)):
            if value is None:
                continue
            column = getattr(Employee, field)
            stmt = select(Employee.id).where(func.lower(column) == value.lower())
            if other_than is not None:
                stmt = stmt.where(Employee.id != other_than)
            if (await self.session.execute(stmt)).first() is not None:
                found.add(field)
        return found

    async def lock_reporting_line(self) -> None:
        """Serialise changes of the reporting line until this transaction ends: two moves
        that are each fine alone (A under B, B under A) must not both pass the cycle check
        on snapshots that miss the other's change.

        PostgreSQL: a transaction-scoped advisory lock; the next statement then sees every
        move committed before it. SQLite: a (no-op) write takes the database's single write
        lock, held until the commit; the reads after it see every committed change."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_advisory_xact_lock(REPORTING_LINE_LOCK_KEY)))
        else:
            await self.session.execute(
                text("UPDATE employees SET manager_id = manager_id WHERE 1 = 0")
            )

    async def chain_above(self, employee_id: uuid.UUID) -> list[uuid.UUID]:
        """`employee_id` and every manager above it (one recursive query)."""
        chain = (
            select(Employee.id, Employee.manager_id)
            .where(Employee.id == employee_id)
            .cte("chain", recursive=True)
        )
        chain = chain.union(
            select(Employee.id, Employee.manager_id).join(chain, Employee.id == chain.c.manager_id)
        )
        return list((await self.session.execute(select(chain.c.id))).scalars())

    async def subtree(self, manager_id: uuid.UUID) -> set[uuid.UUID]:
        """Everyone who reports to `manager_id`, directly or not (not the manager)."""
        tree = (
            select(Employee.id).where(Employee.manager_id == manager_id).cte("tree", recursive=True)
        )
        tree = tree.union(select(Employee.id).join(tree, Employee.manager_id == tree.c.id))
        return set((await self.session.execute(select(tree.c.id))).scalars())

    async def reporting_to(
        self, manager_id: uuid.UUID, candidates: list[uuid.UUID]
    ) -> set[uuid.UUID]:
        """The candidates that report to `manager_id`, directly or not. Walks up the
        candidates' lines one level per query (primary-key lookups, as many queries as
        the tree is deep), never down the manager's whole subtree."""
        found: set[uuid.UUID] = set()
        # node -> the candidates whose line passes through it
        through: dict[uuid.UUID, set[uuid.UUID]] = {c: {c} for c in candidates}
        for _ in range(MAX_DEPTH):
            if not through:
                break
            stmt = select(Employee.id, Employee.manager_id).where(Employee.id.in_(list(through)))
            upward: dict[uuid.UUID, set[uuid.UUID]] = {}
            for node, boss in (await self.session.execute(stmt)).all():
                if boss is None:
                    continue
                if boss == manager_id:
                    found |= through[node]
                else:
                    upward.setdefault(boss, set()).update(through[node])
            through = upward
        return found

    async def wrapped_keys(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str | None]:
        if not ids:
            return {}
        stmt = select(Employee.id, Employee.dek_wrapped).where(Employee.id.in_(ids))
        return {row.id: row.dek_wrapped for row in (await self.session.execute(stmt)).all()}

    async def direct_reports(self, manager_id: uuid.UUID) -> list[Employee]:
        stmt = (
            select(Employee)
            .where(Employee.manager_id == manager_id)
            .order_by(Employee.last_name, Employee.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def by_ids(self, ids: set[uuid.UUID]) -> list[Employee]:
        if not ids:
            return []
        stmt = (
            select(Employee).where(Employee.id.in_(ids)).order_by(Employee.last_name, Employee.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def history(self, employee_id: uuid.UUID) -> list[EmployeeChange]:
        stmt = (
            select(EmployeeChange)
            .where(EmployeeChange.employee_id == employee_id)
            .order_by(EmployeeChange.effective_date, EmployeeChange.changed_at, EmployeeChange.id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def in_departments(self, department_ids: list[uuid.UUID]) -> list[Employee]:
        stmt = select(Employee).where(Employee.department_id.in_(department_ids))
        return list((await self.session.execute(stmt)).scalars())

    async def in_department(self, department_id: uuid.UUID) -> bool:
        stmt = select(Employee.id).where(Employee.department_id == department_id).limit(1)
        return (await self.session.execute(stmt)).first() is not None

    async def update_in_place(
        self, employee_id: uuid.UUID, versions: frozenset[int] | None, values: dict[str, Any]
    ) -> Employee | None:
        """Change the employee in one statement, without reading it first, if it is at one
        of `versions` (None: at any): the row as written (RETURNING), its version one up;
        None if there is no such row (or its erasure has begun: the locked path refuses).
        The ORM's flush is bypassed, so its hooks are too: only for plain columns that none
        watches (the wrapped key is watched)."""
        stmt = update(Employee).where(
            Employee.id == employee_id, Employee.erasure_requested_at.is_(None)
        )
        if versions is not None:
            stmt = stmt.where(Employee.version.in_(versions))
        stmt = (
            stmt.values(**values, version=Employee.version + 1)
            .returning(Employee)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def add(self, employee: Employee) -> None:
        self.session.add(employee)
        await self.session.flush()

    async def list(self, params: PageParams, match: Match) -> tuple[list[Employee], int]:
        """One page and the total. The page is found as ids first (on the sort index,
        index-only where the filters allow), then only its rows are loaded: deep pages
        skip over index entries, not over table rows."""
        conditions = match.conditions()
        column, descending = sort_spec(params.sort, SORTABLE, "last_name")
        if match.q:
            ids, total = await self._text_matches(conditions, column, descending, params)
        else:
            total = (
                await self.session.execute(
                    select(func.count()).select_from(Employee).where(*conditions)
                )
            ).scalar_one()
            page = (
                select(Employee.id)
                .where(*conditions)
                .order_by(*directed([column, Employee.id], descending))
                .offset(params.offset)
                .limit(params.page_size)
            )
            ids = list((await self.session.execute(page)).scalars())
        return await self._load_in_order(ids), int(total)

    async def ids_in_order(
        self, sort: str | None, match: Match, *, limit: int
    ) -> builtins.list[uuid.UUID]:
        """Every match's id (at most `limit`), in the list's order: what an export walks."""
        column, descending = sort_spec(sort, SORTABLE, "last_name")
        stmt = (
            select(Employee.id)
            .where(*match.conditions())
            .order_by(*directed([column, Employee.id], descending))
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def in_order(self, ids: Sequence[uuid.UUID]) -> builtins.list[Employee]:
        """The rows of `ids`, in that order."""
        return await self._load_in_order(ids)

    async def _text_matches(
        self,
        conditions: Sequence[ColumnElement[bool]],
        column: SQLColumnExpression[Any],
        descending: bool,
        params: PageParams,
    ) -> tuple[builtins.list[uuid.UUID], int]:
        """A text search's page and total in one statement. The matches (few, and found
        through the trigram index) are collected first, then counted and sorted: walking
        the sort index and filtering instead is what a planner picks from its estimates,
        and names cluster (every "Fischer" sits under F), so that walk can read a quarter
        of the table before it finds a page."""
        matches = (
            select(Employee.id.label("id"), column.label("key"))
            .where(*conditions)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        total = select(func.count()).select_from(matches).scalar_subquery()
        page = (
            select(matches.c.id, total)
            .order_by(*directed([matches.c.key, matches.c.id], descending))
            .offset(params.offset)
            .limit(params.page_size)
        )
        rows = (await self.session.execute(page)).all()
        if rows:
            return [row[0] for row in rows], int(rows[0][1])
        count = select(func.count()).select_from(Employee).where(*conditions)
        return [], int((await self.session.execute(count)).scalar_one())

    async def _load_in_order(self, ids: Sequence[uuid.UUID]) -> builtins.list[Employee]:
        if not ids:
            return []
        found = {
            e.id: e
            for e in (await self.session.execute(select(Employee).where(Employee.id.in_(ids))))
            .scalars()
            .all()
        }
        return [found[i] for i in ids if i in found]
