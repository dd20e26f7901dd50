"""Headcount, turnover and tenure from a small history built through the API (hires,
department moves and leavers on known dates), against figures worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.analytics import History, build_history, patch, person
from tests.support.employees import create_department, sign_in

HEADCOUNT = "/api/v1/analytics/headcount"
TURNOVER = "/api/v1/analytics/turnover"
TENURE = "/api/v1/analytics/tenure"


@pytest.fixture
async def history(client: httpx.AsyncClient, admin: Account) -> History:
    return await build_history(client, admin)


def _series(body: dict[str, Any], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(month[n] for n in names) for month in body["series"]]


async def _get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


MONTHS = ["2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]


async def test_headcount_over_time_follows_hires_moves_and_leavers(
    client: httpx.AsyncClient, history: History
) -> None:
    window = {"from": "2024-12", "to": "2025-06"}
    everyone = await _get(client, HEADCOUNT, history.admin.headers, **window)
    assert (everyone["from"], everyone["to"]) == ("2024-12", "2025-06")
    assert _series(everyone, "period", "headcount", "hires", "leavers") == [
        ("2024-12", 2, 0, 0),
        ("2025-01", 3, 1, 0),
        ("2025-02", 4, 1, 0),
        ("2025-03", 4, 1, 1),
        ("2025-04", 4, 0, 0),
        ("2025-05", 3, 0, 1),
        ("2025-06", 3, 1, 1),
    ]
    # At the end of June 2025: A in Engineering; B (moved) and E in Sales.
    d = history.departments
    assert {(row["name"], row["headcount"]) for row in everyone["by_department"]} == {
        ("Engineering", 1),
        ("Sales", 2),
    }

    # Engineering's subtree counts who was in it then: B's move out is no leaver, F's
    # move from Platform to Engineering changes nothing, F's leaving does.
    engineering = await _get(
        client, HEADCOUNT, history.admin.headers, department_id=d["Engineering"], **window
    )
    assert _series(engineering, "headcount", "hires", "leavers") == [
        (1, 0, 0),
        (2, 1, 0),
        (3, 1, 0),
        (3, 0, 0),
        (2, 0, 0),
        (2, 0, 0),
        (1, 0, 1),
    ]
    platform = await _get(
        client, HEADCOUNT, history.admin.headers, department_id=d["Platform"], **window
    )
    assert _series(platform, "headcount") == [(1,), (1,), (1,), (1,), (0,), (0,), (0,)]
    sales = await _get(client, HEADCOUNT, history.admin.headers, department_id=d["Sales"], **window)
    assert _series(sales, "headcount", "hires", "leavers") == [
        (1, 0, 0),
        (1, 0, 0),
        (1, 0, 0),
        (1, 1, 1),
        (2, 0, 0),
        (1, 0, 1),
        (2, 1, 0),
    ]
    # Before anyone's hire, and long after: the departments' totals add up every month.
    early = await _get(
        client, HEADCOUNT, history.admin.headers, **{"from": "2014-01", "to": "2014-02"}
    )
    assert _series(early, "headcount") == [(0,), (0,)]


async def test_turnover_is_leavers_over_average_headcount(
    client: httpx.AsyncClient, history: History
) -> None:
    body = await _get(
        client, TURNOVER, history.admin.headers, **{"from": "2025-03", "to": "2025-06"}
    )
    assert _series(body, "period", "leavers", "average_headcount", "rate") == [
        ("2025-03", 1, 4.0, 0.25),
        ("2025-04", 0, 4.0, 0.0),
        ("2025-05", 1, 3.5, 0.2857),
        ("2025-06", 1, 3.0, 0.3333),
    ]
    # July 2024 to June 2025: averages 1, 1, 1, 1, 1.5, 2, 2.5, 3.5, 4, 4, 3.5, 3 (mean
    # 28/12); leavers C, D and F: 3 / (28/12) = 1.2857.
    assert body["rate_12m"] == 1.2857
    sales = await _get(
        client,
        TURNOVER,
        history.admin.headers,
        department_id=history.departments["Sales"],
        **{"from": "2025-05", "to": "2025-05"},
    )
    # May 2025 in Sales: D left; headcount 2 at the start, 1 at the end.
    assert _series(sales, "leavers", "average_headcount", "rate") == [(1, 1.5, 0.6667)]


async def test_tenure_buckets_count_current_employees(
    client: httpx.AsyncClient, admin: Account
) -> None:
    today = date.today()
    served = {"new": 100, "one": 400, "three": 3 * 366, "seven": 7 * 366, "old": 12 * 366}
    ids = {}
    for name, days in served.items():
        hired = (today - timedelta(days=days)).isoformat()
        ids[name] = await person(client, admin, name, hired, None)
    gone = await person(client, admin, "gone", (today - timedelta(days=800)).isoformat(), None)
    left = (today - timedelta(days=10)).isoformat()
    await patch(client, admin, gone, status="terminated", termination_date=left)
    body = await _get(client, TENURE, admin.headers)
    assert body["as_of"] == today.isoformat()
    assert body["total"] == 5
    assert [(b["label"], b["count"]) for b in body["buckets"]] == [
        ("< 1 year", 1),
        ("1-2 years", 1),
        ("2-5 years", 1),
        ("5-10 years", 1),
        ("10+ years", 1),
    ]


async def test_a_manager_sees_their_reporting_line_and_an_employee_nothing(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    boss = await person(client, admin, "Boss", "2024-01-10", None)
    report = await person(client, admin, "Report", "2024-02-10", None, manager=boss)
    await person(client, admin, "Deep", "2024-03-10", None, manager=report)
    await person(client, admin, "Other", "2024-03-20", None)
    manager = await sign_in(accounts, Role.MANAGER, "boss@history.example", boss)
    mine = await _get(client, HEADCOUNT, manager, **{"from": "2024-01", "to": "2024-03"})
    assert _series(mine, "headcount") == [(1,), (2,), (3,)]
    everyone = await _get(client, HEADCOUNT, admin.headers, **{"from": "2024-03", "to": "2024-03"})
    assert _series(everyone, "headcount") == [(4,)]
    lower = await sign_in(accounts, Role.MANAGER, "report@history.example", report)
    assert _series(
        await _get(client, HEADCOUNT, lower, **{"from": "2024-03", "to": "2024-03"}), "headcount"
    ) == [(2,)]
    employee = await sign_in(accounts, Role.EMPLOYEE, "deep@history.example")
    for path in (HEADCOUNT, TURNOVER, TENURE, "/api/v1/analytics/documents"):
        response = await client.get(path, headers=employee)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    for caller in (manager, employee):
        response = await client.get("/api/v1/analytics/salary-bands", headers=caller)
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-13"}, "from"),
        ({"to": "25-01"}, "to"),
        ({"from": "2025-06", "to": "2025-01"}, "from"),
        ({"from": "1990-01", "to": "2025-01"}, "from"),
        ({"to": "2999-01"}, "to"),
        ({"department_id": "not-a-uuid"}, "department_id"),
    ],
)
async def test_bad_periods_and_filters_are_422_naming_the_field(
    client: httpx.AsyncClient, admin: Account, params: dict[str, str], field: str
) -> None:
    response = await client.get(HEADCOUNT, params=params, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_an_unknown_department_is_404(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.get(
        HEADCOUNT,
        params={"department_id": "6f1c1d2e-0000-4000-8000-000000000000"},
        headers=admin.headers,
    )
    assert response.status_code == 404


async def test_moves_before_the_hire_or_after_leaving_change_no_month(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A department set on the hire date is where they joined; one changed after they
    left is not a move: they left from the department they were in."""
    sales = await create_department(client, admin, "Sales")
    eng = await create_department(client, admin, "Engineering")
    who = await person(client, admin, "Late", "2025-01-10", sales)
    await patch(client, admin, who, department_id=eng, effective_date="2025-01-10")
    await patch(
        client,
        admin,
        who,
        status="terminated",
        termination_date="2025-03-20",
        effective_date="2025-03-20",
    )
    await patch(client, admin, who, department_id=sales, effective_date="2025-04-05")
    window = {"from": "2025-01", "to": "2025-04"}
    in_eng = await _get(client, HEADCOUNT, admin.headers, department_id=eng, **window)
    assert _series(in_eng, "headcount", "hires", "leavers") == [
        (1, 1, 0),
        (1, 0, 0),
        (0, 0, 1),
        (0, 0, 0),
    ]
    in_sales = await _get(client, HEADCOUNT, admin.headers, department_id=sales, **window)
    assert _series(in_sales, "headcount", "hires", "leavers") == [(0, 0, 0)] * 4
