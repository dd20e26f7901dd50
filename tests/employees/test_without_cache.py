"""With the cache turned off (CACHE_ENABLED=false): department stats open salaries only
for those who see them. The list features and the field-access matrix run without the
cache too (WITH_AND_WITHOUT_CACHE in test_listing.py and test_permissions.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.employees.vault import EmployeeVault
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import WITH_AND_WITHOUT_CACHE
from tests.support.employees import create, employee_body


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"cache_enabled": False}


def test_these_run_without_a_cache(runtime: Runtime) -> None:
    assert not runtime.cache.cache.is_enabled()
    assert not runtime.cache.is_serving()


@WITH_AND_WITHOUT_CACHE
def test_the_list_and_matrix_tests_run_with_the_cache_and_without(
    runtime: Runtime, settings_overrides: dict[str, Any]
) -> None:
    """The mark's settings reach the app (over this module's fixture, too)."""
    assert runtime.cache.cache.is_enabled() is settings_overrides.get("cache_enabled", True)


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
