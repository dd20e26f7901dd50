"""The change log of rows changed in place: a write that moves no row of any list (a
phone number) logs the row's id (`row_change`) under a counter of the namespace's
changes (`rows_of`) instead of bumping its version; entries read at an older count are
patched from the log (`RowChanges`, `SeenChanges`), or reloaded when it has a gap (it
keeps the newest CHANGE_LOG_KEEP). See `shre.cache.layer` for the whole design."""

from __future__ import annotations

from bisect import bisect_right
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
    `last`, each one (decoded once), the newest CHANGE_LOG_KEEP kept; and for each row the
    counts it changed at, so that whether an entry's rows changed since it was read costs
    a look-up per row, not a walk over every change since."""

    __slots__ = ("_at", "first", "last", "rows")

    def __init__(self, first: int) -> None:
        self.first = self.last = first
        self.rows: dict[int, tuple[str, Any | None]] = {}
        self._at: dict[str, list[int]] = {}  # row -> the counts it changed at, ascending

    def extend(self, found: Sequence[tuple[int, str]]) -> None:
        """The entries after the run's end (any other of `found` is in it already: read
        by another request meanwhile)."""
        for value, entry in found:
            if value <= self.last:
                continue
            change = self.rows[value] = logged(entry)
            self._at.setdefault(change[0], []).append(value)
            self.last = value
        while len(self.rows) > CHANGE_LOG_KEEP:
            self.first += 1
            gone = self.rows.pop(self.first, None)
            if gone is not None:
                counts = self._at[gone[0]]
                del counts[0]  # its oldest
                if not counts:
                    del self._at[gone[0]]

    def prepend(self, first: int, found: Sequence[tuple[int, str]]) -> None:
        """The entries after `first` up to the run's start, which becomes `first`."""
        older: dict[str, list[int]] = {}
        for value, entry in found:
            if not first < value <= self.first:
                continue  # in the run already (another request grew it meanwhile)
            change = self.rows[value] = logged(entry)
            older.setdefault(change[0], []).append(value)
        for row, counts in older.items():
            self._at[row] = counts + self._at.get(row, [])
        self.first = min(self.first, first)

    def since(self, after: int, upto: int) -> LogRun:
        return LogRun(self, after, upto)


class LogRun:
    """The changes logged after `after` up to `upto` (within a `SeenChanges`)."""

    __slots__ = ("_changes", "_seen", "after", "upto")

    def __init__(self, seen: SeenChanges | None, after: int, upto: int) -> None:
        self._seen = seen
        self.after = after
        self.upto = upto
        self._changes: RowChanges | None = None

    def touches(self, rows: Iterable[str]) -> bool:
        """Whether any of `rows` changed in this run."""
        if self._seen is None or self.after >= self.upto:
            return False
        at = self._seen._at
        for row in rows:
            counts = at.get(row)
            if counts:
                i = bisect_right(counts, self.after)
                if i < len(counts) and counts[i] <= self.upto:
                    return True
        return False

    def changes(self) -> RowChanges:
        """Every row changed in the run, with what its changes carried."""
        if self._changes is None:
            if self._seen is None:
                self._changes = NO_CHANGES
            else:
                rows = self._seen.rows
                self._changes = RowChanges(rows[v] for v in range(self.after + 1, self.upto + 1))
        return self._changes


NOTHING_SINCE = LogRun(None, 0, 0)
