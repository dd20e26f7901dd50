from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

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
    """Figures over a department and its sub-departments. `headcount` (current members)
    is given to everyone. The breakdown covers `scope`: everyone (`department`, hr and
    admin) or the caller's reporting line (`reporting_line`, managers: the members who
    report to them, directly or not, and themself); it is left out (null, `suppressed`)
    for employees (`not_permitted`) and for a group that fails the size rule
    (`group_too_small`: under five people, or a rest under five once the passing
    sub-departments are taken out). Salary figures: hr and admin only, each currency's
    group under the same rule."""

    department_id: uuid.UUID
    headcount: int = Field(description="Current (not terminated) members, always given")
    scope: Literal["department", "reporting_line"] | None = Field(
        description="Whose figures the breakdown covers; null: headcount only"
    )
    suppressed: bool = Field(description="True: the breakdown is left out (see the reason)")
    suppressed_reason: Literal["not_permitted", "group_too_small"] | None
    by_status: dict[str, int] | None
    by_employment_type: dict[str, int] | None
    average_tenure_years: float | None
    salary: SalaryFigures | None = None
