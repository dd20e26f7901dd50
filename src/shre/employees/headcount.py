"""The headcount ledger: hires, leavings and department moves, counted by month.

Headcount over time is the sum of every hire, leaving and move up to a month (analytics).
Counted from the employees and their department history on every request, that is a
pass over every employee and every move: some 270 ms at 100,000 employees. The ledger
(`headcount_events`) keeps the counts instead, a row per month, kind and department (or
pair of departments, for a move): a few thousand rows. Every write that can change
them (creating an employee; changing their department, hire date, termination date or
status; terminating them) keeps them in the same transaction: it counts that
employee's events before and after the change (`events`, one statement over one
person) and adds the difference. Concurrent writers add to the same rows with
INSERT … ON CONFLICT, rows in one order, so none loses a count and none deadlocks.

The ledger holds every event, dated after today or not. What counts "as of today" is
the ledger up to this month, less this month's events dated after today, counted
afresh (`HeadcountLedger.tally`: a few index lookups). A write outside these paths
(a bulk load) ends with `rebuild`; `differences` compares the ledger with a count from
scratch (`shre analytics check-headcount`).

What counts, here only (`events`): a hire in the month of the hire date, in the
department joined; a leaving in the month of the termination date, from the department
left; a move for each department change dated after the hire and by the termination.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import (
    Integer,
    Select,
    String,
    cast,
    delete,
    extract,
    func,
    literal,
    null,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from shre.db import upsert
from shre.employees.models import Employee, EmployeeChange, HeadcountEntry

# (kind, department, the department moved to (moves only), month as 202503) -> count;
# no department is None. Kinds: hire, leave, move.
Key = tuple[str, uuid.UUID | None, uuid.UUID | None, int]
Tally = dict[Key, int]
# What a change of these fields can change in the ledger.
COUNTED_FIELDS: Final = frozenset({"department_id", "hire_date", "termination_date", "status"})
# "No department" as a key column of the ledger.
NO_DEPARTMENT: Final = uuid.UUID(int=0)
# Rows per INSERT (SQLite allows so many bound values in one statement).
BATCH: Final = 500


def year_month(day: Any) -> ColumnElement[Any]:
    """A date's year and month as one integer (202503): one key to group by, whose count
    of values PostgreSQL estimates far better than two."""
    return cast(extract("year", day) * 100 + extract("month", day), Integer)


def _department(value: Any) -> uuid.UUID | None:
    """A department id as a query returns it: a UUID, its text (history values), or the
    32 hex digits SQLite keeps for a UUID column cast to text."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _dated(day: Any, after: date | None, until: date | None) -> list[ColumnElement[bool]]:
    where = [day.is_not(None)]
    if after is not None:
        where.append(day > after)
    if until is not None:
        where.append(day <= until)
    return where


def _statement(
    within: Sequence[ColumnElement[bool]], after: date | None, until: date | None
) -> Any:
    """Hires, leavings and moves of the employees `within` selects, dated after `after`
    and by `until` (None: no bound), by kind, departments and month, in one statement.

    A change of department dated after the hire is a move; it counts as one when it falls
    by the termination. Hires and leavings are counted in people's departments now, then
    set right with the moves: the moves after a hire (each from `old` to `new`) add up to
    "from the department joined to the one now" (every `new` is the next `old`), so
    counting +1 `old`, -1 `new` for each at the hire month moves the hire to where it
    happened; the moves after a termination, likewise, move the leaving to the department
    left from. No one's moves need numbering, and the history is read once."""
    # The employees counted, read once (materialised: every part below reads them).
    people = (
        select(Employee.id, Employee.department_id, Employee.hire_date, Employee.termination_date)
        .where(*within)
        .cte("people")
    )
    history = EmployeeChange
    moves = (
        select(
            history.old_value,
            history.new_value,
            history.effective_date.label("day"),
            people.c.hire_date,
            people.c.termination_date,
        )
        .join(people, people.c.id == history.employee_id)
        .where(history.field == "department_id", history.effective_date > people.c.hire_date)
        .cte("moves")
    )
    now = cast(people.c.department_id, String)
    nothing = cast(null(), String)

    def everyone(kind: str, day: Any) -> Select[Any]:
        """Everyone's hires (or leavings) by their department now and month."""
        month = year_month(day)
        return (
            select(literal(kind), now, nothing, month, func.count())
            .where(*_dated(day, after, until))
            .group_by(people.c.department_id, month)
        )

    def counted(kind: str, day: Any, *where: Any) -> Select[Any]:
        """Moves by their two departments and the month of `day`."""
        month = year_month(day)
        return (
            select(literal(kind), moves.c.old_value, moves.c.new_value, month, func.count())
            .where(*_dated(day, after, until), *where)
            .group_by(moves.c.old_value, moves.c.new_value, month)
        )

    left = moves.c.termination_date
    return union_all(
        everyone("hire", people.c.hire_date),
        everyone("leave", people.c.termination_date),
        counted("hired_elsewhere", moves.c.hire_date),
        counted("left_elsewhere", left, moves.c.day > left),
        counted("move", moves.c.day, left.is_(None) | (moves.c.day <= left)),
    )


async def events(
    session: AsyncSession,
    within: Sequence[ColumnElement[bool]],
    *,
    after: date | None = None,
    until: date | None = None,
) -> Tally:
    """The events of the employees `within` selects (every one: []), dated after `after`
    and by `until`, counted from the employees and their history."""
    tally: Tally = defaultdict(int)
    # Thousands of rows name a few departments: each is parsed once.
    departments: dict[Any, uuid.UUID | None] = {}
    for kind, a, b, month, n in (await session.execute(_statement(within, after, until))).all():
        if a not in departments:
            departments[a] = _department(a)
        if b not in departments:
            departments[b] = _department(b)
        one, other, at = departments[a], departments[b], int(month)
        if kind == "move":
            tally[("move", one, other, at)] += n
        elif kind in ("hire", "leave"):
            tally[(kind, one, None, at)] += n
        else:  # counted in the department now; it happened where the moves started
            counted = "hire" if kind == "hired_elsewhere" else "leave"
            tally[(counted, one, None, at)] += n
            tally[(counted, other, None, at)] -= n
    return {key: n for key, n in tally.items() if n}


def difference(after: Tally, before: Tally) -> Tally:
    """`after` less `before`, without the keys where they agree."""
    out = dict(after)
    for key, n in before.items():
        out[key] = out.get(key, 0) - n
    return {key: n for key, n in out.items() if n}


def _last_day(day: date) -> date:
    first_of_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _dated_between(after: date, until: date) -> Any:
    """The employees with a hire, termination or department change dated after `after`
    and by `until`."""
    return union(
        select(Employee.id).where(Employee.hire_date > after, Employee.hire_date <= until),
        select(Employee.id).where(
            Employee.termination_date > after, Employee.termination_date <= until
        ),
        select(EmployeeChange.employee_id).where(
            EmployeeChange.field == "department_id",
            EmployeeChange.effective_date > after,
            EmployeeChange.effective_date <= until,
        ),
    )


class HeadcountLedger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, ids: Collection[uuid.UUID]) -> Tally:
        """The events of these employees as they stand (in this transaction)."""
        if not ids:
            return {}
        return await events(self.session, [Employee.id.in_(list(ids))])

    async def record(self, ids: Collection[uuid.UUID], before: Tally) -> None:
        """These employees changed (flushed): their events now, less `before` (what
        `count` found before the change), added to the ledger."""
        await self._add(difference(await self.count(ids), before))

    async def tally(self, today: date) -> Tally:
        """Everyone's events dated by `today`: the ledger up to this month, less this
        month's events dated after today."""
        tally = await self._held(HeadcountEntry.month <= today.year * 100 + today.month)
        end = _last_day(today)
        if today < end:
            later = [Employee.id.in_(_dated_between(today, end))]
            tally = difference(tally, await events(self.session, later, after=today, until=end))
        return tally

    async def rebuild(self) -> int:
        """Count every event afresh and keep that (after a bulk load). Rows written.

        On PostgreSQL the ledger is locked first, against writers' additions: those in
        flight are committed before the count (which sees them), later ones wait for
        this transaction and add to what it wrote."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("LOCK TABLE headcount_events IN EXCLUSIVE MODE"))
        await self.session.execute(delete(HeadcountEntry))
        fresh = await events(self.session, [])
        await self._add(fresh)
        return len(fresh)

    async def differences(self) -> Tally:
        """What the ledger holds that a count from scratch does not (empty: it agrees)."""
        return difference(await self._held(), await events(self.session, []))

    async def _held(self, *where: ColumnElement[bool]) -> Tally:
        """The ledger's entries (those `where` selects), as a tally."""
        entry = HeadcountEntry
        stmt = select(
            entry.kind, entry.department_id, entry.other_department_id, entry.month, entry.count
        ).where(entry.count != 0, *where)
        return {
            (kind, _stored(one), _stored(other), int(month)): n
            for kind, one, other, month, n in (await self.session.execute(stmt)).all()
        }

    async def _add(self, tally: Tally) -> None:
        rows = [
            {
                "month": month,
                "kind": kind,
                "department_id": one or NO_DEPARTMENT,
                "other_department_id": other or NO_DEPARTMENT,
                "count": n,
            }
            for (kind, one, other, month), n in sorted(tally.items(), key=_order)
        ]
        insert = upsert(self.session.get_bind().dialect.name)
        for batch in _batches(rows):
            stmt = insert(HeadcountEntry).values(batch)
            stmt = stmt.on_conflict_do_update(
                index_elements=["month", "kind", "department_id", "other_department_id"],
                set_={"count": HeadcountEntry.count + stmt.excluded["count"]},
            )
            await self.session.execute(stmt)


def _stored(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == NO_DEPARTMENT else value


def _order(item: tuple[Key, int]) -> tuple[int, str, str, str]:
    """One order for every writer's rows (the primary key's), so no two deadlock."""
    (kind, one, other, month), _ = item
    return (month, kind, str(one or NO_DEPARTMENT), str(other or NO_DEPARTMENT))


def _batches(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]
