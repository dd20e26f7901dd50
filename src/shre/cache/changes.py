"""The change log of rows changed in place: a write that moves no row of any list (a
phone number) logs the row's id (`row_change`) under a counter of the namespace's
changes (`rows_of`) instead of bumping its version; entries read at an older count are
patched from the log (`RowChanges`, `SeenChanges`), or reloaded when it has a gap (it
keeps the newest CHANGE_LOG_KEEP). See `shre.cache.layer` for the whole design."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import orjson

from shre.cache.base import json_text

CHANGE_LOG_KEEP = 1024
RowIds = Callable[[Any], Iterable[str]]


class RowChanges:
    """The rows changed in place over a run of the change log: their ids, and for each the
    states its changes carried (`carry_on_commit`), in the order they were logged."""

    __slots__ = ("_states", "ids")

    def __init__(self, logged: Iterable[tuple[str, Any | None]]) -> None:
        states: dict[str, list[Any | None]] = {}
        for row, state in logged:
            states.setdefault(row, []).append(state)
        self._states = states
        self.ids = frozenset(states)

    def states(self, row: str) -> list[Any] | None:
        """What the changes of `row` carried; None if any carried nothing (or it did not
        change): then only the database can tell how it is now."""
        found = self._states.get(row)
        if found is None or any(state is None for state in found):
            return None
        return found


Patch = Callable[[Any, RowChanges], Awaitable[Any | None]]


def rows_of(namespace: str) -> str:
    """The counter of in-place row changes of a namespace's entries (see `row_change`)."""
    return f"{namespace}.rows"


def row_change(namespace: str, row_id: object) -> str:
    """What to invalidate (`invalidate`, `invalidate_on_commit`) when row `row_id` of the
    entries of `namespace` changed in place: logged, the namespace's entries stay."""
    return f"{namespace}@{row_id}"


def log_entry(row: str, state: Any | None) -> str:
    """A change log entry: the row's id, then (if carried) its state as JSON."""
    return row if state is None else f"{row} {json_text(state)}"


def logged(entry: str) -> tuple[str, Any | None]:
    row, _, state = entry.partition(" ")
    if not state:
        return row, None
    try:
        return row, orjson.loads(state)
    except orjson.JSONDecodeError:
        return row, None  # not ours: read the row again


NO_CHANGES = RowChanges(())


class SeenChanges:
    """A run of the change log as this process read it: the entries after `first` up to
    `last`, each one (decoded once), the newest CHANGE_LOG_KEEP kept."""

    __slots__ = ("first", "last", "rows")

    def __init__(self, first: int) -> None:
        self.first = self.last = first
        self.rows: dict[int, tuple[str, Any | None]] = {}

    def extend(self, found: Sequence[tuple[int, str]]) -> None:
        for value, entry in found:
            self.rows[value] = logged(entry)
            self.last = value
        while len(self.rows) > CHANGE_LOG_KEEP:
            self.first += 1
            self.rows.pop(self.first, None)

    def prepend(self, first: int, found: Sequence[tuple[int, str]]) -> None:
        """The entries after `first` up to the run's start, which becomes `first`."""
        for value, entry in found:
            self.rows[value] = logged(entry)
        self.first = first

    def between(self, after: int, upto: int) -> RowChanges:
        return RowChanges(self.rows[v] for v in range(after + 1, upto + 1))
