from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from shre.kit.text import Email, no_control_chars
from shre.policy import Role

Password = Annotated[str, Field(min_length=1, max_length=1024)]


FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_control_chars),
]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(StrictModel):
    email: Email
    password: Password
    full_name: FullName
    role: Role
    employee_id: uuid.UUID | None = None


class UserUpdate(StrictModel):
    full_name: FullName | None = None
    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None
    employee_id: uuid.UUID | None = None

    @field_validator("full_name", "role", "is_active", "password", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only employee_id may be null (unlink); a field-level error names the field.
        if value is None:
            raise ValueError("may not be null")
        return value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    employee_id: uuid.UUID | None
    created_at: datetime
    last_login_at: datetime | None
