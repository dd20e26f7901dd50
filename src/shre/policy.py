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


# The permission matrix of CONTRACT.md §4, as data. Later domains add their rows here.
MANAGE_USERS: frozenset[Role] = frozenset({Role.ADMIN})
# Departments: every signed-in role reads them; admin and hr change them.
WRITE_DEPARTMENTS: frozenset[Role] = frozenset({Role.ADMIN, Role.HR})


# The audit log: admins only, reading it and checking its chain.
READ_AUDIT: frozenset[Role] = frozenset({Role.ADMIN})


def may_read_audit(principal: Principal) -> bool:
    return principal.role in READ_AUDIT


def may_manage_users(principal: Principal) -> bool:
    return principal.role in MANAGE_USERS


def may_write_departments(principal: Principal) -> bool:
    return principal.role in WRITE_DEPARTMENTS


# Employees: which fields each role sees (CONTRACT.md §4, "Who sees and does what").
DIRECTORY_FIELDS = frozenset(
    {
        "id",
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "department_id",
        "manager_id",
        "location",
    }
)
EMPLOYMENT_FIELDS = frozenset(
    {"employment_type", "status", "hire_date", "termination_date", "termination_reason"}
)
SENSITIVE_FIELDS = frozenset(
    {"salary", "salary_currency", "ssn", "bank_account", "date_of_birth", "home_address"}
)
ALL_EMPLOYEE_FIELDS = DIRECTORY_FIELDS | EMPLOYMENT_FIELDS | SENSITIVE_FIELDS
# What an employee may change on their own record.
SELF_EDITABLE_FIELDS = frozenset({"phone", "home_address", "bank_account"})
MANAGE_EMPLOYEES: frozenset[Role] = frozenset({Role.ADMIN, Role.HR})


def may_manage_employees(principal: Principal) -> bool:
    return principal.role in MANAGE_EMPLOYEES


def employee_fields_visible(
    principal: Principal, employee_id: uuid.UUID, *, in_subtree: bool
) -> frozenset[str]:
    """The fields of one employee record this principal may read.

    `in_subtree`: the record is in the principal's reporting subtree (managers only)."""
    if principal.role in MANAGE_EMPLOYEES:
        return ALL_EMPLOYEE_FIELDS
    is_self = principal.employee_id == employee_id
    if is_self:
        return ALL_EMPLOYEE_FIELDS
    if principal.role is Role.MANAGER and in_subtree:
        return DIRECTORY_FIELDS | EMPLOYMENT_FIELDS
    return DIRECTORY_FIELDS


# Analytics (department statistics; CONTRACT.md §4, analytics row): admin and hr over
# everyone, salary figures included; a manager over their own reporting subtree (and
# themself), no salary; an employee sees headcount only. Every group under the size
# rule of shre.departments.stats either way.
ANALYTICS_ALL: frozenset[Role] = frozenset({Role.ADMIN, Role.HR})


class AnalyticsScope(StrEnum):
    DEPARTMENT = "department"
    REPORTING_LINE = "reporting_line"


def analytics_scope(principal: Principal) -> AnalyticsScope | None:
    """Whose figures the principal's breakdowns cover; None: headcount only."""
    if principal.role in ANALYTICS_ALL:
        return AnalyticsScope.DEPARTMENT
    if principal.role is Role.MANAGER:
        return AnalyticsScope.REPORTING_LINE
    return None


def may_see_salary_figures(principal: Principal) -> bool:
    return principal.role in ANALYTICS_ALL


def may_see_attrition_risk(principal: Principal) -> bool:
    """Attrition risk (salary-derived, about individuals): admin and hr only."""
    return principal.role in ANALYTICS_ALL


def employee_fields_editable(principal: Principal, employee_id: uuid.UUID) -> frozenset[str]:
    if principal.role in MANAGE_EMPLOYEES:
        return ALL_EMPLOYEE_FIELDS - {"id"}
    if principal.employee_id == employee_id:
        return SELF_EDITABLE_FIELDS
    return frozenset()


# Documents (CONTRACT.md §4): categories, and who reads, uploads and deletes which.
DOCUMENT_CATEGORIES = (
    "contract",
    "identity",
    "payslip",
    "tax",
    "certificate",
    "performance",
    "medical",
    "policy",
    "other",
)
MANAGE_DOCUMENTS: frozenset[Role] = frozenset({Role.ADMIN, Role.HR})
# What a manager reads and uploads for the people of their reporting subtree.
SUBTREE_DOCUMENT_CATEGORIES = frozenset({"performance"})
# What anyone may upload for their own employee record.
SELF_UPLOAD_CATEGORIES = frozenset({"identity", "certificate", "other"})


@dataclass(frozen=True, slots=True)
class DocumentScope:
    """The documents a principal may read, as data the repository turns into SQL:
    everything, or the documents of `own` (any category) plus, for a manager, those of
    `subtree_of`'s reports in `subtree_categories`. Documents of no employee are for
    admin and hr only."""

    everything: bool
    own: uuid.UUID | None = None
    subtree_of: uuid.UUID | None = None
    subtree_categories: frozenset[str] = frozenset()


def document_read_scope(principal: Principal) -> DocumentScope:
    if principal.role in MANAGE_DOCUMENTS:
        return DocumentScope(everything=True)
    if principal.role is Role.MANAGER and principal.employee_id is not None:
        return DocumentScope(
            everything=False,
            own=principal.employee_id,
            subtree_of=principal.employee_id,
            subtree_categories=SUBTREE_DOCUMENT_CATEGORIES,
        )
    return DocumentScope(everything=False, own=principal.employee_id)


def may_read_document(
    principal: Principal, employee_id: uuid.UUID | None, category: str, *, in_subtree: bool
) -> bool:
    """`in_subtree`: the document's employee reports to the principal (managers only)."""
    if principal.role in MANAGE_DOCUMENTS:
        return True
    if employee_id is None or principal.employee_id is None:
        return False
    if employee_id == principal.employee_id:
        return True
    return principal.role is Role.MANAGER and in_subtree and category in SUBTREE_DOCUMENT_CATEGORIES


def may_upload_document(
    principal: Principal, employee_id: uuid.UUID | None, category: str, *, in_subtree: bool
) -> bool:
    """Upload a new document or version, or change its metadata. A manager is an
    employee too: the self rule applies to every role with an employee record."""
    if principal.role in MANAGE_DOCUMENTS:
        return True
    if employee_id is None or principal.employee_id is None:
        return False
    if employee_id == principal.employee_id:
        return category in SELF_UPLOAD_CATEGORIES
    return principal.role is Role.MANAGER and in_subtree and category in SUBTREE_DOCUMENT_CATEGORIES


def may_delete_document(principal: Principal) -> bool:
    return principal.role in MANAGE_DOCUMENTS
