"""One small organisation with a user for every role, built through the API, for the
tests of who sees and changes what."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.employees import (
    create,
    create_department,
    employee_body,
    sensitive_values,
    sign_in,
)

# The organisation: T heads it; M (a manager) and O (another branch) report to T;
# R1 reports to M, and R2 to R1.
PEOPLE = ("T", "M", "R1", "R2", "O")
MANAGERS = {"T": None, "M": "T", "R1": "M", "R2": "R1", "O": "T"}


@dataclass
class Org:
    admin: Account
    people: dict[str, dict[str, Any]]  # name -> the record as created (every field)
    departments: dict[str, str]  # "A" (T, M, R1, R2) and "B" (O) -> id
    callers: dict[str, dict[str, str]] = field(default_factory=dict)  # label -> headers

    def id(self, name: str) -> str:
        return str(self.people[name]["id"])

    def name_of(self, employee_id: str) -> str:
        return next(n for n, p in self.people.items() if p["id"] == employee_id)


async def build_org(client: httpx.AsyncClient, admin: Account, accounts: Accounts) -> Org:
    """The five people, each with every sensitive field set, and these callers:
    admin, hr, manager (M), employee (R2), and a manager and an employee with no record."""
    departments = {
        "A": await create_department(client, admin, "Engineering"),
        "B": await create_department(client, admin, "Sales"),
    }
    people: dict[str, dict[str, Any]] = {}
    for n, name in enumerate(PEOPLE, start=1):
        manager = MANAGERS[name]
        people[name] = await create(
            client,
            admin,
            employee_body(
                f"E-{name}",
                f"{name.lower()}@example.com",
                first_name=f"First{name}",
                last_name=f"Last{name}",
                phone=f"+41 44 000 00 0{n}",
                job_title=f"Title {name}",
                location=f"Office {name}",
                department_id=departments["B" if name == "O" else "A"],
                manager_id=None if manager is None else people[manager]["id"],
                employment_type="part_time" if name == "O" else "full_time",
                status="on_leave" if name == "R2" else "active",
                hire_date=f"201{n}-0{n}-1{n}",
                termination_reason=f"note {name}",
                **sensitive_values(n),
            ),
        )
    org = Org(admin, people, departments)
    org.callers = {
        "admin": admin.headers,
        "hr": await sign_in(accounts, Role.HR, "hr@example.com"),
        "manager": await sign_in(accounts, Role.MANAGER, "mgr@example.com", org.id("M")),
        "employee": await sign_in(accounts, Role.EMPLOYEE, "emp@example.com", org.id("R2")),
        "manager without record": await sign_in(accounts, Role.MANAGER, "mgr2@example.com"),
        "employee without record": await sign_in(accounts, Role.EMPLOYEE, "emp2@example.com"),
    }
    return org
