"""Attrition risk (CONTRACT.md §4, `/analytics/attrition-risk`): a model trained on the
organisation's own history by a background job, and its scores of everyone employed.

The job (`REFRESH`, daily, and deferred by the API when there is no result yet) reads
every employee with their history, opens the salary history inside the worker (never
written anywhere in clear), builds the features (shre.intelligence.attrition_features),
trains and backtests the model, scores the current employees and stores the outcome
sealed under a subkey of the master key (`analytics_results`): the scores are
salary-derived. When the history is too small to mean anything the outcome says why,
and the API refuses to score (422) instead of inventing numbers.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import structlog
from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.crypto.derived import SealedJson
from shre.crypto.keyring import Keyring
from shre.db import read_only_session, upsert
from shre.departments.repository import DepartmentRepository
from shre.documents.models import Document
from shre.employees.models import AnalyticsResult, Employee, EmployeeChange
from shre.employees.vault import EmployeeVault
from shre.intelligence.attrition_features import Person
from shre.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from shre.policy import Principal, may_see_attrition_risk
from shre.queue import JobQueue

log = structlog.get_logger("shre.analytics")

REFRESH: Final = "analytics.attrition"
NAME: Final = "attrition"
_PURPOSE: Final = b"shre/analytics/attrition/v1"
_FIELDS: Final = ("salary", "job_title", "manager_id")


def _sealer(keyring: Keyring) -> SealedJson:
    return SealedJson(keyring, _PURPOSE, "analytics_results", "sealed", NAME)


async def load_people(session: AsyncSession, vault: EmployeeVault) -> list[Person]:
    """Every employee with the history the model reads (salaries opened here)."""
    employees = (await session.execute(select(Employee))).scalars().all()
    changes: dict[uuid.UUID, list[EmployeeChange]] = defaultdict(list)
    stmt = (
        select(EmployeeChange)
        .where(EmployeeChange.field.in_(_FIELDS))
        .order_by(EmployeeChange.effective_date, EmployeeChange.changed_at)
    )
    for change in (await session.execute(stmt)).scalars():
        changes[change.employee_id].append(change)
    reviews: dict[uuid.UUID, list[date]] = defaultdict(list)
    review_stmt = select(Document.employee_id, Document.created_at).where(
        Document.category == "performance",
        Document.employee_id.is_not(None),
        Document.deleted_at.is_(None),
    )
    for employee_id, created in (await session.execute(review_stmt)).all():
        if employee_id is not None:
            reviews[employee_id].append(created.date())
    people = []
    for employee in employees:
        box = vault.box(employee) if employee.dek_wrapped is not None else None
        salaries: list[tuple[date, float]] = []
        titles: list[tuple[date, str]] = []
        managers: list[date] = []
        for change in changes.get(employee.id, []):
            if change.field == "salary":
                _, new = vault.open_change(box, change)
                amount = _number(new)
                if amount is not None:
                    salaries.append((change.effective_date, amount))
            elif change.field == "job_title" and change.new_value:
                titles.append((change.effective_date, change.new_value))
            elif change.field == "manager_id" and change.old_value is not None:
                managers.append(change.effective_date)
        people.append(
            Person(
                key=str(employee.id),
                hire_date=employee.hire_date,
                termination_date=employee.termination_date,
                job_title=employee.job_title,
                department=None if employee.department_id is None else str(employee.department_id),
                salary_changes=tuple(salaries),
                title_changes=tuple(titles),
                manager_changes=tuple(managers),
                reviews=tuple(sorted(reviews.get(employee.id, []))),
            )
        )
    return people


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(value))
    except (InvalidOperation, ValueError):
        return None


def _outcome(people: list[Person], today: date) -> dict[str, Any]:
    """Train, backtest and score (CPU-bound: run in a worker thread)."""
    from shre.intelligence.attrition import TooLittleHistory, train

    try:
        model = train(people, today)
    except TooLittleHistory as exc:
        return {"refused": exc.reason, "people": len(people)}
    scores = model.score(people, today)
    return {
        "model": {
            "trained_at": model.trained_at.isoformat(),
            "samples": model.samples,
            "leavers": model.leavers,
            "auc": round(model.auc, 4),
            "horizon_months": model.horizon_months,
        },
        "items": [
            {
                "employee_id": risk.key,
                "risk": round(risk.risk, 4),
                "factors": [
                    {"name": factor.name, "effect": round(factor.effect, 4)}
                    for factor in risk.factors
                ],
            }
            for risk in scores
        ],
    }


async def refresh(runtime: Runtime) -> None:
    """The job: compute the model's outcome and store it sealed."""
    from shre.intelligence import ai_off

    missing = ai_off(runtime.settings.shre_ai)
    if missing is not None:
        log.info("analytics.attrition_off", reason=missing)
        return
    vault = runtime.part(EmployeeVault)
    async with read_only_session(runtime.sessionmaker) as session:
        people = await load_people(session, vault)
    today = datetime.now(UTC).date()
    outcome = await to_thread.run_sync(_outcome, people, today)
    sealed = _sealer(runtime.keyring).seal(outcome)
    dialect = runtime.engine.dialect.name
    async with runtime.sessionmaker() as session, session.begin():
        stmt = upsert(dialect)(AnalyticsResult).values(
            name=NAME, sealed=sealed, built_at=datetime.now(UTC)
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"], set_={"sealed": sealed, "built_at": stmt.excluded.built_at}
            )
        )
    log.info(
        "analytics.attrition_refreshed",
        people=len(people),
        scored=len(outcome.get("items", [])),
        refused="refused" in outcome,
    )


async def stored(session: AsyncSession, keyring: Keyring) -> dict[str, Any] | None:
    """The latest outcome, opened; None when there is none (or it was sealed under a
    master key no longer primary: the next run seals it again)."""
    token = (
        await session.execute(select(AnalyticsResult.sealed).where(AnalyticsResult.name == NAME))
    ).scalar_one_or_none()
    if token is None:
        return None
    return _sealer(keyring).open(token)


async def read_risk(
    session: AsyncSession,
    keyring: Keyring,
    queue: JobQueue,
    actor: Principal,
    department_id: uuid.UUID | None,
    off: str | None = None,
) -> dict[str, Any]:
    """The latest scores of the current employees (of a department's subtree), highest
    risk first: 403 but for hr and admin, 422 when the AI features are `off` (why) or the
    history is too small to score, 409 while no model was trained yet (one is being
    trained)."""
    if not may_see_attrition_risk(actor):
        raise Forbidden("Attrition risk is for HR and administrators", code="attrition_forbidden")
    if off is not None:
        raise InvalidInput(
            f"Attrition risk is off here ({off}): it needs SHRE_AI=1 and the ai extra",
            code="attrition_off",
        )
    current = select(Employee.id).where(Employee.status != "terminated")
    if department_id is not None:
        tree = await DepartmentRepository(session).subtree_parents(department_id)
        if not tree:
            raise NotFound("No such department", code="department_not_found")
        current = current.where(Employee.department_id.in_(list(tree)))
    outcome = await stored(session, keyring)
    if outcome is None:
        await queue.defer(REFRESH, queueing_lock=REFRESH)
        raise Conflict(
            "The attrition model has not been trained yet; it is being trained now: ask "
            "again in a minute",
            code="attrition_not_ready",
        )
    if "refused" in outcome:
        raise InvalidInput(
            f"Too little history to score attrition risk: {outcome['refused']}",
            code="too_little_history",
        )
    ids = {str(employee_id) for employee_id in (await session.execute(current)).scalars()}
    items = [item for item in outcome["items"] if item["employee_id"] in ids]
    items.sort(key=lambda item: -float(item["risk"]))
    return {"model": outcome["model"], "items": items}
