"""The pay bands' size rule on random organisations: every band shown covers five or
more people, and no band subtracted from another (nor two disjoint ones from a third),
over either grouping and any department, leaves one to four people. Figures match the
standard library's quantiles."""

from __future__ import annotations

import statistics
import uuid
from decimal import Decimal
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from shre.analytics.figures import ORGANISATION, PayTree

TITLES = ("Engineer", "Manager")
CURRENCIES = ("EUR", "USD")


@st.composite
def organisations(
    draw: st.DrawFn,
) -> tuple[dict[uuid.UUID, tuple[str, uuid.UUID | None]], list[tuple[uuid.UUID | None, str, str]]]:
    size = draw(st.integers(1, 7))
    ids = [uuid.UUID(int=i + 1) for i in range(size)]
    departments: dict[uuid.UUID, tuple[str, uuid.UUID | None]] = {}
    for i, department in enumerate(ids):
        parent = draw(st.none() | st.sampled_from(ids[:i])) if i else None
        departments[department] = (f"D{i}", parent)
    where = st.none() | st.sampled_from(ids)
    currency = st.sampled_from(CURRENCIES[:1] * 4 + CURRENCIES[1:])  # mostly one
    person = st.tuples(where, st.sampled_from(TITLES), currency)
    people = draw(st.lists(person, max_size=90))
    return departments, people


def _below(departments: dict[uuid.UUID, tuple[str, uuid.UUID | None]], top: object) -> set[object]:
    if top == ORGANISATION:
        return {None, *departments}
    out = {top}
    changed = True
    while changed:
        changed = False
        for d, (_, parent) in departments.items():
            if parent in out and d not in out:
                out.add(d)
                changed = True
    return out


@settings(max_examples=400, deadline=None)
@given(organisations())
def test_no_band_or_difference_of_bands_isolates_fewer_than_five(
    org: tuple[
        dict[uuid.UUID, tuple[str, uuid.UUID | None]], list[tuple[uuid.UUID | None, str, str]]
    ],
) -> None:
    departments, people = org
    salaries: dict[tuple[uuid.UUID | None, str | None, int], dict[str, list[int]]] = {}
    for n, (department, title, currency) in enumerate(people):
        pay = salaries.setdefault((department, title, 2020 + n % 3), {})
        pay.setdefault(currency, []).append((1000 + n) * 100)  # in hundredths
    tree = PayTree(departments, salaries)
    shown: list[frozenset[int]] = []
    for top in (ORGANISATION, *departments):
        places = _below(departments, top)
        by_title, _ = tree.by_title(top)
        for band in by_title:
            members = frozenset(
                n
                for n, (d, t, c) in enumerate(people)
                if d in places and t == band["group"] and c == band["currency"]
            )
            _check_figures(band, members)
            shown.append(members)
        by_department, _ = tree.by_department(top)
        for band in by_department:
            inside = _below(departments, band["department_id"])
            members = frozenset(
                n for n, (d, _, c) in enumerate(people) if d in inside and c == band["currency"]
            )
            _check_figures(band, members)
            shown.append(members)
    distinct = set(shown)
    for one in distinct:
        assert len(one) >= 5
        inner = [other for other in distinct if other < one]
        for other in inner:
            assert len(one - other) >= 5
        for a, b in combinations(inner, 2):
            if not a & b:
                rest = one - a - b
                assert not rest or len(rest) >= 5


def _check_figures(band: dict[str, object], members: frozenset[int]) -> None:
    values = sorted(Decimal(1000 + n) for n in members)
    assert band["count"] == len(values)
    assert band["min"] == f"{values[0]:.2f}"
    assert band["max"] == f"{values[-1]:.2f}"
    p25, median, p75 = statistics.quantiles(values, n=4, method="inclusive")
    for name, want in (("p25", p25), ("median", median), ("p75", p75)):
        assert band[name] == f"{Decimal(want).quantize(Decimal('0.01')):.2f}", name
