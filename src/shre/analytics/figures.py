"""The figures, computed from what the queries return (pure functions, no I/O).

Headcount at the end of a month: everyone hired by then, not yet left, in a department
of the set (at that time). `headcount(m) = headcount(m - 1) + hires + moves in - leavers
- moves out`; someone whose termination date falls in a month is a leaver of that month
and no longer counted at its end. Turnover of a month: its leavers over its average
headcount (the mean of the headcounts at its start and its end); the trailing 12-month
rate: the leavers of the 12 months to `to` over the mean of those months' averages.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from shre.analytics.periods import Month, months_between
from shre.analytics.repository import Events
from shre.departments.stats import MIN_GROUP, SizedGroup, size_rule
from shre.employees.paycells import HUNDRED, Group, Pay

DepartmentId = uuid.UUID | None
RATE_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")
# The tree's root above the top departments: the whole organisation, and the people in
# no department.
ORGANISATION = "organisation"
Node = uuid.UUID | str


@dataclass(frozen=True, slots=True)
class MonthFigures:
    period: Month
    headcount: int
    hires: int
    leavers: int
    start: int  # headcount at the end of the month before


def monthly(
    events: Events,
    first: Month,
    last: Month,
    within: Callable[[DepartmentId], bool],
) -> list[MonthFigures]:
    """Each month from `first` to `last`: headcount at its end, hires and leavers, over
    the departments `within` accepts."""
    net: dict[Month, int] = defaultdict(int)
    hires: dict[Month, int] = defaultdict(int)
    leavers: dict[Month, int] = defaultdict(int)
    for (department, month), count in events.hires.items():
        if within(department):
            hires[month] += count
            net[month] += count
    for (department, month), count in events.leavers.items():
        if within(department):
            leavers[month] += count
            net[month] -= count
    for (old, new, month), count in events.moves.items():
        net[month] += count * (int(within(new)) - int(within(old)))
    level = sum(n for month, n in net.items() if month < first)
    out = []
    for month in months_between(first, last):
        start = level
        level += net.get(month, 0)
        out.append(MonthFigures(month, level, hires.get(month, 0), leavers.get(month, 0), start))
    return out


def by_department(events: Events, at: Month) -> dict[DepartmentId, int]:
    """Headcount at the end of `at`, by the department people were in then."""
    level: dict[DepartmentId, int] = defaultdict(int)
    for (department, month), count in events.hires.items():
        if month <= at:
            level[department] += count
    for (department, month), count in events.leavers.items():
        if month <= at:
            level[department] -= count
    for (old, new, month), count in events.moves.items():
        if month <= at:
            level[old] -= count
            level[new] += count
    return {d: n for d, n in level.items() if n}


def rate(leavers: int, average: Decimal) -> Decimal | None:
    if average <= 0:
        return None
    return (Decimal(leavers) / average).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


def average_headcount(month: MonthFigures) -> Decimal:
    return Decimal(month.start + month.headcount) / 2


def trailing_rate(months: list[MonthFigures]) -> Decimal | None:
    """Leavers of these months over the mean of their average headcounts."""
    if not months:
        return None
    mean = sum((average_headcount(m) for m in months), Decimal(0)) / len(months)
    return rate(sum(m.leavers for m in months), mean)


# --- pay bands -------------------------------------------------------------------------


def percentile(values: list[int], share: Decimal) -> Decimal:
    """The `share` percentile of sorted values, interpolated linearly between the two
    nearest ranks (the usual "linear" method: p50 of an even count is the mean of the
    middle two)."""
    position = (len(values) - 1) * share
    low = int(position)
    fraction = position - low
    if low + 1 >= len(values) or fraction == 0:
        return Decimal(values[low])
    return values[low] + (values[low + 1] - values[low]) * fraction


QUARTILE = Decimal("0.25")
HALF = Decimal("0.5")
THREE_QUARTERS = Decimal("0.75")


def _money(hundredths: Decimal | int) -> str:
    return str((Decimal(hundredths) / HUNDRED).quantize(CENTS, rounding=ROUND_HALF_EVEN))


def band(values: list[int]) -> dict[str, Any]:
    """The figures of amounts in hundredths (sorted here), as decimal text."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "min": _money(ordered[0]),
        "p25": _money(percentile(ordered, QUARTILE)),
        "median": _money(percentile(ordered, HALF)),
        "p75": _money(percentile(ordered, THREE_QUARTERS)),
        "max": _money(ordered[-1]),
    }


class PayTree:
    """The department tree under one root (ORGANISATION) and the current salaries of
    each group, with the size rule that keeps every published band a union of blocks
    of five or more people (so no answer, nor any difference of answers, isolates fewer
    than five).

    The blocks: for each job title and currency, the size rule of
    `shre.departments.stats` over the tree gives the passing departments; the people of
    a passing department not inside a passing sub-department form a block. A band by job
    title over a department's subtree is shown when that department passes for the title
    and currency. A band of a department (all titles) is shown only when, for every
    title, its people in the department's subtree are each in a block inside that
    subtree: the department passes for the title, or its residual for the title is
    empty. Bands of both kinds are then unions of the same blocks, which is what stops
    differencing across the two groupings as well as across overlapping filters."""

    def __init__(
        self,
        departments: Mapping[uuid.UUID, tuple[str, uuid.UUID | None]],
        salaries: Mapping[Group, Pay],
    ) -> None:
        self.names = {d: name for d, (name, _) in departments.items()}
        self.parent_of: dict[Node, Node | None] = {ORGANISATION: None}
        for department, (_, parent) in departments.items():
            self.parent_of[department] = (
                parent if parent is not None and parent in departments else ORGANISATION
            )
        self.values: dict[tuple[str, str], dict[Node, list[int]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for (unit, title, _), pay in salaries.items():
            home: Node = unit if unit is not None and unit in departments else ORGANISATION
            for currency, amounts in pay.items():
                self.values[(title or "", currency)][home].extend(amounts)
        self.rules: dict[tuple[str, str], dict[Node, SizedGroup]] = {
            key: size_rule(self.parent_of, {n: len(v) for n, v in nodes.items()})
            for key, nodes in self.values.items()
        }
        self._children: dict[Node, list[Node]] = defaultdict(list)
        for child, above in self.parent_of.items():
            if above is not None:
                self._children[above].append(child)

    def subtree(self, top: Node) -> list[Node]:
        out, stack = [], [top]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(self._children.get(node, ()))
        return out

    def _gather(self, key: tuple[str, str], nodes: Iterable[Node]) -> list[int]:
        found = self.values[key]
        return [v for n in nodes if n in found for v in found[n]]

    def by_title(self, top: Node) -> tuple[list[dict[str, Any]], int]:
        """Bands per job title and currency over `top`'s subtree; how many groups the
        size rule left out."""
        nodes = self.subtree(top)
        bands, left_out = [], 0
        for (title, currency), rule in sorted(self.rules.items()):
            group = rule[top]
            if group.size == 0:
                continue
            if not group.passes:
                left_out += 1
                continue
            values = self._gather((title, currency), nodes)
            bands.append({"group": title or None, "currency": currency, **band(values)})
        return bands, left_out

    def by_department(self, top: Node) -> tuple[list[dict[str, Any]], int]:
        """Bands per department (each over its own subtree, all titles) and currency,
        for `top` and every department below it."""
        bands, left_out = [], 0
        currencies = sorted({c for _, c in self.rules})
        for node in self.subtree(top):
            if node == ORGANISATION:
                continue
            below = self.subtree(node)
            for currency in currencies:
                keys = [k for k in self.rules if k[1] == currency and self.rules[k][node].size]
                if not keys:
                    continue
                whole = all(
                    self.rules[k][node].passes or self.rules[k][node].residual == 0 for k in keys
                )
                size = sum(self.rules[k][node].size for k in keys)
                if not whole or size < MIN_GROUP:
                    left_out += 1
                    continue
                values = [v for k in keys for v in self._gather(k, below)]
                assert isinstance(node, uuid.UUID)  # noqa: S101 - every other node is one
                bands.append(
                    {
                        "group": self.names[node],
                        "department_id": node,
                        "currency": currency,
                        **band(values),
                    }
                )
        bands.sort(key=lambda b: (b["group"], b["currency"]))
        return bands, left_out


def in_set(departments: Collection[uuid.UUID] | None) -> Callable[[DepartmentId], bool]:
    """A department test: in this set (None: every department, and none)."""
    if departments is None:
        return lambda _d: True
    chosen = frozenset(departments)
    return lambda d: d in chosen
