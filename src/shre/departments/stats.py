"""Department statistics: headcount by status and type, tenure, and salary figures for
those who may see salaries, never for a group of fewer than five people."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from shre.employees.models import Employee
from shre.employees.vault import EmployeeVault

MIN_SALARY_GROUP = 5
SALARY_WITH_CURRENCY = frozenset({"salary", "salary_currency"})


def _years(start: date, end: date) -> float:
    return (end - start).days / 365.25


def department_stats(
    members: list[Employee],
    vault: EmployeeVault,
    *,
    with_salary: bool,
    today: date | None = None,
) -> dict[str, Any]:
    today = today or date.today()
    current = [e for e in members if e.status != "terminated"]
    tenure = [_years(e.hire_date, today) for e in current]
    out: dict[str, Any] = {
        "headcount": len(current),
        "by_status": dict(Counter(e.status for e in members)),
        "by_employment_type": dict(Counter(e.employment_type for e in current)),
        "average_tenure_years": round(statistics.fmean(tenure), 2) if tenure else None,
    }
    if with_salary:
        out["salary"] = _salary_figures(current, vault)
    return out


def _salary_figures(people: list[Employee], vault: EmployeeVault) -> dict[str, Any]:
    by_currency: dict[str, list[Decimal]] = defaultdict(list)
    for person in people:
        if person.salary_enc is None or person.salary_currency_enc is None:
            continue
        opened = vault.open(person, SALARY_WITH_CURRENCY)
        if opened["salary"] is not None and opened["salary_currency"] is not None:
            by_currency[opened["salary_currency"]].append(opened["salary"])
    shown = {}
    suppressed = 0
    for currency, values in sorted(by_currency.items()):
        if len(values) < MIN_SALARY_GROUP:
            suppressed += 1
            continue
        shown[currency] = {
            "count": len(values),
            "average": str(round(sum(values) / len(values), 2)),
            "median": str(round(Decimal(statistics.median(values)), 2)),
            "min": str(min(values)),
            "max": str(max(values)),
        }
    return {"by_currency": shown, "groups_below_minimum": suppressed}
