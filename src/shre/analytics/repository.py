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
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
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


@dataclass(frozen=True, slots=True)
class Compliance:
    expiries: dict[str, int]  # expired, expiring_30, expiring_60, expiring_90
    missing: list[int]  # per required category: how many have none
    listed: dict[str, list[Any]]  # per category: the first of those, by employee number


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
        self,
        today: date,
        within: Sequence[ColumnElement[bool]],
        categories: Sequence[str],
        limit: int | None,
    ) -> Compliance:
        """Over current employees, in one statement (a manager's reporting line walked
        once): their live documents past their expiry and expiring within 30, 60 and 90
        days (each window includes the shorter ones), counted in one pass over each
        table; for each category, how many of them have none, and the first `limit` of
        those (None: all) by employee number."""
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
        figures = [
            *(func.coalesce(func.sum(live.c[c.name]), 0) for c in counts),
            *(
                func.count(case((func.coalesce(live.c[f"has_{i}"], 0) == 0, 1)))
                for i in range(len(categories))
            ),
        ]
        person = [
            Employee.id,
            Employee.employee_number,
            Employee.first_name,
            Employee.last_name,
            Employee.department_id,
        ]
        # One shape for every row: the figures' row (no person), then the people listed.
        totals = select(
            literal("").label("category"),
            *(cast(f, Integer).label(f"n{i}") for i, f in enumerate(figures)),
            *(cast(null(), c.type).label(c.key) for c in person),
        ).select_from(Employee.__table__.outerjoin(live, live.c.employee_id == Employee.id))
        parts: list[Any] = [totals.where(*current(today), *within)]
        for category in categories:
            has = exists().where(
                Document.employee_id == Employee.id,
                Document.category == category,
                Document.deleted_at.is_(None),
            )
            first = (
                select(*person)
                .where(~has, *current(today), *within)
                .order_by(Employee.employee_number)
                .limit(limit)
                .subquery()
            )
            nothing = (cast(null(), Integer).label(f"n{i}") for i in range(len(figures)))
            parts.append(select(literal(category), *nothing, *first.c))
        listed: dict[str, list[Any]] = {c: [] for c in categories}
        row = None
        for r in (await self.session.execute(union_all(*parts))).all():
            if r.category == "":
                row = r
            else:
                listed[r.category].append(r)
        if row is None:  # pragma: no cover - an aggregate always returns its row
            raise RuntimeError("compliance figures missing")
        numbers = [int(row._mapping[f"n{i}"] or 0) for i in range(len(figures))]
        for people in listed.values():  # a union keeps no order
            people.sort(key=lambda r: r.employee_number)
        return Compliance(
            expiries={c.name: numbers[i] for i, c in enumerate(counts)},
            missing=numbers[len(counts) :],
            listed=listed,
        )

    async def departments(
        self, ids: Collection[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, tuple[str, uuid.UUID | None]]:
        """Departments (all, or these) by id: name and parent."""
        stmt = select(Department.id, Department.name, Department.parent_id)
        if ids is not None:
            stmt = stmt.where(Department.id.in_(list(ids)))
        return {i: (n, p) for i, n, p in (await self.session.execute(stmt)).all()}
