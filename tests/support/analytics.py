"""Small organisations with a known history and known pay, built through the API, for
the analytics tests (figures worked out by hand in each builder's docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.accounts import Account
from tests.support.employees import create, create_department, employee_body, url


@dataclass
class History:
    admin: Account
    departments: dict[str, str]
    people: dict[str, str]  # name -> employee id


async def person(
    client: httpx.AsyncClient,
    admin: Account,
    name: str,
    hired: str,
    department: str | None,
    manager: str | None = None,
) -> str:
    body = employee_body(
        f"H-{name}",
        f"{name.lower()}@history.example",
        first_name=name,
        hire_date=hired,
        department_id=department,
        manager_id=manager,
    )
    return str((await create(client, admin, body))["id"])


async def patch(client: httpx.AsyncClient, admin: Account, who: str, **changes: Any) -> None:
    response = await client.patch(url(who), json=changes, headers=admin.headers)
    assert response.status_code == 200, response.text


async def build_history(client: httpx.AsyncClient, admin: Account) -> History:
    """Engineering (with Platform below it) and Sales. Over December 2024 to June 2025:

    F  hired 2024-01-01 in Platform, moved to Engineering 2025-02-20, left 2025-06-30
    C  hired 2024-11-20 in Sales, left 2025-03-31
    A  hired 2025-01-15 in Engineering
    B  hired 2025-02-01 in Platform, moved to Sales 2025-04-10
    D  hired 2025-03-05 in Sales, left 2025-05-15
    E  hired 2025-06-01 in Sales
    H  hired 2015-03-01 in Sales, left 2020-01-31 (long gone: counted in no month here)
    """
    eng = await create_department(client, admin, "Engineering")
    response = await client.post(
        "/api/v1/departments", json={"name": "Platform", "parent_id": eng}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    platform = str(response.json()["id"])
    sales = await create_department(client, admin, "Sales")
    d = {"Engineering": eng, "Platform": platform, "Sales": sales}
    p = {
        "F": await person(client, admin, "F", "2024-01-01", platform),
        "C": await person(client, admin, "C", "2024-11-20", sales),
        "A": await person(client, admin, "A", "2025-01-15", eng),
        "B": await person(client, admin, "B", "2025-02-01", platform),
        "D": await person(client, admin, "D", "2025-03-05", sales),
        "E": await person(client, admin, "E", "2025-06-01", sales),
        "H": await person(client, admin, "H", "2015-03-01", sales),
    }
    await patch(client, admin, p["F"], department_id=eng, effective_date="2025-02-20")
    await patch(client, admin, p["B"], department_id=sales, effective_date="2025-04-10")
    for name, left in (
        ("C", "2025-03-31"),
        ("D", "2025-05-15"),
        ("F", "2025-06-30"),
        ("H", "2020-01-31"),
    ):
        await patch(
            client,
            admin,
            p[name],
            status="terminated",
            termination_date=left,
            termination_reason="Resigned",
            effective_date=left,
        )
    return History(admin, d, p)


# title, department, currency, salary; the last one leaves
STAFF = (
    [("Engineer", "Platform", "EUR", 50_000 + 1000 * i) for i in range(5)]
    + [("Engineer", "Engineering", "EUR", 60_000), ("Engineer", "Engineering", "EUR", 70_000)]
    + [("Manager", "Engineering", "EUR", 80_000 + 1000 * i) for i in range(5)]
    + [("Rep", "Sales", "EUR", 40_000 + 1000 * i) for i in range(6)]
    + [("Engineer", "Sales", "USD", 90_000), ("Rep", "Sales", "EUR", 99_000)]
)


@dataclass
class PayOrg:
    departments: dict[str, str]
    people: dict[str, str]  # employee number -> id


async def build_pay(client: httpx.AsyncClient, admin: Account) -> PayOrg:
    """Engineering (Platform below it) and Sales, current salaries:

    Platform     5 Engineers EUR 50,000 51,000 52,000 53,000 54,000
    Engineering  2 Engineers EUR 60,000 70,000; 5 Managers EUR 80,000 ... 84,000
    Sales        6 Reps EUR 40,000 ... 45,000; 1 Engineer USD 90,000
    plus a terminated Rep in Sales (EUR 99,000), never counted.
    """
    eng = await create_department(client, admin, "Engineering")
    response = await client.post(
        "/api/v1/departments", json={"name": "Platform", "parent_id": eng}, headers=admin.headers
    )
    platform = str(response.json()["id"])
    sales = await create_department(client, admin, "Sales")
    departments = {"Engineering": eng, "Platform": platform, "Sales": sales}
    people = {}
    for n, (title, place, currency, salary) in enumerate(STAFF):
        department = departments[place]
        number = f"P-{n:02}"
        body = employee_body(
            number,
            f"p{n}@pay.example",
            job_title=title,
            department_id=department,
            salary=f"{salary}.00",
            salary_currency=currency,
        )
        people[number] = str((await create(client, admin, body))["id"])
    gone = people[f"P-{len(STAFF) - 1:02}"]
    response = await client.patch(
        url(gone),
        json={"status": "terminated", "termination_date": "2024-01-31"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    return PayOrg(departments, people)
