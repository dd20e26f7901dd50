"""The careers of `shre seed-demo`'s employees: when each one joined, moved between
departments, got a raise and left. Pure and driven by one `random.Random`, so a seed
always gives the same organisation (relative to the day it runs).

The history covers the last three years (`HISTORY_DAYS`): hires arrive in every month
of it, leavers go in every month of it, department moves and raises fall within it.
Before it the organisation only grew: hires over ten years, nobody left."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

HISTORY_DAYS = 3 * 365 + 1  # the window of the history, today included
OLDEST_HIRE = 3650  # days ago: the organisation is ten years old
TOP_HIRED = (2600, OLDEST_HIRE)  # days ago: the top of the tree joined early
TOP_DEPTH = 2  # depth in the reporting tree up to which nobody leaves or moves
RECENT_HIRES = 0.47  # chance one who stays was hired in the history's window
LEAVERS = 0.20  # share of all employees who left, within the window
SHORTEST_STAY = 60  # days between a hire and a leaving, at least
MOVERS = 0.16  # chance one below the top moved (when their branch has somewhere to go)
MOVED_TWICE = 0.15  # chance a mover moved again
ON_LEAVE = 0.03  # chance one who stays is on leave now
LEAVE_SINCE = 180  # days ago, at most, that a leave began
RAISE = (2.0, 6.0)  # percent, at each hire anniversary
PROMOTION = (8.0, 15.0)  # percent, a promotion-sized raise, now and then
PROMOTIONS = 0.10  # chance an anniversary brings a promotion-sized raise
CENT = Decimal("0.01")
# The signal the attrition model should find: most leavers had gone without a raise for a
# long stretch before they left (their raises of the last STALE_MONTHS before leaving are
# withheld); a few who stay went without one too, so it is a tendency, not a rule.
STALLED_LEAVERS = 0.7
STALLED_STAYERS = 0.12
STALE_MONTHS = (13, 24)
# Why people left, and how often (contractors and interns: their contract ended).
REASONS = {"Resigned": 68, "Relocated": 13, "Retired": 8, "Dismissed": 11}
CONTRACT_ENDED = "Contract ended"
FIXED_TERM = frozenset({"contractor", "intern"})


def spread(rng: random.Random, n: int, days: int) -> list[int]:
    """`n` day offsets in [0, days), one in each of n equal strata, shuffled: as random
    as uniform draws, but with no month left empty by chance."""
    offsets = [int((k + rng.random()) * days / n) for k in range(n)]
    rng.shuffle(offsets)
    return offsets


def calendar(
    rng: random.Random, today: date, managers: list[int | None], depth: list[int], keep: int
) -> tuple[list[date], list[date | None]]:
    """Each employee's hire date, and leaving date (None: still here), by their place in
    the reporting tree (`managers`: each one's manager's index). Only employees below the
    top with nobody reporting to them leave (a manager who left would leave their reports
    with a manager who is gone), and never `keep` (a demo sign-in). Nobody was hired
    before their manager."""
    count = len(depth)
    managing = {m for m in managers if m is not None}
    may_leave = [
        i for i in range(count) if depth[i] > TOP_DEPTH and i not in managing and i != keep
    ]
    leaving = rng.sample(may_leave, min(len(may_leave), round(LEAVERS * count)))
    left_ago = dict(zip(leaving, spread(rng, len(leaving), HISTORY_DAYS), strict=True))
    recent = [
        i
        for i in range(count)
        if depth[i] > TOP_DEPTH and i not in left_ago and rng.random() < RECENT_HIRES
    ]
    hired_ago = dict(zip(recent, spread(rng, len(recent), HISTORY_DAYS), strict=True))
    ago: list[int] = []
    for i in range(count):
        if depth[i] <= TOP_DEPTH:
            ago.append(rng.randrange(*TOP_HIRED))
        elif i in left_ago:
            ago.append(_hired_before(rng, left_ago[i] + SHORTEST_STAY))
        elif i in hired_ago:
            ago.append(hired_ago[i])
        else:
            ago.append(rng.randrange(HISTORY_DAYS, OLDEST_HIRE))
    for i in reversed(range(count)):  # reports come after their manager
        manager = managers[i]
        if manager is not None:
            ago[manager] = max(ago[manager], ago[i])
    hired = [today - timedelta(days=days) for days in ago]
    left = [today - timedelta(days=left_ago[i]) if i in left_ago else None for i in range(count)]
    return hired, left


def _hired_before(rng: random.Random, at_least: int) -> int:
    """Days ago, from the hires' distribution (recent ones among them), `at_least` ago."""
    while True:
        if rng.random() < RECENT_HIRES:
            ago = rng.randrange(HISTORY_DAYS)
        else:
            ago = rng.randrange(HISTORY_DAYS, OLDEST_HIRE)
        if ago >= at_least:
            return ago


def window(today: date, hired: date, left: date | None) -> tuple[date, date]:
    """The first and last day a change may fall on: after the hire and within the
    history, before the leaving day (nobody moves or gets a raise on their last day)."""
    first = max(hired + timedelta(days=1), today - timedelta(days=HISTORY_DAYS - 1))
    last = left - timedelta(days=1) if left is not None else today
    return first, last


def moves(
    rng: random.Random,
    first: date,
    last: date,
    department: uuid.UUID,
    branch: list[uuid.UUID],
) -> list[tuple[date, uuid.UUID]]:
    """Department moves within the branch (its top department and those under it), as
    (date, department moved to); none for most."""
    days = (last - first).days + 1
    if len(branch) < 2 or days < 1 or rng.random() >= MOVERS:
        return []
    times = 2 if days > 1 and rng.random() < MOVED_TWICE else 1
    out: list[tuple[date, uuid.UUID]] = []
    for offset in sorted(rng.sample(range(days), times)):
        department = rng.choice([d for d in branch if d != department])
        out.append((first + timedelta(days=offset), department))
    return out


def raises(
    rng: random.Random, hired: date, first: date, last: date, salary: Decimal
) -> list[tuple[date, Decimal]]:
    """A raise at each hire anniversary from `first` to `last`, as (date, new salary)."""
    out: list[tuple[date, Decimal]] = []
    years = first.year - hired.year
    while (when := anniversary(hired, years)) <= last:
        if when >= first:
            low, high = PROMOTION if rng.random() < PROMOTIONS else RAISE
            salary = (salary * (1 + Decimal(rng.uniform(low, high)) / 100)).quantize(CENT)
            out.append((when, salary))
        years += 1
    return out


def earlier_raises(
    signal: random.Random, hired: date, first: date, salary: Decimal
) -> tuple[Decimal, list[tuple[date, Decimal]]]:
    """The raises at the anniversaries before the history's window (`first`) that led to
    `salary` there: the salary at the hire, and the raises as (date, new salary). Drawn
    from `signal`, so that the rest of the organisation is the same with or without."""
    dates = []
    years = 1
    while (when := anniversary(hired, years)) < first:
        dates.append(when)
        years += 1
    rates = [Decimal(signal.uniform(*RAISE)) / 100 for _ in dates]
    start = salary
    for rate in rates:
        start /= 1 + rate
    start = start.quantize(CENT)
    out = []
    current = start
    for when, rate in zip(dates, rates, strict=True):
        current = (current * (1 + rate)).quantize(CENT)
        out.append((when, current))
    return start, out


def stalled(
    signal: random.Random,
    given: list[tuple[date, Decimal]],
    left: date | None,
    last: date,
) -> list[tuple[date, Decimal]]:
    """The raises of `given` one really got: for a stalled career, none in the last
    STALE_MONTHS before leaving (or before `last`, for one who stays). `signal` is a
    generator of its own, so the rest of the organisation is the same with or without."""
    if signal.random() >= (STALLED_LEAVERS if left is not None else STALLED_STAYERS):
        return given
    cutoff = (left or last) - timedelta(days=30 * signal.randint(*STALE_MONTHS))
    return [(when, salary) for when, salary in given if when < cutoff]


def anniversary(hired: date, years: int) -> date:
    """The day `years` after `hired` (29 February: the 28th in a common year)."""
    try:
        return hired.replace(year=hired.year + years)
    except ValueError:
        return hired.replace(year=hired.year + years, day=28)


def on_leave_since(rng: random.Random, today: date, hired: date) -> date | None:
    """When the leave of one who stays began, if they are on leave now (after the hire)."""
    tenure = (today - hired).days
    if tenure < 1 or rng.random() >= ON_LEAVE:
        return None
    return today - timedelta(days=rng.randrange(min(tenure, LEAVE_SINCE)))


def reason(rng: random.Random, employment_type: str) -> str:
    if employment_type in FIXED_TERM:
        return CONTRACT_ENDED
    return rng.choices(list(REASONS), list(REASONS.values()))[0]
