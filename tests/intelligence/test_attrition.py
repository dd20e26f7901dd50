"""The attrition model on synthetic organisations: one where people whose salary has not
risen for long leave more often (it must find that), the same people with their
departures shuffled (it must find nothing), histories too small to learn from, and the
features on hand-made examples."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date
from statistics import fmean

import pytest

from shre.intelligence.attrition import (
    FEATURES,
    AttritionModel,
    Person,
    TooLittleHistory,
    train,
)
from shre.intelligence.attrition_features import Population, add_months, features

pytestmark = pytest.mark.ai

START = date(2019, 1, 1)
MONTHS = 60
TODAY = add_months(START, MONTHS)
TITLES = ("Engineer", "Analyst", "Designer", "Accountant", "Support")


@dataclass
class _Employee:
    """One person while the organisation is simulated."""

    key: str
    hired: date
    department: str
    pace: float  # the chance of a raise in a month
    salaries: list[tuple[date, float]]
    titles: list[tuple[date, str]]
    managers: list[date] = field(default_factory=list)
    reviews: list[date] = field(default_factory=list)
    left: date | None = None

    def person(self) -> Person:
        return Person(
            key=self.key,
            hire_date=self.hired,
            termination_date=self.left,
            job_title=self.titles[-1][1],
            department=self.department,
            salary_changes=tuple(self.salaries),
            title_changes=tuple(self.titles),
            manager_changes=tuple(self.managers),
            reviews=tuple(self.reviews),
        )


def organisation(seed: int, headcount: int = 300) -> list[Person]:
    """Five years of a company founded with `headcount` people, every leaver replaced.
    Each person is raised at their own pace (every 6, 12 or 48 months on average), and
    the monthly hazard of leaving grows with the months since their last raise. Titles,
    managers and reviews change at random, unrelated to leaving."""
    rng = random.Random(seed)
    everyone: list[_Employee] = []
    active: list[_Employee] = []

    def hire(day: date) -> None:
        title = rng.choice(TITLES)
        salary = 40_000 * (1 + TITLES.index(title) / 4) * rng.lognormvariate(0, 0.15)
        employee = _Employee(
            key=str(len(everyone)),
            hired=day,
            department=f"d{rng.randrange(8)}",
            pace=rng.choice((1 / 6, 1 / 12, 1 / 48)),
            salaries=[(day, round(salary, 2))],
            titles=[(day, title)],
        )
        everyone.append(employee)
        active.append(employee)

    for _ in range(headcount):
        hire(START)
    for month in range(MONTHS):
        first = add_months(START, month)
        for employee in list(active):
            day = first.replace(day=rng.randint(1, 28))
            if day <= employee.hired:
                continue
            if rng.random() < employee.pace:
                raised = employee.salaries[-1][1] * rng.uniform(1.02, 1.08)
                employee.salaries.append((day, round(raised, 2)))
            if rng.random() < 1 / 36:
                others = [title for title in TITLES if title != employee.titles[-1][1]]
                employee.titles.append((day, rng.choice(others)))
            if rng.random() < 1 / 18:
                employee.managers.append(day)
            if rng.random() < 1 / 12:
                employee.reviews.append(day)
            stale = (day - employee.salaries[-1][0]).days / 30.44
            if rng.random() < 0.003 + 1 / (1 + math.exp(7.0 - 0.15 * stale)):
                employee.left = day
                active.remove(employee)
                hire(first.replace(day=rng.randint(1, 28)))
        if rng.random() < 0.5:
            hire(first.replace(day=rng.randint(1, 28)))
    return [employee.person() for employee in everyone]


def person(
    key: str,
    hired: date,
    salaries: tuple[tuple[date, float], ...] = (),
    *,
    left: date | None = None,
    title: str | None = "Engineer",
    department: str | None = "a",
) -> Person:
    return Person(key, hired, left, title, department, salaries, (), (), ())


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return organisation(seed=0)


@pytest.fixture(scope="module")
def model(people: list[Person]) -> AttritionModel:
    return train(people, TODAY)


def test_the_model_finds_the_planted_signal(people: list[Person], model: AttritionModel) -> None:
    assert model.auc > 0.7
    assert model.samples > 10_000
    assert model.leavers >= 150
    assert model.horizon_months == 12
    as_of = add_months(TODAY, -12)
    risks = model.score(people, as_of)
    active = [p for p in people if p.active(as_of)]
    assert [risk.key for risk in risks] == [p.key for p in active]
    leavers = {p.key for p in active if p.leaves_within(as_of, 12)}
    effects: dict[str, list[float]] = {name: [] for name in FEATURES}
    for risk in risks:
        if risk.key in leavers:
            for factor in risk.factors:
                effects[factor.name].append(factor.effect)
    mean_size = {name: fmean(abs(effect) for effect in found) for name, found in effects.items()}
    assert max(mean_size, key=mean_size.__getitem__) == "months_since_last_raise"
    assert fmean(effects["months_since_last_raise"]) > 0
    for risk in risks:
        assert 0 < risk.risk < 1
        assert sorted(factor.name for factor in risk.factors) == sorted(FEATURES)
        sizes = [abs(factor.effect) for factor in risk.factors]
        assert sizes == sorted(sizes, reverse=True)
    # A probability at the organisation's own rate, not the balanced classes' 50/50.
    mean_risk = sum(risk.risk for risk in risks) / len(risks)
    assert mean_risk == pytest.approx(len(leavers) / len(active), abs=0.05)


def test_shuffled_departures_teach_nothing(people: list[Person]) -> None:
    rng = random.Random(1)
    ends = [p.termination_date for p in people]
    rng.shuffle(ends)
    shuffled = [replace(p, termination_date=end) for p, end in zip(people, ends, strict=True)]
    assert 0.35 < train(shuffled, TODAY).auc < 0.65


def test_too_little_history_is_refused(people: list[Person]) -> None:
    few = [person(str(i), START, ((START, 50_000.0),)) for i in range(3)]
    with pytest.raises(TooLittleHistory, match=r"only \d+ labelled samples"):
        train(few, TODAY)
    stayers = [replace(p, termination_date=None) for p in people]
    some_left = [
        replace(p, termination_date=date(2020, 6, 1)) if i < 5 else p for i, p in enumerate(stayers)
    ]
    with pytest.raises(TooLittleHistory, match=r"only 5 people left within 12 months"):
        train(some_left, TODAY)
    # Everyone who left did so late: what the backtest may learn from (labels known on
    # its split date) holds no leaver.
    founders = [p for p in stayers if p.hire_date == START]
    late = [
        replace(p, termination_date=date(2021, 9, 1)) if i < 40 else p
        for i, p in enumerate(founders)
    ]
    with pytest.raises(TooLittleHistory, match=r"training period .* both"):
        train(late, date(2022, 1, 1))
    with pytest.raises(ValueError, match="horizon"):
        train(people, TODAY, horizon_months=0)


def _as_known_on(p: Person, as_of: date) -> Person:
    """The person as the records stood on `as_of` (department aside)."""
    titles = tuple(change for change in p.title_changes if change[0] <= as_of)
    return replace(
        p,
        termination_date=p.termination_date
        if p.termination_date and p.termination_date <= as_of
        else None,
        job_title=titles[-1][1] if titles else p.job_title,
        salary_changes=tuple(change for change in p.salary_changes if change[0] <= as_of),
        title_changes=titles,
        manager_changes=tuple(day for day in p.manager_changes if day <= as_of),
        reviews=tuple(day for day in p.reviews if day <= as_of),
    )


def test_features_never_look_into_the_future(people: list[Person]) -> None:
    as_of = date(2021, 7, 1)
    known = [_as_known_on(p, as_of) for p in people if p.hire_date <= as_of]
    assert features(people, as_of) == features(known, as_of)

    raised = person("1", date(2020, 1, 1), ((date(2020, 1, 1), 50_000.0),))
    later = replace(raised, salary_changes=(*raised.salary_changes, (date(2022, 6, 1), 55_000.0)))
    at = FEATURES.index("months_since_last_raise")
    assert features([raised], as_of)["1"][at] == features([later], as_of)["1"][at]
    assert features([later], as_of)["1"][at] == pytest.approx(18, abs=0.1)
    assert features([later], date(2022, 7, 1))["1"][at] == pytest.approx(1, abs=0.1)


def test_salary_position_and_team_turnover() -> None:
    as_of = date(2023, 1, 1)
    hired = date(2020, 1, 1)

    def paid(amount: float) -> tuple[tuple[date, float], ...]:
        return ((hired, amount),)

    staff = [
        person("low", hired, paid(50_000)),
        person("mid1", hired, paid(60_000)),
        person("mid2", hired, ((hired, 40_000.0), (date(2022, 1, 1), 60_000.0))),
        # The highest paid on as_of; the cut after it is not yet known.
        person("high", hired, ((hired, 80_000.0), (date(2023, 6, 1), 30_000.0))),
        # Leaves after as_of: still active, counted in headcount and salaries.
        person("leaving", hired, paid(70_000), left=date(2023, 3, 1), department="b"),
        # Left within the 12 months before as_of (department a), and 13 months before.
        person("gone", hired, paid(1_000), left=date(2022, 10, 1)),
        person("gone2", hired, paid(1_000), left=date(2022, 1, 2)),
        person("long_gone", hired, paid(1_000), left=date(2021, 12, 1)),
        # A title of two: too few for a percentile.
        person("designer1", hired, paid(10_000), title="Designer", department="b"),
        person("designer2", hired, paid(90_000), title="Designer", department="b"),
        person("no_team", hired, paid(90_000), title="Support", department=None),
        person("future", date(2023, 2, 1), paid(1.0)),
    ]
    population = Population(staff, as_of)
    assert {p.key for p in population.active} == {
        "low",
        "mid1",
        "mid2",
        "high",
        "leaving",
        "designer1",
        "designer2",
        "no_team",
    }
    position = FEATURES.index("salary_position")
    turnover = FEATURES.index("team_turnover_12m")
    found = features(staff, as_of)
    assert {key: values[position] for key, values in found.items()} == {
        "low": 0.0,
        "mid1": 0.375,
        "mid2": 0.375,
        "leaving": 0.75,
        "high": 1.0,
        "designer1": 0.5,
        "designer2": 0.5,
        "no_team": 0.5,
    }
    # Department a: 4 active on as_of, 2 left in the 12 months before.
    assert found["low"][turnover] == pytest.approx(2 / 4)
    assert found["leaving"][turnover] == 0.0  # department b: nobody left
    assert found["no_team"][turnover] == 0.0
