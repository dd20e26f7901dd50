from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from shre.kit.numbers import JSONNumber
from shre.kit.text import Email, no_control_chars

EmployeeNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$"
    ),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_control_chars),
]
Short = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(no_control_chars),
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ x-]*$")
]
LongText = Annotated[str, StringConstraints(max_length=2000)]
NationalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(no_control_chars),
]
BankAccount = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(no_control_chars),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
# Plain notation, as a person writes an amount: digits, and up to two decimals after a
# point; no exponent, sign, NaN or spaces. Its scale is kept: "85000.50" comes back so.
PLAIN_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
AMOUNT_RULE = "must be a decimal number in plain notation with up to 2 decimals, e.g. 85000.50"


def _plain_amount(value: object) -> object:
    """A JSON string or number (a `JSONNumber` keeps its text) in plain notation."""
    if isinstance(value, JSONNumber):
        text = value.text
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, Decimal) and value.is_finite():
        return value  # from code, not from a request (see ExactNumbersRoute)
    else:  # a float lost its notation before it got here; a bool is no amount
        raise ValueError(AMOUNT_RULE)
    if not PLAIN_AMOUNT.fullmatch(text):
        raise ValueError(AMOUNT_RULE)
    return Decimal(text)


Salary = Annotated[
    Decimal,
    BeforeValidator(_plain_amount),
    Field(ge=0, max_digits=14, decimal_places=2, examples=["85000.50"]),
]
EmploymentType = Literal["full_time", "part_time", "contractor", "intern"]
Status = Literal["active", "on_leave", "terminated"]


class EmployeeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_number: EmployeeNumber
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone | None = None
    job_title: Short | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    location: Short | None = None
    employment_type: EmploymentType = "full_time"
    status: Status = "active"
    hire_date: date
    termination_date: date | None = None
    termination_reason: LongText | None = None
    salary: Salary | None = None
    salary_currency: Currency | None = None
    ssn: NationalId | None = None
    bank_account: BankAccount | None = None
    date_of_birth: date | None = None
    home_address: LongText | None = None


REQUIRED_ON_UPDATE = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "employment_type",
    "status",
    "hire_date",
)


class EmployeeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_number: EmployeeNumber | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    job_title: Short | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    location: Short | None = None
    employment_type: EmploymentType | None = None
    status: Status | None = None
    hire_date: date | None = None
    termination_date: date | None = None
    termination_reason: LongText | None = None
    salary: Salary | None = None
    salary_currency: Currency | None = None
    ssn: NationalId | None = None
    bank_account: BankAccount | None = None
    date_of_birth: date | None = None
    home_address: LongText | None = None
    # Not a field of the record: when the tracked changes in this update take effect
    # (for the history; default today).
    effective_date: date | None = None

    @field_validator(*REQUIRED_ON_UPDATE, mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class LegalHoldOut(BaseModel):
    """A legal hold on a record: while it is on, nothing of the person is deleted."""

    reason: str
    since: datetime
    by: uuid.UUID | None = Field(description="The user who set it (or last changed it)")


class EmployeeOut(BaseModel):
    """An employee as one caller may see it: fields they may not read are left out."""

    id: uuid.UUID
    employee_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    job_title: str | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    location: str | None = None
    employment_type: str | None = None
    status: str | None = None
    hire_date: date | None = None
    termination_date: date | None = None
    termination_reason: str | None = None
    salary: Decimal | None = None
    salary_currency: str | None = None
    ssn: str | None = None
    bank_account: str | None = None
    date_of_birth: date | None = None
    home_address: str | None = None
    # Data subject rights (hr and admin, one record's read only, and only when there is
    # a hold or an erasure has begun: absent, neither): the legal hold, and an erasure
    # begun (`erasure_requested_at`) or done (`erased_at`), with its reason.
    legal_hold: LegalHoldOut | None = None
    erasure_requested_at: datetime | None = None
    erased_at: datetime | None = None
    erasure_reason: str | None = None


# Not fields of the record a caller names or exports: its rights state (shre.rights).
RIGHTS_FIELDS = frozenset({"legal_hold", "erasure_requested_at", "erased_at", "erasure_reason"})


class ChangeOut(BaseModel):
    id: uuid.UUID
    field: str
    old_value: str | None
    new_value: str | None
    effective_date: date
    changed_by: uuid.UUID | None
    changed_at: datetime


# Every field of an employee, in the order responses and exports list them.
FIELD_ORDER = tuple(name for name in EmployeeOut.model_fields if name not in RIGHTS_FIELDS)
MAX_FIELDS_LENGTH = 1000
FIELD_RULE = f"comma-separated employee field names ({', '.join(FIELD_ORDER)})"


def _field_names(value: object) -> object:
    """`fields=salary, salary_currency` -> the names; an unknown name, an empty item or
    more items than there are fields is refused (the message never repeats the input)."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_FIELDS_LENGTH:
        raise ValueError(f"at most {MAX_FIELDS_LENGTH} characters")
    names = [name.strip() for name in value.split(",", len(FIELD_ORDER))]
    if len(names) > len(FIELD_ORDER):
        raise ValueError(f"at most {len(FIELD_ORDER)} field names")
    if not all(names):
        raise ValueError("an empty field name")
    if not set(names) <= set(FIELD_ORDER):
        raise ValueError(f"an unknown field name: use {FIELD_RULE}")
    return frozenset(names)


def _no_default(schema: dict[str, Any]) -> None:
    # The default (no extra field) is an empty set, which a query string cannot spell.
    schema.pop("default", None)


# `fields` of the employee reads: names to include on top of the endpoint's default set
# (data minimisation, CONTRACT.md §4). A field the caller may not see is left out anyway.
FieldNames = Annotated[
    frozenset[str],
    BeforeValidator(_field_names),
    WithJsonSchema(
        {"type": "string", "maxLength": MAX_FIELDS_LENGTH, "examples": ["salary,salary_currency"]}
    ),
    Field(
        description="More fields to return, on top of the default ones: "
        f"{FIELD_RULE}. Fields the caller may not see are left out.",
        json_schema_extra=_no_default,
    ),
]


class DirectoryEntry(BaseModel):
    """One person in the staff directory: the directory fields, nothing else."""

    id: uuid.UUID
    employee_number: str
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    job_title: str | None = None
    department_id: uuid.UUID | None = None
    manager_id: uuid.UUID | None = None
    location: str | None = None


class DirectoryPageOut(BaseModel):
    """The next changes of the staff directory (everyone not terminated)."""

    items: list[DirectoryEntry] = Field(description="Joined or changed since the cursor")
    removed: list[uuid.UUID] = Field(description="Left the directory since the cursor")
    cursor: str = Field(description="Pass as `since`: for the next page, or the next sync")
    complete: bool = Field(description="False: more changes wait; ask again with `cursor`")
    remaining: int = Field(description="How many changes wait after this page")
