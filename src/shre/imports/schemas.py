"""The columns an import takes (the API's field names, and two references by name or
number), what the template says of each, and the answer's shape."""

from __future__ import annotations

from typing import Final, get_args

from pydantic import BaseModel, Field

from shre.employees.schemas import EmployeeCreate, EmploymentType, Status

MANAGER_NUMBER: Final = "manager_employee_number"
DEPARTMENT_NAME: Final = "department_name"
# Every column a file may have, in the order the template and `shre export employees`
# write them: the API's fields (`id` keeps a record's id), with the department and the
# manager also by name and number.


def _columns() -> tuple[str, ...]:
    fields = [n for n in EmployeeCreate.model_fields if n not in ("department_id", "manager_id")]
    at = fields.index("job_title") + 1
    refs = [DEPARTMENT_NAME, "department_id", MANAGER_NUMBER, "manager_id"]
    return ("id", *fields[:at], *refs, *fields[at:], EFFECTIVE_DATE)


EFFECTIVE_DATE: Final = "effective_date"
COLUMNS: Final = _columns()
# The columns `shre export employees` writes: references by name and number, so that a
# file imports into another database (where the ids of departments differ) as it is.
# (`effective_date` is no field of a record: when a row's changes take effect.)
EXPORT_COLUMNS: Final = tuple(
    c for c in COLUMNS if c not in ("department_id", "manager_id", EFFECTIVE_DATE)
)
DATE_COLUMNS: Final = frozenset({"hire_date", "termination_date", "date_of_birth", EFFECTIVE_DATE})
REQUIRED_FOR_NEW: Final = frozenset(
    name for name, info in EmployeeCreate.model_fields.items() if info.is_required()
)
MAX_ERRORS: Final = 1000  # row errors an answer lists (error_count counts them all)
PREVIEW_ROWS: Final = 10

# What the template says of each column (no value of anyone's).
DESCRIPTIONS: Final = {
    "id": "optional: the record's id (a UUID) for a new employee; must match an existing one",
    "employee_number": "letters, digits, '.', '_' or '-', up to 32; matches existing records",
    "first_name": "up to 100 characters",
    "last_name": "up to 100 characters",
    "email": "an email address, unique",
    "phone": "digits, spaces and + ( ) . / x -, up to 40",
    "job_title": "up to 120 characters",
    DEPARTMENT_NAME: "the name of a department (created with create_departments=true)",
    "department_id": "or the department's id (a UUID)",
    MANAGER_NUMBER: "the manager's employee number (in this file or already stored)",
    "manager_id": "or the manager's id (a UUID)",
    "location": "up to 120 characters",
    "employment_type": "one of: " + ", ".join(get_args(EmploymentType)) + " (default full_time)",
    "status": "one of: " + ", ".join(get_args(Status)) + " (default active)",
    "hire_date": "a date: YYYY-MM-DD (or a date cell)",
    "termination_date": "a date, not before hire_date",
    "termination_reason": "up to 2000 characters",
    "salary": "a plain decimal number with up to 2 decimals, e.g. 85000.50 (encrypted)",
    "salary_currency": "three capital letters, e.g. EUR (encrypted)",
    "ssn": "national ID, up to 64 characters (encrypted)",
    "bank_account": "up to 64 characters (encrypted)",
    "date_of_birth": "a date (encrypted)",
    "home_address": "up to 2000 characters (encrypted)",
    EFFECTIVE_DATE: "a stored employee's changes take effect on this date, in their "
    "history (default: the day of the import); not for new employees",
}
ALLOWED_VALUES: Final = {
    "employment_type": get_args(EmploymentType),
    "status": get_args(Status),
}


class RowError(BaseModel):
    row: int = Field(description="The row as a spreadsheet numbers it: the header is row 1")
    field: str = Field(description="The column (or `row` for the row as a whole)")
    message: str


class Preview(BaseModel):
    columns: list[str]
    rows: list[list[str | None]] = Field(
        description=f"The first {PREVIEW_ROWS} data rows as read, before validation"
    )


class ImportResult(BaseModel):
    """What an import did (or, `dry_run`, would do): the counts of rows that create,
    update or leave an employee as stored; nothing is written unless `errors` is empty."""

    dry_run: bool
    created: int
    updated: int
    unchanged: int
    departments_created: int = Field(description="Departments created by name (or to be)")
    errors: list[RowError] = Field(description=f"The first {MAX_ERRORS} row errors")
    error_count: int = Field(description="Every row error, listed or not")
    preview: Preview
