from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from shre.auth.policy import Role

Password = Annotated[str, Field(min_length=1, max_length=1024)]


def _no_control_chars(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must not contain control characters")
    return value


FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]


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

    @model_validator(mode="after")
    def _only_employee_id_nullable(self) -> UserUpdate:
        for name in self.model_fields_set - {"employee_id"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


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
