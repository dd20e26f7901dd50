"""The second pass of an import, once every row passed the check (`shre.imports.plan`):
the rows read again (`Sheet.again`) and written in the request's one transaction, as
the API's service writes each employee — each new employee with a data key of their
own, the sensitive fields sealed under it (and the national ID's blind index), their
history as created, the headcount ledger kept — but in batches: new employees as bulk
INSERTs (their managers set once every one of them exists), then the changes of stored
employees, locked and changed through the ORM as `EmployeeService.update` changes them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Final, cast

from sqlalchemy import Table, Uuid, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from shre.audit import AuditTrail
from shre.db import utcnow
from shre.departments.models import Department
from shre.employees.headcount import COUNTED_FIELDS, HeadcountLedger
from shre.employees.models import Employee, EmployeeChange
from shre.employees.service import apply_change, tracked_changes, written_in_bulk
from shre.employees.vault import SEALED_COLUMNS, EmployeeVault
from shre.imports.plan import (
    BATCH,
    NewDepartment,
    Plan,
    data_rows,
    paced,
    stored_changes,
)
from shre.imports.reading import Sheet
from shre.imports.rows import Index, Problem, Row, RowReader, number_key, refs_from_values
from shre.kit.errors import Conflict

EMPLOYEES = cast(Table, Employee.__table__)
HISTORY = cast(Table, EmployeeChange.__table__)
DEPARTMENT_CREATE: Final = "department.create"


class Writer:
    def __init__(
        self,
        session: AsyncSession,
        vault: EmployeeVault,
        audit: AuditTrail,
        index: Index,
        plan: Plan,
        *,
        changed_by: uuid.UUID | None,
        max_rows: int,
    ) -> None:
        self.session = session
        self.vault = vault
        self.audit = audit
        self.index = index
        self.plan = plan
        self.changed_by = changed_by
        self.max_rows = max_rows
        self.ledger = HeadcountLedger(session)
        self.written: set[uuid.UUID] = set()  # new employees inserted so far
        self.later: list[dict[str, Any]] = []  # their managers, inserted after them
        self.analyzed = False

    async def departments(self) -> None:
        """The departments rows name that do not exist yet (create_departments=true),
        each recorded as the API records one."""
        for key, name in sorted(self.plan.new_departments.items()):
            department = Department(id=uuid.uuid4(), name=name)
            self.session.add(department)
            self.index.departments[key] = department.id
            self.index.department_ids.add(department.id)
            await self.audit.record(
                DEPARTMENT_CREATE,
                target_type="department",
                target_id=department.id,
                fields=["name"],
            )
        if self.plan.new_departments:
            await self.session.flush()

    async def new_employees(self, sheet: Sheet) -> None:
        batch: list[Row] = []
        async for row in self._rows(sheet, stored=False):
            batch.append(row)
            if len(batch) >= BATCH:
                await self._insert(batch)
                batch = []
        await self._insert(batch)
        await self._set_managers()

    async def stored_employees(self, sheet: Sheet) -> None:
        batch: list[Row] = []
        async for row in self._rows(sheet, stored=True):
            batch.append(row)
            if len(batch) >= BATCH:
                await self._update(batch)
                batch = []
        await self._update(batch)

    def finish(self) -> None:
        """Every cached page, record, reporting line and figure of employees is stale."""
        written_in_bulk(self.session)

    # --- reading the rows again ----------------------------------------------------
    async def _rows(self, sheet: Sheet, *, stored: bool) -> AsyncIterator[Row]:
        """The rows of new employees (or of stored ones the file changes), checked again
        as they are read; the others are left before their check."""
        reader = RowReader(sheet.columns, sheet.epoch, self.index)
        async for number, cells in paced(data_rows(sheet, self.max_rows)):
            given, problems = reader.cells(cells)
            key = number_key(given.get("employee_number"))
            if (key in self.index.by_number) != stored:
                continue
            if stored and self.plan.ids.get(key or "") not in self.plan.changed:
                continue  # unchanged: not written
            result = reader.read(number, given, self.plan.ids.get(key or ""))
            if problems or not isinstance(result, Row):
                # The check passed this file: reading it again cannot differ.
                raise RuntimeError(f"row {number} of the import changed between its passes")
            refs_from_values(result, reader.named)
            department = result.values.get("department_id")
            if isinstance(department, NewDepartment):
                result.values["department_id"] = self.index.departments[department.key]
            elif result.department is not None and result.department.key is not None:
                result.values["department_id"] = self.index.departments[result.department.key]
            yield result

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    # --- statistics ----------------------------------------------------------------
    async def _statistics(self) -> None:
        """On PostgreSQL, once the first batch is written: ANALYZE what the import writes
        (its own rows count, uncommitted as they are). Without it, the first import into
        a new database plans each batch's headcount count on tables the planner takes for
        empty, and every batch reads all of the history written so far (50,000 rows:
        9 s of counting instead of 0.6 s). The planner scales these statistics with the
        tables' growth after that. Skipped (a warning from the server) by a role that
        does not own the tables."""
        if self.analyzed:
            return
        self.analyzed = True
        if self._postgres:
            await self.session.execute(text(f"ANALYZE {EMPLOYEES.name}, {HISTORY.name}"))

    # --- new employees -------------------------------------------------------------
    async def _insert(self, batch: list[Row]) -> None:
        if not batch:
            return
        now = utcnow()
        employees: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for row in batch:
            employees.append(self._new(row, now, history))
        await self._bulk_insert(EMPLOYEES, employees)
        if history:
            await self._bulk_insert(HISTORY, history)
        await self._statistics()
        ids = [row.id for row in batch]
        self.written.update(ids)
        await self.ledger.record(ids, {})

    async def _set_managers(self) -> None:
        """The managers of new employees inserted before them. On PostgreSQL one UPDATE
        from two arrays (100,000 single-row UPDATEs took 11 s)."""
        if not self.later:
            return
        if not self._postgres:
            stmt = (
                update(EMPLOYEES)
                .where(EMPLOYEES.c.id == bindparam("row_id"))
                .values(manager_id=bindparam("manager"))
            )
            await self.session.execute(stmt, self.later)
            return
        pairs = (
            select(
                func.unnest(bindparam("ids", type_=ARRAY(Uuid))).label("id"),
                func.unnest(bindparam("managers", type_=ARRAY(Uuid))).label("manager"),
            )
        ).subquery("pairs")
        stmt = (
            update(EMPLOYEES).where(EMPLOYEES.c.id == pairs.c.id).values(manager_id=pairs.c.manager)
        )
        await self.session.execute(
            stmt,
            {
                "ids": [later["row_id"] for later in self.later],
                "managers": [later["manager"] for later in self.later],
            },
        )

    async def _bulk_insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """INSERT the rows (each with the same keys); on PostgreSQL by COPY, which takes
        half the time of a multi-row INSERT (as `seed-demo` writes its history)."""
        if not self._postgres:
            await self.session.execute(insert(table), rows)
            return
        columns = list(rows[0])
        connection = await self.session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        if driver is None:  # pragma: no cover - a live connection has its driver's
            raise RuntimeError("no PostgreSQL connection to copy into")
        await driver.copy_records_to_table(
            table.name, records=[[row[c] for c in columns] for row in rows], columns=columns
        )

    def _new(self, row: Row, now: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
        values = dict(row.values)
        values.setdefault("department_id", None)
        manager = self.plan.managers.get(row.id)
        sensitive = {name: values.pop(name) for name in SEALED_COLUMNS}
        box, wrapped = self.vault.new_key(row.id)
        exists = manager is None or manager in self.index.manager_of or manager in self.written
        if not exists:
            self.later.append({"row_id": row.id, "manager": manager})
        after = {**values, "manager_id": manager, **sensitive}
        for name, _old, new in tracked_changes({}, after):
            change_id = uuid.uuid4()
            if name == "salary" and new is not None:
                new = self.vault.sealed_change(box, change_id, "new_value", new)
            history.append(
                {
                    "id": change_id,
                    "employee_id": row.id,
                    "field": name,
                    "old_value": None,
                    "new_value": new,
                    "effective_date": values["hire_date"],
                    "changed_by": self.changed_by,
                    "changed_at": now,
                }
            )
        return {
            **values,
            "id": row.id,
            "manager_id": manager if exists else None,
            **self.vault.sealed(box, row.id, sensitive),
            "dek_wrapped": wrapped,
            "dek_key_id": self.vault.key_id(wrapped),
            "version": 1,
            "directory_changed_at": now,
            "created_at": now,
            "updated_at": now,
        }

    # --- stored employees ----------------------------------------------------------
    async def _update(self, batch: list[Row]) -> None:
        """Changed as `EmployeeService.update` changes one: the rows locked, the rules
        applied, sensitive values sealed under each one's key, the history written, the
        ledger counted before and after, the version moved by the ORM's flush."""
        if not batch:
            return
        await self._statistics()
        stmt = (
            select(Employee)
            .where(Employee.id.in_([row.id for row in batch]))
            .order_by(Employee.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        stored = {e.id: e for e in (await self.session.execute(stmt)).scalars()}
        changes_of: dict[uuid.UUID, dict[str, Any]] = {}
        for row in batch:
            employee = stored[row.id]
            problems: list[Problem] = []
            changes = stored_changes(self.vault, employee, row, problems)
            if problems:
                raise Conflict(
                    f"Row {row.number}: the employee changed while the file was imported",
                    code="changed_concurrently",
                )
            if row.id in self.plan.managers and self.plan.managers[row.id] != employee.manager_id:
                changes["manager_id"] = self.plan.managers[row.id]
            changes_of[row.id] = changes
        counted = [i for i, c in changes_of.items() if COUNTED_FIELDS & c.keys()]
        before_count = await self.ledger.count(counted)
        for row in batch:
            self._change(stored[row.id], changes_of[row.id], row.effective)
        await self.session.flush()
        await self.ledger.record(counted, before_count)
        self.session.expunge_all()

    def _change(self, employee: Employee, changes: dict[str, Any], effective: date | None) -> None:
        sensitive = {k: changes.pop(k) for k in list(changes) if k in SEALED_COLUMNS}
        box = self.vault.box(employee) if employee.dek_wrapped is not None else None
        on = effective or date.today()
        self.session.add_all(
            apply_change(self.vault, employee, changes, sensitive, box, on, self.changed_by)
        )
