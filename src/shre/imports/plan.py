"""The first pass of an import: every row checked as the API would check it, nothing
written. What it keeps of each row is small (its number, id, email and references),
so a file of 100,000 rows is checked one batch of rows at a time; what needs the whole
file (managers listed after their reports, cycles, duplicates) is decided at its end.
The second pass (`shre.imports.writing`) reads the rows again and writes what this one
found valid."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.departments.models import Department
from shre.employees.models import Employee
from shre.employees.service import DATES_RULE, ERASED_RULE, dates_in_order
from shre.employees.vault import SEALED_COLUMNS, EmployeeVault
from shre.imports.reading import Sheet, preview_text
from shre.imports.rows import Index, Problem, Row, RowReader, number_key, refs_from_values
from shre.imports.schemas import MAX_ERRORS, PREVIEW_ROWS, Preview, RowError
from shre.kit.errors import InvalidInput

BATCH: Final = 1000  # rows checked (and written) at a time
# Rows read and checked between two turns of the event loop: an import is seconds of work
# per pass, and the other requests of its server process must not wait for all of it.
PACE: Final = 50
T = TypeVar("T")
KEY_DESTROYED: Final = (
    "this employee's data key was destroyed: their sensitive fields can only be cleared"
)


@dataclass(frozen=True, slots=True)
class NewDepartment:
    """A department a row names that does not exist yet (create_departments=true)."""

    key: str


@dataclass(slots=True)
class Plan:
    """What the check found: each row's id by employee number, the managers rows set
    (resolved), the departments to create, the counts and the errors."""

    columns: list[str]
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    row_of: dict[uuid.UUID, int] = field(default_factory=dict)
    manager_refs: dict[uuid.UUID, Any] = field(default_factory=dict)
    managers: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    new_departments: dict[str, str] = field(default_factory=dict)
    # Stored employees the file changes (else: left as they are, unless their manager
    # changes, which is known at the end).
    changed: set[uuid.UUID] = field(default_factory=set)
    stored_rows: set[uuid.UUID] = field(default_factory=set)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[list[str | None]] = field(default_factory=list)

    def fail(self, row: int, problems: list[Problem]) -> None:
        for column, message in problems:
            self.error_count += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(RowError(row=row, field=column, message=message))

    def previewed(self) -> Preview:
        return Preview(columns=self.columns, rows=self.preview)


async def load_index(session: AsyncSession) -> Index:
    """The stored employees and departments, as rows are matched against them."""
    index = Index()
    stmt = select(
        Employee.id,
        Employee.employee_number,
        Employee.email,
        Employee.manager_id,
        Employee.dek_wrapped.is_(None),
    )
    for employee_id, number, email, manager_id, keyless in await session.execute(stmt):
        index.by_number[number.lower()] = employee_id
        index.by_email[email.lower()] = employee_id
        index.manager_of[employee_id] = manager_id
        if keyless:
            index.keyless.add(employee_id)
    for department_id, key in await session.execute(select(Department.id, Department.name_key)):
        index.departments[key] = department_id
        index.department_ids.add(department_id)
    return index


async def paced(rows: Iterable[T]) -> AsyncIterator[T]:
    """`rows`, letting the event loop run other tasks every PACE of them."""
    for n, item in enumerate(rows, start=1):
        yield item
        if n % PACE == 0:
            await asyncio.sleep(0)


def data_rows(sheet: Sheet, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows that hold a value (blank rows are left out), at most `max_rows`
    of them (more: 422 too_many_rows)."""
    seen = 0
    for number, cells in sheet.rows:
        if all(cell is None for cell in cells):
            continue
        seen += 1
        if seen > max_rows:
            raise InvalidInput(
                f"An import holds at most {max_rows} rows (IMPORT_MAX_ROWS): split the file",
                code="too_many_rows",
            )
        yield number, cells


def stored_changes(
    vault: EmployeeVault, employee: Employee, row: Row, problems: list[Problem]
) -> dict[str, Any]:
    """What a row changes of a stored employee, by the rules of the API's update (a
    termination's date, the dates' order, a destroyed key): the fields whose value
    differs from the stored one (sensitive ones opened to compare)."""
    changes = dict(row.values)
    if changes.get("status") == "terminated" and employee.status != "terminated":
        changes.setdefault("termination_date", employee.termination_date or date.today())
    merged = {
        "hire_date": employee.hire_date,
        "termination_date": employee.termination_date,
        **changes,
    }
    if not dates_in_order(merged):
        problems.append(("termination_date", DATES_RULE))
    sensitive = frozenset(changes.keys() & SEALED_COLUMNS.keys())
    if employee.dek_wrapped is None and any(changes[k] is not None for k in sensitive):
        problems.append((sorted(sensitive)[0], KEY_DESTROYED))
    stored = {k: getattr(employee, k) for k in changes.keys() - sensitive}
    stored.update(vault.open(employee, sensitive))
    changed = {k: v for k, v in changes.items() if _text(stored.get(k)) != _text(v)}
    if changed and employee.erasure_requested_at is not None:
        problems.append(("row", ERASED_RULE))  # as the API's update refuses it (409)
    return changed


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class Checker:
    """The first pass: every row checked, counted and planned; nothing written."""

    def __init__(
        self,
        session: AsyncSession,
        vault: EmployeeVault,
        index: Index,
        *,
        create_departments: bool,
        max_rows: int,
    ) -> None:
        self.session = session
        self.vault = vault
        self.index = index
        self.create_departments = create_departments
        self.max_rows = max_rows
        self.emails: dict[str, int] = {}
        self.numbers: dict[str, int] = {}

    async def check(self, sheet: Sheet) -> Plan:
        plan = Plan(columns=sheet.named())
        reader = RowReader(sheet.columns, sheet.epoch, self.index)
        batch: list[Row] = []
        async for number, cells in paced(data_rows(sheet, self.max_rows)):
            if len(plan.preview) < PREVIEW_ROWS:
                plan.preview.append(
                    [
                        preview_text(cell)
                        for cell, column in zip(cells, sheet.columns, strict=False)
                        if column is not None
                    ]
                )
            row = self._row(plan, reader, number, cells)
            if row is not None and row.stored:
                batch.append(row)
                if len(batch) >= BATCH:
                    await self._compare(plan, batch)
                    batch = []
        await self._compare(plan, batch)
        self._resolve_managers(plan)
        self._find_cycles(plan)
        self._count(plan)
        return plan

    def _row(self, plan: Plan, reader: RowReader, number: int, cells: list[Any]) -> Row | None:
        given, problems = reader.cells(cells)
        key = number_key(given.get("employee_number"))
        if key is not None and key in self.numbers:
            problems.append(
                ("employee_number", f"appears again in this file (row {self.numbers[key]})")
            )
            plan.fail(number, problems)
            return None
        result = problems if problems else reader.read(number, given, None)
        if key is not None:
            self.numbers[key] = number
            plan.ids[key] = result.id if isinstance(result, Row) else uuid.uuid4()
        if not isinstance(result, Row):
            plan.fail(number, result)
            return None
        row = result
        refs_from_values(row, reader.named)
        self._email(row, problems)
        self._department(plan, row, problems)
        if problems:
            plan.fail(number, problems)
            return None
        plan.row_of[row.id] = number
        if row.manager is not None:
            plan.manager_refs[row.id] = row.manager
        if row.stored:
            plan.stored_rows.add(row.id)
        else:
            plan.created += 1
        return row

    def _email(self, row: Row, problems: list[Problem]) -> None:
        email = row.values.get("email")
        if email is None:
            return
        key = str(email).lower()
        if key in self.emails:
            problems.append(("email", f"appears again in this file (row {self.emails[key]})"))
            return
        self.emails[key] = row.number
        if self.index.by_email.get(key, row.id) != row.id:
            problems.append(("email", "another employee has this email"))

    def _department(self, plan: Plan, row: Row, problems: list[Problem]) -> None:
        ref = row.department
        if ref is None:
            return
        resolved: uuid.UUID | NewDepartment | None = None
        if ref.key is not None:
            resolved = self.index.departments.get(ref.key)
            if resolved is None and self.create_departments:
                plan.new_departments.setdefault(ref.key, ref.name or ref.key)
                resolved = NewDepartment(ref.key)
            elif resolved is None:
                problems.append(
                    (ref.column, "no such department (create_departments=true creates it)")
                )
        elif ref.id is not None:
            if ref.id not in self.index.department_ids:
                problems.append((ref.column, "no such department"))
            resolved = ref.id
        row.values["department_id"] = resolved

    async def _compare(self, plan: Plan, batch: list[Row]) -> None:
        """Stored employees' rows: what they change (sensitive fields opened to compare),
        and the API's rules that read the stored record."""
        if not batch:
            return
        stmt = select(Employee).where(Employee.id.in_([row.id for row in batch]))
        stored = {e.id: e for e in (await self.session.execute(stmt)).scalars()}
        for row in batch:
            problems: list[Problem] = []
            changes = stored_changes(self.vault, stored[row.id], row, problems)
            if problems:
                plan.fail(row.number, problems)
                plan.stored_rows.discard(row.id)
            elif changes:
                plan.changed.add(row.id)
        self.session.expunge_all()  # a batch's rows are not kept past it

    def _resolve_managers(self, plan: Plan) -> None:
        in_file = set(plan.ids.values())
        for own_id, ref in plan.manager_refs.items():
            if ref.number is not None:
                manager = plan.ids.get(ref.number) or self.index.by_number.get(ref.number)
            else:
                manager = ref.id
            problem = None
            if ref.number is not None and manager is None:
                problem = "no such employee number, in this file or stored"
            elif (
                manager is not None
                and manager not in in_file
                and (manager not in self.index.manager_of)
            ):
                problem = "no such employee"
            elif manager is not None and manager == own_id:
                problem = "an employee cannot manage themselves"
            if problem is not None:
                plan.fail(plan.row_of[own_id], [(ref.column, problem)])
            else:
                plan.managers[own_id] = manager

    def _find_cycles(self, plan: Plan) -> None:
        """The reporting line after the import (stored managers, then the file's) must
        have no cycle: every chain up from a manager the file sets ends at the top."""

        def manager_of(node: uuid.UUID) -> uuid.UUID | None:
            if node in plan.managers:
                return plan.managers[node]
            return self.index.manager_of.get(node)

        done: set[uuid.UUID] = set()
        for start in plan.managers:
            path: list[uuid.UUID] = []
            on_path: set[uuid.UUID] = set()
            node: uuid.UUID | None = start
            while node is not None and node not in done:
                if node in on_path:
                    cycle = path[path.index(node) :]
                    for member in cycle:
                        if member in plan.managers and member in plan.row_of:
                            ref = plan.manager_refs[member]
                            plan.fail(
                                plan.row_of[member],
                                [(ref.column, "this manager makes a cycle in the reporting line")],
                            )
                    break
                path.append(node)
                on_path.add(node)
                node = manager_of(node)
            done.update(path)

    def _count(self, plan: Plan) -> None:
        for own_id in plan.stored_rows:
            manager_moves = own_id in plan.managers and plan.managers[
                own_id
            ] != self.index.manager_of.get(own_id)
            if own_id in plan.changed or manager_moves:
                plan.updated += 1
                plan.changed.add(own_id)
            else:
                plan.unchanged += 1
