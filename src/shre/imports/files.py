"""The files around an import: the upload read into memory (never onto disk), the
template (every column, what it takes), and `shre export employees`, every employee
with every field an import takes, so that its file imports into another database as
it is."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shre.audit import AuditTrail
from shre.departments.models import Department
from shre.documents.multipart import FormFile, FormReader, malformed
from shre.employees.models import Employee
from shre.employees.vault import SEALED_COLUMNS, EmployeeVault
from shre.imports.schemas import (
    ALLOWED_VALUES,
    COLUMNS,
    DEPARTMENT_NAME,
    DESCRIPTIONS,
    EXPORT_COLUMNS,
    MANAGER_NUMBER,
    REQUIRED_FOR_NEW,
)
from shre.kit.errors import InvalidInput, PayloadTooLarge
from shre.kit.export import check_size, export_target

MiB: Final = 1024 * 1024
FLAGS: Final = ("dry_run", "create_departments")
TRUE: Final = frozenset({"true", "1", "yes", "on"})
FALSE: Final = frozenset({"false", "0", "no", "off", ""})
EXPORT: Final = "employee.export"
EXPORT_BATCH: Final = 500
TEMPLATE_ROWS: Final = 5000  # rows of the template whose cells offer the allowed values


@dataclass(slots=True)
class Upload:
    data: bytes
    flags: dict[str, bool] = field(default_factory=dict)


def flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidInput(
        f"{name} must be true or false",
        code="validation_error",
        errors=[{"field": name, "location": "body", "message": "must be true or false"}],
    )


async def read_upload(form: FormReader, max_mb: int) -> Upload:
    """The multipart body's `file` in memory (413 past `max_mb` MiB) and its flags. Not
    Starlette's form parser: it spools files to disk, and this one holds salaries."""
    limit = max_mb * MiB
    upload: Upload | None = None
    flags: dict[str, bool] = {}
    async for part in form:
        if isinstance(part, FormFile):
            if part.name != "file" or upload is not None:
                raise malformed("one file part, named `file`")
            buffer = bytearray()
            async for chunk in part.chunks:
                buffer += chunk
                if len(buffer) > limit:
                    raise PayloadTooLarge(
                        f"An import file holds at most {max_mb} MiB (IMPORT_MAX_MB)",
                        code="file_too_large",
                    )
            upload = Upload(bytes(buffer))
        elif part.name in FLAGS:
            flags[part.name] = flag(part.name, part.value)
        else:
            raise malformed(f"unknown form field {part.name[:40]!r}")
    if upload is None or not upload.data:
        raise InvalidInput(
            "Send the file as the multipart field `file`",
            code="file_missing",
            errors=[{"field": "file", "location": "body", "message": "Field required"}],
        )
    upload.flags = flags
    return upload


# --- the template ---------------------------------------------------------------------
def template_rows() -> list[list[str]]:
    """The template's second sheet: each column, whether a new employee needs it, and
    what it takes."""
    rows = [["column", "required for a new employee", "allowed values", "description"]]
    for column in COLUMNS:
        allowed = ", ".join(ALLOWED_VALUES.get(column, ()))
        required = "yes" if column in REQUIRED_FOR_NEW else "no"
        rows.append([column, required, allowed, DESCRIPTIONS[column]])
    return rows


def template_xlsx() -> bytes:
    """An empty sheet of every column (the allowed values offered in a drop-down), and a
    sheet saying what each column takes. No one's data: openpyxl's ordinary writer."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one
    sheet.title = "Employees"
    sheet.append(list(COLUMNS))
    for column, allowed in ALLOWED_VALUES.items():
        letter = get_column_letter(COLUMNS.index(column) + 1)
        listed = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"')
        listed.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(listed)
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("Columns")
    for row in template_rows():
        notes.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    return (",".join(COLUMNS) + "\r\n").encode()


# --- `shre export employees` ----------------------------------------------------------
REFERENCES: Final = (MANAGER_NUMBER, DEPARTMENT_NAME)
PLAIN_COLUMNS: Final = tuple(
    c for c in EXPORT_COLUMNS if c not in SEALED_COLUMNS and c not in REFERENCES
)
SENSITIVE: Final = frozenset(SEALED_COLUMNS)


async def export_employees(
    session: AsyncSession,
    vault: EmployeeVault,
    audit: AuditTrail,
    file_format: str,
    *,
    max_rows: int | None,
) -> tuple[Sequence[str], AsyncIterator[list[dict[str, Any]]]]:
    """Every employee, every column an import takes (sensitive fields opened), by
    employee number, in batches read as they are written. Recorded first, as one
    `employee.export` event (the format and the count: "csv:1234")."""
    total = int((await session.execute(select(func.count()).select_from(Employee))).scalar_one())
    if max_rows is not None:
        check_size(total, max_rows)
    await audit.record_read(
        EXPORT,
        target_type="employee",
        target_id=export_target(file_format, total),
        fields=EXPORT_COLUMNS,
    )
    return EXPORT_COLUMNS, _batches(session, vault)


async def _batches(
    session: AsyncSession, vault: EmployeeVault
) -> AsyncIterator[list[dict[str, Any]]]:
    manager = aliased(Employee)
    last: str | None = None
    while True:
        stmt = (
            select(Employee, manager.employee_number, Department.name)
            .outerjoin(manager, Employee.manager_id == manager.id)
            .outerjoin(Department, Employee.department_id == Department.id)
            .order_by(Employee.employee_number)
            .limit(EXPORT_BATCH)
        )
        if last is not None:
            stmt = stmt.where(Employee.employee_number > last)
        rows = (await session.execute(stmt)).all()
        if not rows:
            return
        batch = []
        for employee, manager_number, department in rows:
            row = {name: getattr(employee, name) for name in PLAIN_COLUMNS}
            row.update(vault.open(employee, SENSITIVE))
            row[MANAGER_NUMBER] = manager_number
            row[DEPARTMENT_NAME] = department
            batch.append(row)
        last = rows[-1][0].employee_number
        yield batch
        session.expunge_all()  # a batch's rows are not kept past it
