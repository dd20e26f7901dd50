"""The field-access matrix and the list features again, with the cache turned off
(CACHE_ENABLED=false): rows then come straight from the database, by another path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shre.auth.policy import Role
from shre.employees.vault import EmployeeVault
from shre.kit.runtime import Runtime
from tests.conftest import Account, Accounts
from tests.employees.test_api_basics import create, employee_body
from tests.employees.test_listing import *  # noqa: F403
from tests.employees.test_permissions import (  # noqa: F401
    test_history_follows_the_employment_and_salary_visibility,
    test_list_pages_and_reports_apply_the_same_matrix,
    test_only_hr_and_admin_search_by_national_id,
    test_single_reads_return_exactly_the_allowed_fields,
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cache_enabled": False}


def test_these_run_without_a_cache(runtime: Runtime) -> None:
    assert not runtime.cache.cache.is_enabled()
    assert not runtime.cache.is_serving()


async def test_department_stats_open_salaries_only_for_those_who_see_them(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing keeps the figures: an employee's request opens no salary at all, hr's
    opens each member's once."""
    department = (
        await client.post("/api/v1/departments", json={"name": "Ops"}, headers=admin.headers)
    ).json()
    for i in range(5):
        body = employee_body(
            f"E{i}", f"e{i}@example.com", department_id=department["id"], salary=f"{i + 1}000.00"
        )
        await create(client, admin, {**body, "salary_currency": "EUR"})
    opened: list[frozenset[str]] = []
    real_open = EmployeeVault.open

    def counting_open(vault: EmployeeVault, employee: Any, names: frozenset[str]) -> Any:
        opened.append(names)
        return real_open(vault, employee, names)

    monkeypatch.setattr(EmployeeVault, "open", counting_open)
    url = f"/api/v1/departments/{department['id']}/stats"
    staff = await accounts.signed_in(Role.EMPLOYEE)
    seen = (await client.get(url, headers=staff.headers)).json()
    assert (seen["headcount"], seen["salary"]) == (5, None)
    assert opened == []
    hr = await accounts.signed_in(Role.HR)
    figures = (await client.get(url, headers=hr.headers)).json()["salary"]
    assert figures["by_currency"]["EUR"]["average"] == "3000.00"
    assert len(opened) == 5
