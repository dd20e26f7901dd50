"""Who may do what. Every router and service asks here instead of checking roles by hand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    ADMIN = "admin"
    HR = "hr"
    MANAGER = "manager"
    EMPLOYEE = "employee"


class UserLike(Protocol):
    id: uuid.UUID
    email: str
    role: str
    employee_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request, as loaded from the database."""

    id: uuid.UUID
    email: str
    role: Role
    employee_id: uuid.UUID | None

    @classmethod
    def of(cls, user: UserLike) -> Principal:
        return cls(id=user.id, email=user.email, role=Role(user.role), employee_id=user.employee_id)

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


# The permission matrix of DESIGN.md §4, as data. Later domains add their rows here.
MANAGE_USERS: frozenset[Role] = frozenset({Role.ADMIN})
# Departments: every signed-in role reads them; admin and hr change them.
WRITE_DEPARTMENTS: frozenset[Role] = frozenset({Role.ADMIN, Role.HR})


def may_manage_users(principal: Principal) -> bool:
    return principal.role in MANAGE_USERS


def may_write_departments(principal: Principal) -> bool:
    return principal.role in WRITE_DEPARTMENTS
