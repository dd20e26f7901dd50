"""One row of an import file checked as the API checks a request: its cells become the
JSON the API would take (`shre.imports.reading`), validated by the API's own schemas
(`EmployeeCreate` for a new employee, `EmployeeUpdate` for a stored one, matched by
employee number), its manager and department references read. No database here: what
is stored comes from the `Index` read once per import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from shre.departments.models import name_key
from shre.departments.schemas import DepartmentCreate
from shre.employees.schemas import EmployeeCreate, EmployeeUpdate
from shre.imports.reading import CellError, Raw, value_of
from shre.imports.schemas import DEPARTMENT_NAME, EFFECTIVE_DATE, MANAGER_NUMBER

Problem = tuple[str, str]  # field, message (never a value)
CREATE_FIELDS = frozenset(EmployeeCreate.model_fields)
UPDATE_FIELDS = frozenset(EmployeeUpdate.model_fields)  # effective_date among them
NOT_FOR_NEW = "only for changes of stored employees (a new one's history starts at hire_date)"


@dataclass(slots=True)
class Index:
    """What an import matches rows against: the stored employees (by number, email and
    id; their managers; whose data key was destroyed) and departments (by name)."""

    by_number: dict[str, uuid.UUID] = field(default_factory=dict)
    by_email: dict[str, uuid.UUID] = field(default_factory=dict)
    manager_of: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)
    keyless: set[uuid.UUID] = field(default_factory=set)
    departments: dict[str, uuid.UUID] = field(default_factory=dict)
    department_ids: set[uuid.UUID] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ManagerRef:
    """Who a row names as manager: by employee number (lowercased) or by id (None: no
    manager); `column` is where it was given."""

    column: str
    number: str | None = None
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class DepartmentRef:
    """A row's department: a name (its key and text as given) or an id (None: none)."""

    column: str
    key: str | None = None
    name: str | None = None
    id: uuid.UUID | None = None


@dataclass(slots=True)
class Row:
    number: int  # as a spreadsheet shows it (the header is row 1)
    key: str  # the employee number, lowercased: what rows match by
    id: uuid.UUID
    stored: bool  # matches a stored employee
    # A new employee: every field (defaults applied). A stored one: the fields given
    # (`effective_date` not among them: see `effective`).
    values: dict[str, Any]
    manager: ManagerRef | None  # None: not given
    department: DepartmentRef | None  # None: not given
    effective: date | None = None  # a stored one's changes take effect (None: today)


def number_key(raw: Raw) -> str | None:
    return raw.strip().lower() if isinstance(raw, str) and raw.strip() else None


class RowReader:
    """Turns a file's rows into `Row`s (or the problems that keep one from being one)."""

    def __init__(self, columns: list[str | None], epoch: datetime | None, index: Index) -> None:
        self.columns = columns
        self.epoch = epoch
        self.index = index
        self.named = frozenset(c for c in columns if c is not None)

    def cells(self, cells: list[Raw]) -> tuple[dict[str, Any], list[Problem]]:
        given: dict[str, Any] = {}
        problems: list[Problem] = []
        for position, raw in enumerate(cells):
            column = self.columns[position] if position < len(self.columns) else None
            if column is None:
                if raw is not None and position >= len(self.columns):
                    problems.append(("row", "a cell beyond the header's columns"))
                continue
            try:
                given[column] = value_of(column, raw, self.epoch)
            except CellError as exc:
                problems.append((column, str(exc)))
        for column in self.named - given.keys():
            given[column] = None  # a short row: its missing cells are empty
        return given, problems

    def read(
        self, number: int, given: dict[str, Any], new_id: uuid.UUID | None
    ) -> Row | list[Problem]:
        """The row, or its problems. `new_id`: the id a new employee gets when the row
        has none (None: a fresh one)."""
        key = number_key(given.get("employee_number"))
        if key is None:
            return [("employee_number", "Field required")]
        stored_id = self.index.by_number.get(key)
        problems: list[Problem] = []
        own_id = self._own_id(given.pop("id", None), stored_id, new_id, problems)
        manager = self._manager(given, problems)
        department = self._department(given, problems)
        if stored_id is None:
            if given.get(EFFECTIVE_DATE) is not None:
                problems.append((EFFECTIVE_DATE, NOT_FOR_NEW))
            payload = {k: v for k, v in given.items() if k in CREATE_FIELDS and v is not None}
            values = _validated(EmployeeCreate, payload, problems)
        else:
            payload = {k: v for k, v in given.items() if k in UPDATE_FIELDS}
            values = _validated(EmployeeUpdate, payload, problems, exclude_unset=True)
        if problems or values is None:
            return problems
        effective = values.pop(EFFECTIVE_DATE, None)
        return Row(
            number, key, own_id, stored_id is not None, values, manager, department, effective
        )

    def _own_id(
        self,
        raw: Any,
        stored_id: uuid.UUID | None,
        new_id: uuid.UUID | None,
        problems: list[Problem],
    ) -> uuid.UUID:
        if raw is None:
            return stored_id or new_id or uuid.uuid4()
        try:
            given = uuid.UUID(str(raw).strip())
        except ValueError:
            problems.append(("id", "must be a UUID"))
            return stored_id or uuid.uuid4()
        if stored_id is not None and given != stored_id:
            problems.append(("id", "another id than the stored employee with this number"))
        elif stored_id is None and given in self.index.manager_of:
            problems.append(("id", "another employee has this id"))
        return stored_id or given

    def _manager(self, given: dict[str, Any], problems: list[Problem]) -> ManagerRef | None:
        by_number = given.pop(MANAGER_NUMBER, None) if MANAGER_NUMBER in given else None
        number_given = MANAGER_NUMBER in self.named
        if by_number is not None:
            if given.get("manager_id") is not None:
                problems.append((MANAGER_NUMBER, "give manager_id or this, not both"))
                return None
            given.pop("manager_id", None)
            key = number_key(by_number) if isinstance(by_number, str) else None
            if key is None:
                problems.append((MANAGER_NUMBER, "must be an employee number"))
                return None
            return ManagerRef(MANAGER_NUMBER, number=key)
        if "manager_id" in self.named:
            return None  # validated by the schema, then read from the values
        return ManagerRef(MANAGER_NUMBER) if number_given else None

    def _department(self, given: dict[str, Any], problems: list[Problem]) -> DepartmentRef | None:
        name = given.pop(DEPARTMENT_NAME, None)
        if name is not None:
            if given.get("department_id") is not None:
                problems.append((DEPARTMENT_NAME, "give department_id or this, not both"))
                return None
            given.pop("department_id", None)
            try:
                checked = DepartmentCreate(name=name).name
            except ValidationError as exc:
                problems.append((DEPARTMENT_NAME, _message(exc)))
                return None
            return DepartmentRef(DEPARTMENT_NAME, key=name_key(checked), name=checked)
        if "department_id" in self.named:
            return None  # validated by the schema, then read from the values
        return DepartmentRef(DEPARTMENT_NAME) if DEPARTMENT_NAME in self.named else None


def refs_from_values(row: Row, named: frozenset[str]) -> None:
    """The references given as ids (validated by the schema as the API's fields), unless
    given by number or name."""
    manager_id = row.values.pop("manager_id", None)
    if row.manager is None and "manager_id" in named:
        row.manager = ManagerRef("manager_id", id=manager_id)
    department_id = row.values.pop("department_id", None)
    if row.department is None and "department_id" in named:
        row.department = DepartmentRef("department_id", id=department_id)


def _validated(
    schema: type[EmployeeCreate] | type[EmployeeUpdate],
    payload: dict[str, Any],
    problems: list[Problem],
    *,
    exclude_unset: bool = False,
) -> dict[str, Any] | None:
    try:
        model = schema.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            location = error.get("loc") or ("row",)
            problems.append((str(location[0]), str(error.get("msg", "invalid"))))
        return None
    return model.model_dump(exclude_unset=exclude_unset)


def _message(exc: ValidationError) -> str:
    errors = exc.errors(include_input=False, include_url=False)
    return str(errors[0].get("msg", "invalid")) if errors else "invalid"
