"""Bulk import of employees (CONTRACT.md §4 "Bulk import"): a CSV or XLSX file whose
header row names the API's fields, upserted by employee number, all or nothing.

Two passes over the file, held in memory (never on disk): the check (`plan`) reads every
row, validates it with the API's schemas and rules and keeps only what the whole file
needs (ids, references, counts); nothing is written unless every row passed. The write
(`writing`) reads the rows again (`Sheet.again`) and writes them in the same transaction:
new employees in bulk, then the changes of stored ones. One `employee.import` event
records it (the counts and the columns, never a value); a dry run is recorded too."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shre.audit import AuditTrail
from shre.employees.repository import EmployeeRepository
from shre.employees.vault import EmployeeVault
from shre.imports.plan import Checker, Plan, load_index
from shre.imports.reading import Sheet, open_sheet
from shre.imports.rows import Index
from shre.imports.schemas import ImportResult
from shre.imports.writing import Writer
from shre.kit.errors import Conflict, Forbidden
from shre.kit.sql import is_unique_violation
from shre.policy import Principal, may_manage_employees

log = structlog.get_logger("shre.imports")
IMPORT = "employee.import"


def import_target(kind: str, plan: Plan, *, dry_run: bool) -> str:
    """The event's target: the format and the counts ("csv:3_created:1_updated:
    0_unchanged", "csv:dry_run:…"; "csv:2_errors" for a refused file), as an id of at
    most 64 characters."""
    if plan.error_count:
        return f"{kind}:{plan.error_count}_errors"
    mode = "dry_run:" if dry_run else ""
    counts = f"{plan.created}_created:{plan.updated}_updated:{plan.unchanged}_unchanged"
    return f"{kind}:{mode}{counts}"


class ImportService:
    def __init__(
        self,
        session: AsyncSession,
        vault: EmployeeVault,
        audit: AuditTrail,
        *,
        max_rows: int,
    ) -> None:
        self.session = session
        self.vault = vault
        self.audit = audit
        self.max_rows = max_rows

    async def import_employees(
        self,
        actor: Principal | None,
        data: bytes,
        *,
        dry_run: bool,
        create_departments: bool,
    ) -> ImportResult:
        """Check the file and, unless `dry_run` or a row is invalid, write it. `actor`
        None: an operator's command (`shre import employees`)."""
        if actor is not None and not may_manage_employees(actor):
            await self.audit.record_read(IMPORT, target_type="employee", outcome="denied")
            raise Forbidden("Only HR and administrators import employees", code="hr_only")
        sheet = open_sheet(data)
        if not dry_run:
            # Moves of the reporting line wait for this import (and it for them): its
            # cycle check must see every move committed before its writes.
            await EmployeeRepository(self.session).lock_reporting_line()
        index = await load_index(self.session)
        checker = Checker(
            self.session,
            self.vault,
            index,
            create_departments=create_departments,
            max_rows=self.max_rows,
        )
        plan = await checker.check(sheet)
        written = not dry_run and not plan.error_count
        if written:
            await self._write(sheet, index, plan, None if actor is None else actor.id)
        await self.audit.record(
            IMPORT,
            target_type="employee",
            target_id=import_target(sheet.kind, plan, dry_run=dry_run),
            fields=plan.columns,
            outcome="failure" if plan.error_count else "success",
        )
        log.info(
            "employee.imported" if written else "employee.import_checked",
            format=sheet.kind,
            dry_run=dry_run,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            errors=plan.error_count,
        )
        done = not plan.error_count
        return ImportResult(
            dry_run=dry_run,
            created=plan.created if done else 0,
            updated=plan.updated if done else 0,
            unchanged=plan.unchanged if done else 0,
            departments_created=len(plan.new_departments) if done else 0,
            errors=plan.errors,
            error_count=plan.error_count,
            preview=plan.previewed(),
        )

    async def _write(
        self, sheet: Sheet, index: Index, plan: Plan, changed_by: uuid.UUID | None
    ) -> None:
        writer = Writer(
            self.session,
            self.vault,
            self.audit,
            index,
            plan,
            changed_by=changed_by,
            max_rows=self.max_rows,
        )
        try:
            await writer.departments()
            if plan.created:
                await writer.new_employees(sheet.again())
            if plan.updated:
                await writer.stored_employees(sheet.again())
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise Conflict(
                    "Another employee with one of these employee numbers or emails (or a "
                    "department with one of these names) was stored meanwhile: try again",
                    code="duplicate",
                ) from None
            raise
        writer.finish()
