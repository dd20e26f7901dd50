"""`GET /analytics/attrition-risk` over `shre seed-demo`'s organisation (which plants a
tendency: leavers mostly went without a raise for a long stretch first), on both
databases: the API asks for a model and refuses (409) until a job trained one; the model
finds the planted signal (backtest AUC well above chance), scores current employees only,
highest risk first, with every factor; the read is audited; only hr and admin see it; a
history too small to mean anything is refused (422) rather than scored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from shre.analytics.attrition import refresh
from shre.api.runtime import Runtime
from shre.demo.seed import seed_demo
from shre.employees.models import Employee
from shre.employees.vault import EmployeeVault
from shre.intelligence.attrition_features import FEATURES
from shre.policy import Role
from shre.users.passwords import PasswordHasher
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events
from tests.support.jobs import work_off

pytestmark = pytest.mark.ai
RISK = "/api/v1/analytics/attrition-risk"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"shre_ai": True}


async def test_the_model_finds_the_planted_signal_and_scores_current_employees(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 700
    )
    first = await client.get(RISK, headers=admin.headers)
    assert_problem(first, 409, "attrition_not_ready")  # and a job to train it is waiting
    await work_off(runtime)

    answer = await client.get(RISK, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    model = body["model"]
    assert model["auc"] > 0.65, model  # well above chance (0.5)
    assert model["leavers"] >= 20
    async with runtime.sessionmaker() as session:
        current = {
            str(i)
            for i in (
                await session.execute(select(Employee.id).where(Employee.status != "terminated"))
            ).scalars()
        }
    items = body["items"]
    assert {item["employee_id"] for item in items} == current
    risks = [item["risk"] for item in items]
    assert risks == sorted(risks, reverse=True)
    assert all(0 <= r <= 1 for r in risks)
    assert {f["name"] for f in items[0]["factors"]} == set(FEATURES)
    top = items[: len(items) // 10]
    # Those the model fears for most went without a raise for longest.
    assert (
        sum(
            next(f["effect"] for f in item["factors"] if f["name"] == "months_since_last_raise") > 0
            for item in top
        )
        > len(top) * 0.6
    )

    # Audited; the scores are stored sealed, never in clear.
    assert await events(runtime, "analytics.read_attrition_risk")
    async with runtime.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT sealed FROM analytics_results"))).scalar_one()
    assert "months_since_last_raise" not in stored
    assert items[0]["employee_id"] not in stored

    for role in (Role.MANAGER, Role.EMPLOYEE):
        user = await accounts.signed_in(role, f"{role.value}@example.com")
        assert_problem(await client.get(RISK, headers=user.headers), 403)
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    assert (await client.get(RISK, headers=hr.headers)).status_code == 200
    one = await client.get(
        RISK, params={"employee_id": items[0]["employee_id"]}, headers=hr.headers
    )
    assert one.json()["items"] == [items[0]]
    top3 = await client.get(RISK, params={"limit": 3}, headers=hr.headers)
    assert top3.json()["items"] == items[:3]
    missing = await client.get(
        RISK, params={"department_id": str(uuid.uuid4())}, headers=hr.headers
    )
    assert_problem(missing, 404, "department_not_found")


async def test_too_small_a_history_is_refused_not_scored(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account
) -> None:
    await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 30
    )
    assert_problem(await client.get(RISK, headers=admin.headers), 409, "attrition_not_ready")
    await work_off(runtime)
    refused = assert_problem(await client.get(RISK, headers=admin.headers), 422)
    assert refused["code"] == "too_little_history"
    assert "Too little history" in refused["detail"]


@pytest.mark.parametrize("settings_overrides", [{"shre_ai": False}])
async def test_with_shre_ai_off_the_job_trains_nothing(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account
) -> None:
    await seed_demo(
        runtime.sessionmaker, runtime.part(EmployeeVault), runtime.part(PasswordHasher), 30
    )
    await refresh(runtime)  # the daily job, run by hand: the extra is installed, SHRE_AI is not
    async with runtime.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM analytics_results"))).scalar() == 0
    refused = assert_problem(await client.get(RISK, headers=admin.headers), 422, "attrition_off")
    assert "SHRE_AI" in refused["detail"]
