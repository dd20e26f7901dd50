"""The analytics queries: each one aggregate over the employees (or their documents) in
the database; Python only adds up the groups it returns. The organisation's hires,
leavings and moves come from the headcount ledger (`shre.employees.headcount`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shre.analytics.periods import Month, years_before
from shre.departments.models import Department
from shre.documents.models import Document
from shre.employees import headcount
from shre.employees.headcount import HeadcountLedger
from shre.employees.models import Employee

# (department at the time, month) -> count; a department is None for "no department"
Counts = dict[tuple[uuid.UUID | None, Month], int]
# (from, to, month) -> count of department moves
Moves = dict[tuple[uuid.UUID | None, uuid.UUID | None, Month], int]
# Tenure buckets: label, at least this many years, fewer than this many (None: no end)
TENURE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("< 1 year", 0, 1),
    ("1-2 years", 1, 2),
    ("2-5 years", 2, 5),
    ("5-10 years", 5, 10),
    ("10+ years", 10, None),
)
EXPIRY_WINDOWS = (30, 60, 90)


@dataclass(frozen=True, slots=True)
class Events:
    """Everything that changed a headcount, by month: hires and leavers in the department
    they joined or left from, and moves between departments."""

    hires: Counts
    leavers: Counts
    moves: Moves


def current(today: date) -> list[ColumnElement[bool]]:
    """Employed today: hired by today, not terminated, no termination dated by today."""
    return [
        Employee.hire_date <= today,
        Employee.status != "terminated",
        (Employee.termination_date.is_(None)) | (Employee.termination_date > today),
    ]


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def reporting_line(self, manager_id: uuid.UUID) -> ColumnElement[bool]:
        """The manager and everyone below them (a recursive query the statement embeds)."""
        tree = (
            select(Employee.id).where(Employee.manager_id == manager_id).cte("line", recursive=True)
        )
        tree = tree.union_all(select(Employee.id).join(tree, Employee.manager_id == tree.c.id))
        return (Employee.id == manager_id) | Employee.id.in_(select(tree.c.id))

    async def events(self, today: date, within: Sequence[ColumnElement[bool]]) -> Events:
        """Hires, leavers and department moves dated by `today`, of everyone (from the
        headcount ledger) or of the employees `within` selects (counted afresh)."""
        if within:
            tally = await headcount.events(self.session, within, until=today)
        else:
            tally = await HeadcountLedger(self.session).tally(today)
        hires: Counts = defaultdict(int)
        leavers: Counts = defaultdict(int)
        moved: Moves = {}
        months: dict[int, Month] = {}
        for (kind, one, other, ym), n in tally.items():
            if ym not in months:
                months[ym] = Month(ym // 100, ym % 100)
            at = months[ym]
            if kind == "move":
                moved[(one, other, at)] = n
            else:
                (hires if kind == "hire" else leavers)[(one, at)] += n
        return Events(hires, leavers, moved)

    async def tenure(
        self, today: date, within: Sequence[ColumnElement[bool]]
    ) -> list[tuple[str, int]]:
        """How many current employees have served how long, by bucket."""
        whens = []
        for label, _, below in TENURE_BUCKETS:
            if below is not None:
                whens.append((Employee.hire_date > years_before(today, below), literal(label)))
        bucket = case(*whens, else_=literal(TENURE_BUCKETS[-1][0]))
        stmt = select(bucket, func.count()).where(*current(today), *within).group_by(bucket)
        found: dict[str, int] = {}
        for label, count in (await self.session.execute(stmt)).all():
            found[label] = count
        return [(label, int(found.get(label, 0))) for label, _, _ in TENURE_BUCKETS]

    async def compliance(
        self, today: date, within: Sequence[ColumnElement[bool]], categories: Sequence[str]
    ) -> tuple[dict[str, int], list[int]]:
        """Over current employees, in one pass over each table: their live documents past
        their expiry and expiring within 30, 60 and 90 days (each window includes the
        shorter ones); and for each category, how many of them have none."""
        expires = Document.expires_on
        counts = [func.count(case((expires < today, 1))).label("expired")]
        for days in EXPIRY_WINDOWS:
            until = today + timedelta(days=days)
            counts.append(
                func.count(case((and_(expires >= today, expires <= until), 1))).label(
                    f"expiring_{days}"
                )
            )
        held = [
            func.max(case((Document.category == c, 1), else_=0)).label(f"has_{i}")
            for i, c in enumerate(categories)
        ]
        live = (
            select(Document.employee_id, *counts, *held)
            .where(Document.deleted_at.is_(None))
            .group_by(Document.employee_id)
            .subquery("live")
        )
        expiries = [func.coalesce(func.sum(live.c[c.name]), 0).label(c.name) for c in counts]
        missing = [
            func.count(case((func.coalesce(live.c[f"has_{i}"], 0) == 0, 1)))
            for i in range(len(categories))
        ]
        stmt = (
            select(*expiries, *missing)
            .select_from(Employee.__table__.outerjoin(live, live.c.employee_id == Employee.id))
            .where(*current(today), *within)
        )
        row = (await self.session.execute(stmt)).one()
        found = {c.name: int(row[i] or 0) for i, c in enumerate(counts)}
        return found, [int(n) for n in row[len(counts) :]]

    async def missing(
        self,
        today: date,
        within: Sequence[ColumnElement[bool]],
        wanted: Sequence[tuple[str, int]],
    ) -> dict[str, list[Any]]:
        """For each (category, n): the first n current employees with no live document of
        that category, by employee number; in one statement (a manager's reporting line
        found once)."""
        parts = []
        for category, n in wanted:
            if n <= 0:
                continue
            has = exists().where(
                Document.employee_id == Employee.id,
                Document.category == category,
                Document.deleted_at.is_(None),
            )
            first = (
                select(
                    Employee.id,
                    Employee.employee_number,
                    Employee.first_name,
                    Employee.last_name,
                    Employee.department_id,
                )
                .where(~has, *current(today), *within)
                .order_by(Employee.employee_number)
                .limit(n)
                .subquery()
            )
            parts.append(select(literal(category).label("category"), first))
        found: dict[str, list[Any]] = {category: [] for category, _ in wanted}
        if not parts:
            return found
        stmt = parts[0] if len(parts) == 1 else union_all(*parts)
        for row in (await self.session.execute(stmt)).all():
            found[row.category].append(row)
        for rows in found.values():  # a union keeps no order
            rows.sort(key=lambda r: r.employee_number)
        return found

    async def departments(
        self, ids: Collection[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, tuple[str, uuid.UUID | None]]:
        """Departments (all, or these) by id: name and parent."""
        stmt = select(Department.id, Department.name, Department.parent_id)
        if ids is not None:
            stmt = stmt.where(Department.id.in_(list(ids)))
        return {i: (n, p) for i, n, p in (await self.session.execute(stmt)).all()}
