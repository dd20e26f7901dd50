"""Attrition risk: the probability that an active employee leaves within a horizon
(12 months by default), with the factors behind it.

Trained on monthly snapshots of the history (every person active on a month's 1st,
labelled by whether they left within the horizon after it) with a logistic regression
over standardised features (attrition_features.FEATURES). Its worth is measured first
by a backtest over time: a model trained only on what was known on a split date, scored
on the snapshots from that date on. The served model is then refitted on every snapshot.

The library sees opaque keys and numbers only; the caller decrypts salaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from shre.intelligence.attrition_features import (
    FEATURES,
    Person,
    Population,
    add_months,
    month_starts,
)
from shre.intelligence.model import one_thread

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "FEATURES",
    "AttritionModel",
    "Factor",
    "Person",
    "Risk",
    "TooLittleHistory",
    "train",
]

HORIZON_MONTHS = 12
MIN_SAMPLES = 200
MIN_LEAVERS = 20
# The backtest's test set: at least this share of the labelled samples, the latest ones.
TEST_SHARE = 0.25
SEED = 0


class TooLittleHistory(Exception):
    """The history is too small for a model to mean anything; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Factor:
    name: str  # one of FEATURES
    effect: float  # contribution to the log-odds, relative to the average person


@dataclass(frozen=True, slots=True)
class Risk:
    key: str
    risk: float  # probability of leaving within the horizon, 0..1
    factors: list[Factor]  # every feature, largest |effect| first


@dataclass(frozen=True, slots=True)
class AttritionModel:
    trained_at: datetime
    samples: int  # labelled snapshots of people the served model was fitted on
    leavers: int  # distinct people among them who left within the horizon
    auc: float  # ROC AUC of the backtest
    horizon_months: int
    split_date: date  # the backtest trained on what was known then, tested from then on
    pipeline: Any  # sklearn Pipeline: StandardScaler -> LogisticRegression
    # Added to the log-odds: undoes the balanced class weights' shift to a 50/50 prior,
    # so that `risk` is a probability at the history's own rate of leaving.
    prior_offset: float

    def score(self, people: Sequence[Person], as_of: date) -> list[Risk]:
        """The risk of every person active on `as_of`, in the order given; salary
        position and team turnover compare them with `people`."""
        population = Population(people, as_of)
        if not population.active:
            return []
        values = _matrix([population.features(person) for person in population.active])
        scaler, classifier = self.pipeline[0], self.pipeline[-1]
        with one_thread():
            standardised = scaler.transform(values)
            effects = classifier.coef_[0] * standardised
            logits = classifier.decision_function(standardised) + self.prior_offset
        risks = []
        for person, logit, row in zip(population.active, logits, effects, strict=True):
            factors = sorted(
                (Factor(name, float(effect)) for name, effect in zip(FEATURES, row, strict=True)),
                key=lambda factor: -abs(factor.effect),
            )
            risks.append(Risk(person.key, _sigmoid(float(logit)), factors))
        return risks


@dataclass(frozen=True, slots=True)
class _Samples:
    days: list[date]  # each sample's snapshot
    keys: list[str]
    values: list[tuple[float, ...]]
    labels: list[int]


def train(
    people: Sequence[Person], today: date, horizon_months: int = HORIZON_MONTHS
) -> AttritionModel:
    """Backtest, then fit the served model on every labelled snapshot. Raises
    TooLittleHistory when the history cannot support a model."""
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    samples = _snapshots(people, today, horizon_months)
    leavers = len({key for key, label in zip(samples.keys, samples.labels, strict=True) if label})
    if len(samples.labels) < MIN_SAMPLES:
        raise TooLittleHistory(
            f"only {len(samples.labels)} labelled samples (people active on a month's 1st "
            f"at least {horizon_months} months before {today}); at least {MIN_SAMPLES} "
            "are needed"
        )
    if leavers < MIN_LEAVERS:
        raise TooLittleHistory(
            f"only {leavers} people left within {horizon_months} months of a labelled "
            f"snapshot; at least {MIN_LEAVERS} leavers are needed"
        )
    with one_thread():
        return _train(samples, horizon_months, leavers)


def _snapshots(people: Sequence[Person], today: date, horizon_months: int) -> _Samples:
    """Every person active on each month's 1st whose horizon has ended by `today`,
    labelled 1 when they left within it."""
    samples = _Samples([], [], [], [])
    if not people:
        return samples
    first = min(person.hire_date for person in people)
    for day in month_starts(first, add_months(today, -horizon_months)):
        population = Population(people, day)
        for person in population.active:
            samples.days.append(day)
            samples.keys.append(person.key)
            samples.values.append(population.features(person))
            samples.labels.append(int(person.leaves_within(day, horizon_months)))
    return samples


def _train(samples: _Samples, horizon_months: int, leavers: int) -> AttritionModel:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    values = _matrix(samples.values)
    labels = np.asarray(samples.labels)
    days = np.asarray([day.toordinal() for day in samples.days])
    split = _split_date(samples.days)
    # The backtest learns only labels known on the split date: a snapshot's label is
    # known once its horizon has passed.
    known = np.asarray(
        [add_months(day, horizon_months) <= split for day in samples.days], dtype=bool
    )
    tested = days >= split.toordinal()
    for name, part in (("training", known), ("test", tested)):
        if part.sum() == 0 or len(set(labels[part].tolist())) < 2:
            raise TooLittleHistory(
                f"the backtest's {name} period (split on {split}) does not have both "
                "people who left and people who stayed"
            )
    backtest = _pipeline().fit(values[known], labels[known])
    auc = float(roc_auc_score(labels[tested], backtest.decision_function(values[tested])))
    served = _pipeline().fit(values, labels)
    positives = int(labels.sum())
    return AttritionModel(
        trained_at=datetime.now(UTC),
        samples=len(labels),
        leavers=leavers,
        auc=round(auc, 4),
        horizon_months=horizon_months,
        split_date=split,
        pipeline=served,
        prior_offset=math.log(positives / (len(labels) - positives)),
    )


def _split_date(days: Sequence[date]) -> date:
    """The latest snapshot from which on at least TEST_SHARE of the samples lie."""
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    later = 0
    for day in sorted(counts, reverse=True):
        later += counts[day]
        if later >= TEST_SHARE * len(days):
            return day
    return min(counts)  # pragma: no cover (the loop ends on the earliest at the latest)


def _pipeline() -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = LogisticRegression(class_weight="balanced", max_iter=1000, random_state=SEED)
    return Pipeline([("scale", StandardScaler()), ("classifier", classifier)])


def _sigmoid(logit: float) -> float:
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)


def _matrix(rows: Sequence[tuple[float, ...]]) -> NDArray[np.float64]:
    import numpy as np

    return np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURES))
