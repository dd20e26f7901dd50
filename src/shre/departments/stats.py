"""Department statistics: headcount for everyone; the breakdown (by status, by employment
type, average tenure) and salary figures only over a group that passes the size rule.

The size rule (`passing`) stops both small groups and differencing: subtracting a
sub-department's figures from its parent's must never isolate fewer than five people.
A department passes when its group has at least five people and its *residual* (the
people of the group inside no passing sub-department, at any depth) is empty or has at
least five. Whatever one can subtract from a passing department's figures is then a union
of residuals and of passing groups, each empty or of five or more, and so is the rest.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from shre.employees.models import Employee
from shre.employees.vault import SALARY_WITH_CURRENCY, EmployeeVault

MIN_GROUP = 5

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class SizedGroup:
    """One department's group under the size rule: how many people of the measured set
    are in it (the department and everything below), how many of them are inside no
    passing sub-department (`residual`), and whether it passes."""

    size: int
    residual: int
    passes: bool


def size_rule(parent_of: Mapping[K, K | None], own: Mapping[K, int]) -> dict[K, SizedGroup]:
    """Every department of a tree (each mapped to its parent; a parent outside the map
    counts as none) with its group under the size rule. `own`: how many people of the
    measured set belong to each department itself (missing: none)."""
    children: dict[K, list[K]] = defaultdict(list)
    for node, parent in parent_of.items():
        if parent is not None and parent in parent_of:
            children[parent].append(node)
    out: dict[K, SizedGroup] = {}
    for node in _bottom_up(parent_of, children):
        kids = [out[c] for c in children.get(node, ())]
        size = own.get(node, 0) + sum(k.size for k in kids)
        covered = sum(k.size if k.passes else k.size - k.residual for k in kids)
        residual = size - covered
        passes = size >= MIN_GROUP and (residual == 0 or residual >= MIN_GROUP)
        out[node] = SizedGroup(size, residual, passes)
    return out


def passing(parent_of: Mapping[K, K | None], own: Mapping[K, int]) -> set[K]:
    """The departments of a tree whose groups pass the size rule (see `size_rule`)."""
    return {node for node, group in size_rule(parent_of, own).items() if group.passes}


def _bottom_up(parent_of: Mapping[K, K | None], children: Mapping[K, list[K]]) -> list[K]:
    """Every node after all of its descendants (iterative: a deep tree is no recursion)."""
    roots = [n for n, p in parent_of.items() if p is None or p not in parent_of]
    order: list[K] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(children.get(node, ()))
    order.reverse()
    return order


def _own_counts(people: Iterable[Employee]) -> Counter[Any]:
    return Counter(p.department_id for p in people)


def department_stats(
    department_id: Any,
    parent_of: Mapping[Any, Any],
    members: list[Employee],
    vault: EmployeeVault,
    *,
    scope: str,
    within: Collection[Any] | None = None,
    with_salary: bool,
    today: date | None = None,
) -> dict[str, Any]:
    """The figures of `department_id` over `members` (of it and its sub-departments, in
    `parent_of`, which maps the subtree to parents). Headcount counts every current
    member; the breakdown counts only the members whose ids are `within` (None: all),
    and is given only when that group passes the size rule for the current members and
    for all of them (the status counts include the terminated)."""
    today = today or date.today()
    current = [e for e in members if e.status != "terminated"]
    group = members if within is None else [e for e in members if e.id in within]
    group_current = [e for e in group if e.status != "terminated"]
    out: dict[str, Any] = {"headcount": len(current), **withheld(scope, "group_too_small")}
    if with_salary:
        out["salary"] = None
    shown = department_id in passing(parent_of, _own_counts(group_current))
    if not shown or department_id not in passing(parent_of, _own_counts(group)):
        return out
    tenure = [_years(e.hire_date, today) for e in group_current]
    out.update(
        suppressed=False,
        suppressed_reason=None,
        by_status=dict(Counter(e.status for e in group)),
        by_employment_type=dict(Counter(e.employment_type for e in group_current)),
        average_tenure_years=round(statistics.fmean(tenure), 2) if tenure else None,
    )
    if with_salary:
        out["salary"] = _salary_figures(department_id, parent_of, group_current, vault.open)
    return out


def withheld(scope: str | None, reason: str) -> dict[str, Any]:
    """The breakdown left out, and why: `not_permitted` (the caller's role sees headcount
    only) or `group_too_small` (the size rule)."""
    return {
        "scope": scope,
        "suppressed": True,
        "suppressed_reason": reason,
        "by_status": None,
        "by_employment_type": None,
        "average_tenure_years": None,
    }


def _years(start: date, end: date) -> float:
    return (end - start).days / 365.25


def _salary_figures(
    department_id: Any,
    parent_of: Mapping[Any, Any],
    people: list[Employee],
    open_fields: Callable[[Employee, frozenset[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Figures per currency, each currency's group under the size rule of its own (the
    people paid in it, in each department of the tree)."""
    paid: dict[str, list[Employee]] = defaultdict(list)
    values: dict[str, list[Decimal]] = defaultdict(list)
    for person in people:
        if person.salary_enc is None or person.salary_currency_enc is None:
            continue
        opened = open_fields(person, SALARY_WITH_CURRENCY)
        if opened["salary"] is not None and opened["salary_currency"] is not None:
            paid[opened["salary_currency"]].append(person)
            values[opened["salary_currency"]].append(opened["salary"])
    shown = {}
    suppressed = 0
    for currency, amounts in sorted(values.items()):
        if department_id not in passing(parent_of, _own_counts(paid[currency])):
            suppressed += 1
            continue
        shown[currency] = {
            "count": len(amounts),
            "average": str(round(sum(amounts) / len(amounts), 2)),
            "median": str(round(Decimal(statistics.median(amounts)), 2)),
            "min": str(min(amounts)),
            "max": str(max(amounts)),
        }
    return {"by_currency": shown, "groups_below_minimum": suppressed}
