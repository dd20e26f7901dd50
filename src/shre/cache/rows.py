"""ORM rows as plain JSON-shaped dicts and back, for caches: every column as stored
(ciphertext stays ciphertext), converted back to the column's Python type on the way in.
The rows that come back are detached: read them, never add them to a session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Date, DateTime, Uuid, inspect
from sqlalchemy.orm import DeclarativeBase, configure_mappers
from sqlalchemy.orm.attributes import manager_of_class
from sqlalchemy.types import NullType

from shre.db import UTCDateTime

M = TypeVar("M", bound=DeclarativeBase)


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    """From JSON (or already the right type, as a value fresh from the loader is); None
    for types JSON carries as they are."""
    if isinstance(column_type, Uuid):
        return lambda v: v if isinstance(v, uuid.UUID) else uuid.UUID(v)
    if isinstance(column_type, UTCDateTime | DateTime):
        return lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(v)
    if isinstance(column_type, Date):
        return lambda v: v if isinstance(v, date) else date.fromisoformat(v)
    return None


class RowCodec(Generic[M]):
    def __init__(self, model: type[M], *, leave_out: frozenset[str] = frozenset()) -> None:
        self.model = model
        self.leave_out = leave_out
        self._manager = manager_of_class(model)
        self._columns: list[str] | None = None
        self._typed: list[tuple[str, Callable[[Any], Any]]] = []

    def _resolve(self) -> list[str]:
        """The columns and their converters, worked out on first use: a foreign key's
        column has no type of its own until the table it points to is known, which may be
        after this codec was made (at import)."""
        if self._columns is None:
            # A process may serve a cached row before its first query: the mappers must be
            # configured before an instance is made without the ORM's constructor.
            configure_mappers()
            table = self.model.__table__
            columns = [
                c for c in table.columns if c.key is not None and c.key not in self.leave_out
            ]
            typed = []
            for column in columns:
                target = column.type
                if isinstance(target, NullType) and column.foreign_keys:
                    target = next(iter(column.foreign_keys)).column.type
                convert = _converter(target)
                if convert is not None:
                    typed.append((column.key, convert))
            self._typed = typed
            self._columns = [c.key for c in columns]
        return self._columns

    def dump(self, row: M) -> dict[str, Any]:
        return {key: getattr(row, key) for key in self._resolve()}

    def dump_loaded(self, row: M) -> dict[str, Any] | None:
        """`dump(row)` if each of its columns is loaded, else None (one expired by a commit
        or computed by the database): it never makes the ORM read anything."""
        state = inspect(row)
        missing = state.unloaded | state.expired_attributes
        if any(key in missing for key in self._resolve()):
            return None
        return self.dump(row)

    def load_for_reading(self, values: dict[str, Any], *, typed: frozenset[str]) -> M:
        """A plain object with the row's attributes, only the `typed` columns converted
        back to their Python type (the others stay as JSON has them: a UUID or a date as
        text, which a JSON response writes the same). For hot read paths that only read
        attributes and answer with them; it is not an ORM instance at all."""
        row = SimpleNamespace(**{key: values.get(key) for key in self._resolve()})
        for key, convert in self._typed:
            if key in typed and getattr(row, key) is not None:
                setattr(row, key, convert(getattr(row, key)))
        return cast(M, row)

    def load(self, values: dict[str, Any]) -> M:
        # A transient instance filled in place: the ORM's constructor fires an event per
        # attribute, which costs more than the whole rest of a cached list page.
        row: M = self._manager.new_instance()
        state = row.__dict__
        for key in self._resolve():
            state[key] = values.get(key)
        for key, convert in self._typed:
            if state[key] is not None:
                state[key] = convert(state[key])
        return row
