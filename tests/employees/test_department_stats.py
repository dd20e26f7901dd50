"""GET /departments/{id}/stats: counts for everyone, salary figures for hr/admin only and
never for a group of fewer than five."""

from __future__ import annotations

import httpx

from shre.auth.policy import Role
from tests.conftest import Account, Accounts, assert_problem
from tests.employees.test_api_basics import EMPLOYEES, create, employee_body

DEPARTMENTS = "/api/v1/departments"


async def test_stats_count_and_protect_salaries(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    top = (await client.post(DEPARTMENTS, json={"name": "Ops"}, headers=admin.headers)).json()
    sub = (
        await client.post(
            DEPARTMENTS, json={"name": "Ops EU", "parent_id": top["id"]}, headers=admin.headers
        )
    ).json()
    salaries = ["50000.00", "60000.00", "70000.00", "80000.00", "90000.00"]
    for i, salary in enumerate(salaries):
        await create(
            client,
            admin,
            employee_body(
                f"E{i}",
                f"e{i}@example.com",
                department_id=sub["id"] if i % 2 else top["id"],
                salary=salary,
                salary_currency="EUR",
                employment_type="part_time" if i == 0 else "full_time",
            ),
        )
    # Three people paid in USD: a group under five, never shown.
    for i in range(3):
        await create(
            client,
            admin,
            employee_body(
                f"U{i}",
                f"u{i}@example.com",
                department_id=top["id"],
                salary="1",
                salary_currency="USD",
            ),
        )
    gone = await create(
        client, admin, employee_body("T1", "t1@example.com", department_id=top["id"])
    )
    await client.delete(f"{EMPLOYEES}/{gone['id']}", headers=admin.headers)

    stats = (await client.get(f"{DEPARTMENTS}/{top['id']}/stats", headers=admin.headers)).json()
    assert stats["headcount"] == 8
    assert stats["by_status"] == {"active": 8, "terminated": 1}
    assert stats["by_employment_type"] == {"full_time": 7, "part_time": 1}
    assert stats["average_tenure_years"] > 0
    eur = stats["salary"]["by_currency"]["EUR"]
    assert eur == {
        "count": 5,
        "average": "70000.00",
        "median": "70000.00",
        "min": "50000.00",
        "max": "90000.00",
    }
    assert "USD" not in stats["salary"]["by_currency"]
    assert stats["salary"]["groups_below_minimum"] == 1

    # The sub-department alone has two EUR salaries: below the minimum, not shown.
    small = (await client.get(f"{DEPARTMENTS}/{sub['id']}/stats", headers=admin.headers)).json()
    assert small["headcount"] == 2
    assert small["salary"]["by_currency"] == {}

    for role in (Role.MANAGER, Role.EMPLOYEE):
        someone = await accounts.signed_in(role)
        seen = await client.get(f"{DEPARTMENTS}/{top['id']}/stats", headers=someone.headers)
        assert seen.status_code == 200
        assert seen.json()["headcount"] == 8
        assert seen.json().get("salary") is None
        assert "70000" not in seen.text

    assert_problem(
        await client.delete(f"{DEPARTMENTS}/{sub['id']}", headers=admin.headers),
        409,
        "department_has_employees",
    )


async def test_stats_of_a_department_that_is_gone_are_404_even_when_cached(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    staff = await accounts.signed_in(Role.EMPLOYEE)
    made = await client.post(DEPARTMENTS, json={"name": "Short-lived"}, headers=admin.headers)
    department = made.json()
    stats = f"{DEPARTMENTS}/{department['id']}/stats"
    for _ in range(2):  # the second answer comes from the cache
        response = await client.get(stats, headers=staff.headers)
        assert response.status_code == 200, response.text
        assert response.json()["department_id"] == department["id"]
    deleted = await client.delete(f"{DEPARTMENTS}/{department['id']}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert_problem(await client.get(stats, headers=staff.headers), 404, "department_not_found")
    unknown = f"{DEPARTMENTS}/00000000-0000-4000-8000-000000000000/stats"
    assert_problem(await client.get(unknown, headers=staff.headers), 404, "department_not_found")
