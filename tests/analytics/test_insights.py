"""`GET /analytics/insights` over a seeded organisation with planted oddities, on both
databases: a salary far from its title's, a department paid above the rest, a team whose
people left; each insight with its number and a link; hr and admin only, audited."""

from __future__ import annotations

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.demo.seed import seed_demo
from shre.employees.vault import EmployeeVault
from shre.policy import Role
from shre.users.passwords import PasswordHasher
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events

INSIGHTS = "/api/v1/analytics/insights"
EMPLOYEES = "/api/v1/employees"


async def test_insights_name_what_stands_out_with_numbers_and_links(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 300
    )
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    listed = await client.get(
        EMPLOYEES, params={"page_size": 500, "fields": "salary"}, headers=hr.headers
    )
    people = [p for p in listed.json()["items"] if p["status"] != "terminated"]
    titles: dict[str, list[dict[str, object]]] = {}
    for person in people:
        titles.setdefault(str(person["job_title"]), []).append(person)
    title, members = max(titles.items(), key=lambda kv: len(kv[1]))
    assert len(members) >= 10
    # One of them paid ten times their title's usual salary.
    odd = members[0]
    raised = await client.patch(
        f"{EMPLOYEES}/{odd['id']}",
        json={"salary": f"{float(str(odd['salary'])) * 10:.2f}"},
        headers={**hr.headers, "If-Match": "*"},
    )
    assert raised.status_code == 200, raised.text

    answer = await client.get(INSIGHTS, headers=hr.headers)
    assert answer.status_code == 200, answer.text
    items = {item["kind"]: item for item in answer.json()["items"]}
    outliers = items["salary_outliers"]
    assert outliers["value"] >= 1
    assert title in outliers["detail"]
    assert outliers["link"].startswith("/reports")
    assert "pay_gap" in items
    assert items["pay_gap"]["link"].startswith("/reports?tab=pay")
    assert "documents" in items  # nobody in the demo has their required documents
    assert items["documents"]["value"] > 0
    for item in items.values():
        assert set(item) == {"kind", "title", "detail", "value", "link"}
    assert await events(runtime, "analytics.read_insights")

    for role in (Role.MANAGER, Role.EMPLOYEE):
        user = await accounts.signed_in(role, f"{role.value}@example.com")
        assert_problem(await client.get(INSIGHTS, headers=user.headers), 403)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_empty_organisation_has_no_insights(
    client: httpx.AsyncClient, admin: Account
) -> None:
    answer = await client.get(INSIGHTS, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": []}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_attrition_risk_says_it_is_off_without_the_ai_features(
    client: httpx.AsyncClient, admin: Account
) -> None:
    problem = assert_problem(
        await client.get("/api/v1/analytics/attrition-risk", headers=admin.headers), 422
    )
    assert problem["code"] == "attrition_off"
    assert "SHRE_AI is off" in problem["detail"]
