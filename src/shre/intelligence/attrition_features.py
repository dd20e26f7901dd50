"""The attrition model's input and features, in plain Python (no numpy).

A feature of a person at a date `as_of` uses only what was known on that date: changes
effective after it, and departures after it, are never read. The one exception is what
the input holds only as it is today, the department: a person's current one stands for
all of their past. A title on `as_of` is the latest title change on or before it, the
current title for a person who never changed title, and unknown otherwise (the salary
position is then 0.5)."""

from __future__ import annotations

import bisect
import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

FEATURES = (
    "tenure_years",
    "months_since_last_raise",
    "months_since_promotion",
    "salary_position",
    "manager_changes_24m",
    "team_turnover_12m",
    "no_review_12m",
)
_DAYS_PER_MONTH = 365.25 / 12
# A title group smaller than this has no meaningful percentile.
_MIN_GROUP = 3


@dataclass(frozen=True, slots=True)
class Person:
    """One employee's history. `key` is opaque (an employee id as str); `department`
    too. `salary_changes` ascend, the first being the hiring salary; `title_changes`
    ascend (a first entry on the hire date gives the hiring title)."""

    key: str
    hire_date: date
    termination_date: date | None
    job_title: str | None  # current
    department: str | None  # current
    salary_changes: tuple[tuple[date, float], ...]
    title_changes: tuple[tuple[date, str], ...]
    manager_changes: tuple[date, ...]
    reviews: tuple[date, ...]

    def active(self, on: date) -> bool:
        """Employed on `on`: hired on or before it, not left on or before it."""
        return self.hire_date <= on and (
            self.termination_date is None or self.termination_date > on
        )

    def leaves_within(self, on: date, months: int) -> bool:
        """Leaves after `on` and on or before `months` later."""
        end = add_months(on, months)
        return self.termination_date is not None and on < self.termination_date <= end

    def salary(self, on: date) -> float | None:
        known = [amount for effective, amount in self.salary_changes if effective <= on]
        return known[-1] if known else None

    def title(self, on: date) -> str | None:
        known = [title for effective, title in self.title_changes if effective <= on]
        if known:
            return known[-1]
        return self.job_title if not self.title_changes else None


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, the day clamped to the month's last."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> float:
    return (end - start).days / _DAYS_PER_MONTH


def month_starts(first: date, last: date) -> list[date]:
    """The 1sts of months from the first on or after `first` to `last` inclusive."""
    day = first.replace(day=1)
    if day < first:
        day = add_months(day, 1)
    days = []
    while day <= last:
        days.append(day)
        day = add_months(day, 1)
    return days


class Population:
    """Who was active on `as_of`, and what the features compare a person with: the
    salaries per title and the departures and headcount per department."""

    def __init__(self, people: Iterable[Person], as_of: date) -> None:
        self.as_of = as_of
        everyone = list(people)
        self.active = [person for person in everyone if person.active(as_of)]
        salaries: defaultdict[str, list[float]] = defaultdict(list)
        for person in self.active:
            title, salary = person.title(as_of), person.salary(as_of)
            if title is not None and salary is not None:
                salaries[title].append(salary)
        self._salaries = {title: sorted(amounts) for title, amounts in salaries.items()}
        self._headcount = Counter(p.department for p in self.active if p.department)
        year_ago = add_months(as_of, -12)
        self._leavers = Counter(
            person.department
            for person in everyone
            if person.department
            and person.termination_date is not None
            and year_ago < person.termination_date <= as_of
        )

    def salary_position(self, person: Person) -> float:
        """0 the lowest paid of the title, 1 the highest, ties at their middle."""
        title, salary = person.title(self.as_of), person.salary(self.as_of)
        group = self._salaries.get(title) if title is not None else None
        if salary is None or group is None or len(group) < _MIN_GROUP:
            return 0.5
        below = bisect.bisect_left(group, salary)
        equal = bisect.bisect_right(group, salary) - below
        return (below + (equal - 1) / 2) / (len(group) - 1)

    def team_turnover(self, person: Person) -> float:
        if not person.department:
            return 0.0
        headcount = self._headcount[person.department]
        return self._leavers[person.department] / headcount if headcount else 0.0

    def features(self, person: Person) -> tuple[float, ...]:
        """The person's features on `as_of`, in FEATURES order."""
        as_of = self.as_of
        raises = [
            effective
            for (effective, amount), (_, before) in zip(
                person.salary_changes[1:], person.salary_changes, strict=False
            )
            if effective <= as_of and amount > before
        ]
        promotions = [effective for effective, _ in person.title_changes if effective <= as_of]
        two_years_ago, year_ago = add_months(as_of, -24), add_months(as_of, -12)
        return (
            (as_of - person.hire_date).days / 365.25,
            months_between(max([person.hire_date, *raises]), as_of),
            months_between(max([person.hire_date, *promotions]), as_of),
            self.salary_position(person),
            float(sum(two_years_ago < day <= as_of for day in person.manager_changes)),
            self.team_turnover(person),
            0.0 if any(year_ago < day <= as_of for day in person.reviews) else 1.0,
        )


def features(people: Sequence[Person], as_of: date) -> dict[str, tuple[float, ...]]:
    """The features of every person active on `as_of`, by key."""
    population = Population(people, as_of)
    return {person.key: population.features(person) for person in population.active}
