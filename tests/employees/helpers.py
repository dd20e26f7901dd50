"""One small organisation with a user for every role, built through the API, and probes
for the employees tests. The field sets are the contract's (DESIGN.md §4), written out
here rather than imported from the policy module they check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from shre.auth.policy import Role
from shre.kit.runtime import Runtime
from tests.conftest import Account, Accounts
from tests.employees.test_api_basics import EMPLOYEES, create, employee_body

DIRECTORY = frozenset(
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
EMPLOYMENT = frozenset(
    {"employment_type", "status", "hire_date", "termination_date", "termination_reason"}
)
SENSITIVE = frozenset(
    {"salary", "salary_currency", "ssn", "bank_account", "date_of_birth", "home_address"}
)
ALL_FIELDS = DIRECTORY | EMPLOYMENT | SENSITIVE
SELF_EDITABLE = frozenset({"phone", "home_address", "bank_account"})
# The ciphertext column of each sealed field.
SEALED = {
    "salary": "salary_enc",
    "salary_currency": "salary_currency_enc",
    "ssn": "ssn_enc",
    "bank_account": "bank_account_enc",
    "date_of_birth": "date_of_birth_enc",
    "home_address": "home_address_enc",
}
LETTERS = {"D": DIRECTORY, "E": EMPLOYMENT, "S": SENSITIVE}
# The organisation: T heads it; M (a manager) and O (another branch) report to T;
# R1 reports to M, and R2 to R1.
PEOPLE = ("T", "M", "R1", "R2", "O")
MANAGERS = {"T": None, "M": "T", "R1": "M", "R2": "R1", "O": "T"}


def fields_of(letters: str) -> frozenset[str]:
    """ "DE" -> directory and employment fields."""
    out: frozenset[str] = frozenset()
    for letter in letters:
        out |= LETTERS[letter]
    return out


def url(employee_id: Any, suffix: str = "") -> str:
    return f"{EMPLOYEES}/{employee_id}{suffix}"


def sensitive_values(n: int) -> dict[str, str]:
    """Distinct sensitive values for person `n` (none a substring of another's)."""
    return {
        "salary": f"{n}7{n}31.25",
        "salary_currency": "EUR",
        "ssn": f"{n}{n}1-4{n}-98{n}7",
        "bank_account": f"DE{n}9370400440532013{n}0{n}",
        "date_of_birth": f"198{n}-0{n}-2{n}",
        "home_address": f"{n} Rue de l'Église, Zürich {n}",
    }


def headers_of(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def sign_in(
    accounts: Accounts, role: Role, email: str, employee_id: Any = None
) -> dict[str, str]:
    """A user of `role` (linked to an employee record when given), signed in."""
    await accounts.create(role, email, employee_id=employee_id)
    return headers_of(await accounts.login(email))


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


async def create_department(client: httpx.AsyncClient, admin: Account, name: str) -> str:
    response = await client.post("/api/v1/departments", json={"name": name}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


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


# `fields` naming every sensitive field: what a read returns when asked for all it may.
EVERY_FIELD = {"fields": ",".join(sorted(SENSITIVE))}


async def fetch(client: httpx.AsyncClient, headers: dict[str, str], employee_id: Any) -> Any:
    """The record with every field the caller may see (national ID and bank account too)."""
    response = await client.get(url(employee_id), params=EVERY_FIELD, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot(client: httpx.AsyncClient, admin: Account) -> dict[str, Any]:
    """Every employee record as admin sees it, by id: the state to compare."""
    response = await client.get(
        EMPLOYEES, params={"page_size": 500, **EVERY_FIELD}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return {e["id"]: e for e in response.json()["items"]}


async def raw_rows(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    """The rows of a table as the database holds them."""
    async with runtime.engine.connect() as conn:
        result = await conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
        return [dict(row._mapping) for row in result]


async def execute(runtime: Runtime, sql: str, **params: Any) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(text(sql), params)
