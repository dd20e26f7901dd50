"""Employee records through the API: bodies, creation, reads with every field a caller
may see, and what the database holds. (SENSITIVE here is sample values of the sensitive
fields; tests.support.employee_fields.SENSITIVE names them.)"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support import employee_fields
from tests.support.accounts import Account, Accounts

EMPLOYEES = "/api/v1/employees"
SENSITIVE = {
    "salary": "85000.50",
    "salary_currency": "EUR",
    "ssn": "123-45-6789",
    "bank_account": "DE89370400440532013000",
    "date_of_birth": "1990-12-10",
    "home_address": "1 Main St, Springfield",
}


def employee_body(number: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "employee_number": number,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "hire_date": "2020-01-01",
        **extra,
    }


REVEALED = ("ssn", "bank_account")  # only when a read names them in `fields`


async def create(client: httpx.AsyncClient, admin: Account, body: dict[str, Any]) -> dict[str, Any]:
    """The record as created, every field: the response (which never carries the national
    ID or the bank account, CONTRACT.md §4) with those two as sent."""
    response = await client.post(EMPLOYEES, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert not created.keys() & set(REVEALED), created
    return {**created, **{name: body.get(name) for name in REVEALED}}


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


async def create_department(client: httpx.AsyncClient, admin: Account, name: str) -> str:
    response = await client.post("/api/v1/departments", json={"name": name}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# `fields` naming every sensitive field: what a read returns when asked for all it may.
EVERY_FIELD = {"fields": ",".join(sorted(employee_fields.SENSITIVE))}


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
