"""`GET /analytics/insights`: what deserves HR's attention now, each with its number and a
link into the web app (hr and admin; an audited read, as two are salary-derived):

- salary outliers within a job title: salaries beyond 1.5 interquartile ranges of their
  title's (per currency; titles of five people or more; a count, never a person);
- pay by department: the department whose median salary is furthest from the
  organisation's (departments of five people or more, per currency);
- unusual turnover: departments whose leavers of the last twelve months are more than
  twice the organisation's rate (three leavers or more, five people or more);
- documents: expired documents of current employees, and required ones missing.

No group under five people is ever described (the size rule of the pay bands)."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any, Final

from sqlalchemy import func, select

from shre.analytics.service import AnalyticsService
from shre.employees.models import Employee
from shre.employees.paycells import PayCells
from shre.kit.errors import Forbidden
from shre.policy import Principal, may_see_salary_figures

MIN_GROUP: Final = 5
OUTLIER_IQR: Final = 1.5
TURNOVER_FACTOR: Final = 2.0
MIN_LEAVERS: Final = 3
READ: Final = "analytics.read_insights"

Item = dict[str, Any]


def _money(hundredths: float, currency: str) -> str:
    return f"{hundredths / 100:,.0f} {currency}"


async def insights(service: AnalyticsService, actor: Principal) -> dict[str, list[Item]]:
    if not may_see_salary_figures(actor):
        raise Forbidden("Insights are for HR and administrators", code="insights_forbidden")
    departments = await service.repo.departments()
    salaries = await PayCells(service.session, service.vault, service.sessionmaker).salaries()
    by_title: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_department: dict[tuple[uuid.UUID, str], list[int]] = defaultdict(list)
    by_currency: dict[str, list[int]] = defaultdict(list)
    for (department, title, _), pay in salaries.items():
        for currency, amounts in pay.items():
            by_currency[currency] += amounts
            if title:
                by_title[(title, currency)] += amounts
            if department is not None:
                by_department[(department, currency)] += amounts
    items: list[Item] = []
    items += _outliers(by_title)
    items += _pay_by_department(by_department, by_currency, departments)
    items += await _turnover(service, departments)
    items += await _documents(service, actor)
    await service.audit.record_read(READ, target_type="analytics", target_id="insights")
    return {"items": items}


def _outliers(by_title: dict[tuple[str, str], list[int]]) -> list[Item]:
    found: list[tuple[int, str]] = []
    for (title, currency), amounts in by_title.items():
        if len(amounts) < MIN_GROUP:
            continue
        q1, _, q3 = statistics.quantiles(amounts, n=4)
        reach = OUTLIER_IQR * (q3 - q1)
        count = sum(1 for a in amounts if a < q1 - reach or a > q3 + reach)
        if count:
            found.append((count, f"{title} ({currency})"))
    if not found:
        return []
    found.sort(reverse=True)
    total = sum(count for count, _ in found)
    return [
        {
            "kind": "salary_outliers",
            "title": f"{total} salar{'y' if total == 1 else 'ies'} far from their job title's",
            "detail": "; ".join(f"{name}: {count}" for count, name in found[:5])
            + " (beyond 1.5 interquartile ranges of the title's salaries)",
            "value": float(total),
            "link": "/reports?tab=pay&group_by=job_title",
        }
    ]


def _pay_by_department(
    by_department: dict[tuple[uuid.UUID, str], list[int]],
    by_currency: dict[str, list[int]],
    departments: dict[uuid.UUID, tuple[str, uuid.UUID | None]],
) -> list[Item]:
    best: tuple[float, uuid.UUID, str, float, float] | None = None
    for (department, currency), amounts in by_department.items():
        everyone = by_currency[currency]
        if len(amounts) < MIN_GROUP or len(everyone) < 2 * MIN_GROUP:
            continue
        median, overall = statistics.median(amounts), statistics.median(everyone)
        gap = (median - overall) / overall * 100
        if best is None or abs(gap) > abs(best[0]):
            best = (gap, department, currency, median, overall)
    if best is None or abs(best[0]) < 1:
        return []
    gap, department, currency, median, overall = best
    name = departments.get(department, ("a department", None))[0]
    side = "above" if gap > 0 else "below"
    return [
        {
            "kind": "pay_gap",
            "title": f"{name}: median pay {abs(gap):.0f}% {side} the organisation's",
            "detail": f"median {_money(median, currency)} against {_money(overall, currency)} "
            f"(departments of {MIN_GROUP} people or more compared)",
            "value": round(gap, 1),
            "link": f"/reports?tab=pay&group_by=department&department_id={department}",
        }
    ]


async def _turnover(
    service: AnalyticsService, departments: dict[uuid.UUID, tuple[str, uuid.UUID | None]]
) -> list[Item]:
    since = service.today - timedelta(days=365)
    left = dict(
        (
            await service.session.execute(
                select(Employee.department_id, func.count())
                .where(Employee.termination_date >= since, Employee.department_id.is_not(None))
                .group_by(Employee.department_id)
            )
        ).all()
    )
    staying = dict(
        (
            await service.session.execute(
                select(Employee.department_id, func.count())
                .where(Employee.status != "terminated", Employee.department_id.is_not(None))
                .group_by(Employee.department_id)
            )
        ).all()
    )
    total_left, total_staying = sum(left.values()), sum(staying.values())
    if not total_staying:
        return []
    overall = total_left / (total_staying + total_left / 2)
    items = []
    for department, leavers in sorted(left.items(), key=lambda kv: -kv[1]):
        people = staying.get(department, 0)
        if department is None or leavers < MIN_LEAVERS or people < MIN_GROUP:
            continue
        rate = leavers / (people + leavers / 2)
        if rate <= TURNOVER_FACTOR * overall:
            continue
        name = departments.get(department, ("a department", None))[0]
        items.append(
            {
                "kind": "unusual_turnover",
                "title": f"Unusual turnover in {name}: {rate:.0%} in 12 months",
                "detail": f"{leavers} left in the last 12 months; the organisation's rate "
                f"is {overall:.0%}",
                "value": round(rate * 100, 1),
                "link": f"/reports?department_id={department}",
            }
        )
    return items[:3]


async def _documents(service: AnalyticsService, actor: Principal) -> list[Item]:
    found = await service.documents(actor, None, 0)
    expired, missing = int(found["expired"]), int(found["missing_total"])
    if not expired and not missing:
        return []
    return [
        {
            "kind": "documents",
            "title": f"{expired} expired document{'s' if expired != 1 else ''}, "
            f"{missing} required one{'s' if missing != 1 else ''} missing",
            "detail": f"{found['expiring_30']} more expire within 30 days; required: "
            + ", ".join(found["required_categories"]),
            "value": float(expired + missing),
            "link": "/reports?tab=documents",
        }
    ]
