"""The size rule of department statistics (`shre.departments.stats.passing`): no group
under five, and no difference between passing departments that isolates one to four."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from shre.departments.stats import MIN_GROUP, passing


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[int, int | None], dict[int, int]]:
    """A forest of up to 12 departments (each parent numbered before its children) and
    how many people belong to each department itself, small numbers weighted in."""
    size = draw(st.integers(1, 12))
    parent_of: dict[int, int | None] = {0: None}
    for node in range(1, size):
        parent_of[node] = draw(st.none() | st.integers(0, node - 1))
    counts = st.one_of(st.integers(0, 6), st.integers(0, 30))
    own = {node: draw(counts) for node in parent_of}
    return parent_of, own


def _descendants(parent_of: dict[int, int | None], node: int) -> set[int]:
    below = {n for n in parent_of if _above(parent_of, n, node)}
    return below - {node}


def _above(parent_of: dict[int, int | None], node: int, ancestor: int) -> bool:
    current: int | None = node
    while current is not None:
        if current == ancestor:
            return True
        current = parent_of[current]
    return False


def _people(parent_of: dict[int, int | None], own: dict[int, int], node: int) -> set[str]:
    """The people of a department's group, as names: `d3#0` is department 3's first."""
    members = {node} | _descendants(parent_of, node)
    return {f"d{d}#{i}" for d in members for i in range(own[d])}


@settings(max_examples=300, deadline=None)
@given(trees())
def test_no_passing_group_is_small_and_residuals_are_empty_or_large(
    tree: tuple[dict[int, int | None], dict[int, int]],
) -> None:
    parent_of, own = tree
    passed = passing(parent_of, own)
    for node in passed:
        group = _people(parent_of, own, node)
        assert len(group) >= MIN_GROUP
        inside = set().union(
            *(_people(parent_of, own, d) for d in _descendants(parent_of, node) & passed)
        )
        assert len(group - inside) == 0 or len(group - inside) >= MIN_GROUP


@settings(max_examples=300, deadline=None)
@given(trees())
def test_no_two_nested_passing_departments_differ_by_one_to_four(
    tree: tuple[dict[int, int | None], dict[int, int]],
) -> None:
    parent_of, own = tree
    passed = passing(parent_of, own)
    for node in passed:
        for below in _descendants(parent_of, node) & passed:
            difference = len(_people(parent_of, own, node)) - len(_people(parent_of, own, below))
            assert not 0 < difference < MIN_GROUP, (node, below, difference)


@settings(max_examples=200, deadline=None)
@given(trees())
def test_taking_any_passing_departments_out_leaves_none_or_five(
    tree: tuple[dict[int, int | None], dict[int, int]],
) -> None:
    """Differencing with several at once: a passing group minus the groups of any set of
    passing departments below it."""
    parent_of, own = tree
    passed = passing(parent_of, own)
    for node in passed:
        below = sorted(_descendants(parent_of, node) & passed)
        for k in range(1, min(len(below), 4) + 1):
            for taken in combinations(below, k):
                rest = _people(parent_of, own, node).difference(
                    *(_people(parent_of, own, d) for d in taken)
                )
                assert len(rest) == 0 or len(rest) >= MIN_GROUP, (node, taken)


@settings(max_examples=200, deadline=None)
@given(trees())
def test_the_rule_is_decided_bottom_up_and_fails_only_for_a_reason(
    tree: tuple[dict[int, int | None], dict[int, int]],
) -> None:
    """A department that fails has a group under five or a residual of one to four; the
    rule withholds nothing else."""
    parent_of, own = tree
    passed = passing(parent_of, own)
    for node in set(parent_of) - passed:
        group = _people(parent_of, own, node)
        inside = set().union(
            *(_people(parent_of, own, d) for d in _descendants(parent_of, node) & passed)
        )
        residual = len(group - inside)
        assert len(group) < MIN_GROUP or 0 < residual < MIN_GROUP


def test_examples() -> None:
    # One person: nothing passes.
    assert passing({"a": None}, {"a": 1}) == set()
    # A parent of 6 over a child of 5: the child passes, the parent would give away one.
    assert passing({"p": None, "c": "p"}, {"p": 1, "c": 5}) == {"c"}
    # A parent of 10 over a child of 5: both.
    assert passing({"p": None, "c": "p"}, {"p": 5, "c": 5}) == {"p", "c"}
    # A child of 4 fails, so the parent's 6 are its residual: the parent passes.
    assert passing({"p": None, "c": "p"}, {"p": 2, "c": 4}) == {"p"}
    # Two children of 5 and nobody else: both and the parent (its residual is empty).
    tree = {"p": None, "a": "p", "b": "p"}
    assert passing(tree, {"a": 5, "b": 5}) == {"p", "a", "b"}
    # A parent outside the map counts as none (a subtree given alone).
    assert passing({"c": "elsewhere"}, {"c": 5}) == {"c"}
