"""GET /departments/{id}/stats: headcount for everyone; the breakdown for hr/admin (and
over their reporting line for managers) only for groups that pass the size rule, salary
figures for hr/admin only (finding 4 of issue 15)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import PASSWORD, Account, Accounts
from tests.support.app import assert_problem
from tests.support.database import statements_sent
from tests.support.employees import EMPLOYEES, create, employee_body

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

    # The sub-department alone has two people: headcount only.
    small = (await client.get(f"{DEPARTMENTS}/{sub['id']}/stats", headers=admin.headers)).json()
    assert small["headcount"] == 2
    assert small["salary"] is None
    assert (small["suppressed"], small["suppressed_reason"]) == (True, "group_too_small")

    # An employee gets the headcount only; a manager with no reports, the breakdown of
    # nobody (too small a group).
    for role, reason in ((Role.MANAGER, "group_too_small"), (Role.EMPLOYEE, "not_permitted")):
        someone = await accounts.signed_in(role)
        seen = await client.get(f"{DEPARTMENTS}/{top['id']}/stats", headers=someone.headers)
        assert seen.status_code == 200
        assert seen.json()["headcount"] == 8
        assert seen.json().get("salary") is None
        assert seen.json()["by_status"] is None
        assert seen.json()["suppressed_reason"] == reason
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


WITHHELD = {"by_status": None, "by_employment_type": None, "average_tenure_years": None}


async def _department(
    client: httpx.AsyncClient, admin: Account, name: str, parent: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = {"name": name, "parent_id": parent["id"] if parent else None}
    response = await client.post(DEPARTMENTS, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def _people(
    client: httpx.AsyncClient,
    admin: Account,
    department: dict[str, Any],
    count: int,
    **extra: Any,
) -> list[dict[str, Any]]:
    made = []
    for _ in range(count):
        tag = uuid.uuid4().hex[:8]
        body = employee_body(
            f"N{tag}",
            f"n{tag}@example.com",
            department_id=department["id"],
            salary="70000.00",
            salary_currency="EUR",
            **extra,
        )
        made.append(await create(client, admin, body))
    return made


async def _signed_in_as(
    client: httpx.AsyncClient, accounts: Accounts, role: Role, employee_id: str | None
) -> dict[str, str]:
    email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    await accounts.create(role, email, employee_id=employee_id)
    tokens = await accounts.login(email, PASSWORD)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _stats(
    client: httpx.AsyncClient, department: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.get(f"{DEPARTMENTS}/{department['id']}/stats", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_one_person_department_gives_every_role_its_headcount_only(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """The finding: status, employment type and tenure of a one-person department told
    anyone that person's leave, contract and hire date."""
    solo = await _department(client, admin, "Solo")
    elsewhere = await _department(client, admin, "Elsewhere")
    (person,) = await _people(
        client, admin, solo, 1, status="on_leave", employment_type="part_time"
    )
    (boss,) = await _people(client, admin, elsewhere, 1)
    moved = await client.patch(
        f"{EMPLOYEES}/{person['id']}", json={"manager_id": boss["id"]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    outsider, bystander = await _people(client, admin, elsewhere, 2)
    callers = {
        "admin": (admin.headers, "department", "group_too_small"),
        "hr": (await _signed_in_as(client, accounts, Role.HR, None), "department", None),
        "their manager": (
            await _signed_in_as(client, accounts, Role.MANAGER, boss["id"]),
            "reporting_line",
            None,
        ),
        "another manager": (
            await _signed_in_as(client, accounts, Role.MANAGER, outsider["id"]),
            "reporting_line",
            None,
        ),
        "the person": (
            await _signed_in_as(client, accounts, Role.EMPLOYEE, person["id"]),
            None,
            "not_permitted",
        ),
        "an employee": (
            await _signed_in_as(client, accounts, Role.EMPLOYEE, bystander["id"]),
            None,
            "not_permitted",
        ),
    }
    for who, (headers, scope, reason) in callers.items():
        for _ in range(2):  # computed, then (hr, admin, employees) from the cache
            response = await client.get(f"{DEPARTMENTS}/{solo['id']}/stats", headers=headers)
            assert response.status_code == 200, (who, response.text)
            seen = response.json()
            assert seen["headcount"] == 1, who
            assert seen["scope"] == scope, who
            assert seen["suppressed"] is True, who
            assert seen["suppressed_reason"] == (reason or "group_too_small"), who
            assert {k: seen[k] for k in WITHHELD} == WITHHELD, who
            assert seen["salary"] is None, who
            for leak in ("on_leave", "part_time", "70000"):
                assert leak not in response.text, (who, leak)


async def test_a_parent_one_person_larger_than_a_shown_child_is_withheld(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """Differencing: a parent of 6 over a child of 5 would give away the one person in
    the parent itself; the child alone is shown until the parent's rest reaches five."""
    parent = await _department(client, admin, "Parent")
    child = await _department(client, admin, "Child", parent)
    await _people(client, admin, child, 5)
    (lone,) = await _people(client, admin, parent, 1, status="on_leave")
    hr = await _signed_in_as(client, accounts, Role.HR, None)
    for headers in (admin.headers, hr):
        shown = await _stats(client, child, headers)
        assert (shown["headcount"], shown["suppressed"]) == (5, False)
        assert shown["by_status"] == {"active": 5}
        assert shown["salary"]["by_currency"]["EUR"]["count"] == 5
        withheld = await _stats(client, parent, headers)
        assert withheld["headcount"] == 6
        assert withheld["suppressed_reason"] == "group_too_small"
        assert {k: withheld[k] for k in WITHHELD} == WITHHELD
        assert withheld["salary"] is None
    staff = await _signed_in_as(client, accounts, Role.EMPLOYEE, lone["id"])
    assert (await _stats(client, child, staff))["suppressed_reason"] == "not_permitted"

    # Four more in the parent itself: its rest is five, both are shown (the cached
    # figures were dropped by the new hires).
    await _people(client, admin, parent, 4)
    both = await _stats(client, parent, hr)
    assert (both["headcount"], both["suppressed"]) == (10, False)
    assert both["by_status"] == {"active": 9, "on_leave": 1}
    assert both["salary"]["by_currency"]["EUR"]["count"] == 10
    assert (await _stats(client, child, hr))["by_status"] == {"active": 5}


async def test_salary_figures_per_currency_follow_the_rule_against_differencing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Ten people in the parent pass, but six of them are paid in GBP and five of those
    sit in the child: the parent's GBP figures would give away the sixth's salary."""
    parent = await _department(client, admin, "Pay parent")
    child = await _department(client, admin, "Pay child", parent)
    for department, count in ((child, 5), (parent, 1)):
        for _ in range(count):
            tag = uuid.uuid4().hex[:8]
            body = employee_body(
                f"G{tag}",
                f"g{tag}@example.com",
                department_id=department["id"],
                salary="50000.00",
                salary_currency="GBP",
            )
            await create(client, admin, body)
    await _people(client, admin, parent, 4)  # EUR
    figures = await _stats(client, parent, admin.headers)
    assert figures["suppressed"] is False
    assert figures["salary"]["by_currency"] == {}
    assert figures["salary"]["groups_below_minimum"] == 2  # EUR has 4, GBP a rest of 1
    assert (await _stats(client, child, admin.headers))["salary"]["by_currency"]["GBP"][
        "count"
    ] == 5


async def test_a_manager_sees_their_reporting_line_only_as_it_is_now(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """A manager's breakdown counts the members who report to them (and themself) under
    the same rule, never the others; it follows the reporting line at once (it is not
    cached under the department's key, which a change of manager does not touch)."""
    team = await _department(client, admin, "Team")
    (boss,) = await _people(client, admin, team, 1)
    reports = await _people(client, admin, team, 5, manager_id=boss["id"])
    await _people(client, admin, team, 3, status="on_leave", employment_type="contractor")
    manager = await _signed_in_as(client, accounts, Role.MANAGER, boss["id"])
    hr = await _signed_in_as(client, accounts, Role.HR, None)

    everyone = await _stats(client, team, hr)
    assert everyone["by_status"] == {"active": 6, "on_leave": 3}
    mine = await _stats(client, team, manager)
    assert (mine["headcount"], mine["scope"], mine["suppressed"]) == (9, "reporting_line", False)
    assert mine["by_status"] == {"active": 6}
    assert mine["by_employment_type"] == {"full_time": 6}
    assert mine["salary"] is None
    assert "contractor" not in str(mine)

    # Two reports move to another manager: five are left with the boss (themself
    # included), still shown; one more and it is four, withheld.
    other = reports[0]
    for report in reports[1:3]:
        moved = await client.patch(
            f"{EMPLOYEES}/{report['id']}", json={"manager_id": other["id"]}, headers=admin.headers
        )
        assert moved.status_code == 200, moved.text
    assert (await _stats(client, team, hr)) == everyone  # the cached entry still stands
    # `other` still reports to the boss, and the two now report to `other`: six.
    assert (await _stats(client, team, manager))["by_status"] == {"active": 6}
    for report in reports[:3]:
        moved = await client.patch(
            f"{EMPLOYEES}/{report['id']}", json={"manager_id": None}, headers=admin.headers
        )
        assert moved.status_code == 200, moved.text
    smaller = await _stats(client, team, manager)
    assert smaller["headcount"] == 9
    assert (smaller["suppressed"], smaller["suppressed_reason"]) == (True, "group_too_small")
    assert {k: smaller[k] for k in WITHHELD} == WITHHELD


async def test_a_managers_figures_are_cached_until_their_line_or_figures_change(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    """Read again, a manager's figures come from the cache (per department and manager);
    a change of a report's manager, of a counted field or of the department drops them."""
    team = await _department(client, admin, "Cached team")
    (boss,) = await _people(client, admin, team, 1)
    reports = await _people(client, admin, team, 5, manager_id=boss["id"])
    manager = await _signed_in_as(client, accounts, Role.MANAGER, boss["id"])
    other_manager = await _signed_in_as(client, accounts, Role.MANAGER, reports[0]["id"])
    first = await _stats(client, team, manager)
    assert first["by_status"] == {"active": 6}
    with statements_sent(runtime) as sent:
        assert await _stats(client, team, manager) == first
    assert not [s for s in sent if "employees" in s], sent
    # Another manager's entry is their own.
    assert (await _stats(client, team, other_manager))["suppressed"] is True

    async def patch(person: dict[str, Any], change: dict[str, Any]) -> None:
        done = await client.patch(f"{EMPLOYEES}/{person['id']}", json=change, headers=admin.headers)
        assert done.status_code == 200, done.text

    await patch(reports[4], {"manager_id": None})  # the line changes: five, shown
    assert (await _stats(client, team, manager))["by_status"] == {"active": 5}
    await patch(reports[4], {"manager_id": boss["id"]})
    assert (await _stats(client, team, manager))["by_status"] == {"active": 6}
    await patch(reports[3], {"status": "on_leave"})  # a counted field changes
    assert (await _stats(client, team, manager))["by_status"] == {"active": 5, "on_leave": 1}
    renamed = await client.patch(
        f"{DEPARTMENTS}/{team['id']}", json={"name": "Renamed"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    with statements_sent(runtime) as sent:
        await _stats(client, team, manager)  # the department changed: computed again
    assert [s for s in sent if "employees" in s]


async def test_a_managers_figures_follow_the_rule_against_differencing_too(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    parent = await _department(client, admin, "Line parent")
    child = await _department(client, admin, "Line child", parent)
    (boss,) = await _people(client, admin, parent, 1)
    await _people(client, admin, child, 5, manager_id=boss["id"])
    await _people(client, admin, parent, 5)  # not the boss's: the parent passes for hr
    manager = await _signed_in_as(client, accounts, Role.MANAGER, boss["id"])
    assert (await _stats(client, child, manager))["by_status"] == {"active": 5}
    # The boss's group in the parent is six, five of them the child's: the rest is the
    # boss alone.
    mine = await _stats(client, parent, manager)
    assert (mine["headcount"], mine["suppressed_reason"]) == (11, "group_too_small")
    assert (await _stats(client, parent, admin.headers))["by_status"] == {"active": 11}


async def test_figures_cached_in_the_shape_before_the_size_rule_are_not_served(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    """A cache shared with processes of the previous release may hold figures of the old
    shape (no suppression) under the department's id: they are never read back."""
    solo = await _department(client, admin, "Cached solo")
    await _people(client, admin, solo, 1, status="on_leave")
    old = {"headcount": 1, "by_status": {"on_leave": 1}, "by_employment_type": {}}

    async def old_figures() -> dict[str, Any]:
        return {**old, "average_tenure_years": 6.9, "salary": None}

    await runtime.cache.get_or_load("department_stats", solo["id"], old_figures)
    staff = await _signed_in_as(client, accounts, Role.EMPLOYEE, None)
    for headers in (admin.headers, staff):
        seen = await _stats(client, solo, headers)
        assert (seen["headcount"], seen["suppressed"]) == (1, True)
        assert seen["by_status"] is None
