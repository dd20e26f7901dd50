from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

from shre.kit.text import no_control_chars

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(no_control_chars),
]
Description = Annotated[str, StringConstraints(max_length=2000)]


class DepartmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    parent_id: uuid.UUID | None = None
    description: Description | None = None


class DepartmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    parent_id: uuid.UUID | None = None
    description: Description | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    description: str | None
    created_at: datetime
    updated_at: datetime


class SalaryGroup(BaseModel):
    count: int
    average: str
    median: str
    min: str
    max: str


class SalaryFigures(BaseModel):
    by_currency: dict[str, SalaryGroup]
    groups_below_minimum: int


class DepartmentStats(BaseModel):
    department_id: uuid.UUID
    headcount: int
    by_status: dict[str, int]
    by_employment_type: dict[str, int]
    average_tenure_years: float | None
    salary: SalaryFigures | None = None
