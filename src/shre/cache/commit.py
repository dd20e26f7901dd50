"""What a transaction asks of the cache once it commits: namespaces to invalidate
(`invalidate_on_commit`, or for every ORM write of a watched model, see `Watch`) and rows
changed in place with their new state (`carry_on_commit`). They ride in the session's
state (`shre.db.state_of`) until the unit of work (`shre.uow`) takes them
(`pending_changes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shre.cache.changes import row_change
from shre.db import on, state_of


@dataclass(slots=True)
class Asked:
    """A session's part: the namespaces to invalidate once it commits, and the states
    of the rows changed in place it carries (by their `row_change` name)."""

    namespaces: set[str] = field(default_factory=set)
    carried: dict[str, Any] = field(default_factory=dict)


def invalidate_on_commit(session: AsyncSession | Session, *namespaces: str) -> None:
    """Ask for these namespaces to be invalidated once the session's transaction has
    committed (the request's session dependency and the CLI do it, before replying)."""
    state_of(session).part(Asked).namespaces.update(namespaces)


def carry_on_commit(session: AsyncSession, namespace: str, row_id: object, state: Any) -> None:
    """`invalidate_on_commit(session, row_change(namespace, row_id))`, the change carrying
    the row's `state` as this transaction commits it (the cached form: ciphertext as
    stored, never an opened value), so the entries holding the row are patched from the
    log rather than by reading the row again. Call it after the row's last flush."""
    name = row_change(namespace, row_id)
    asked = state_of(session).part(Asked)
    asked.namespaces.add(name)
    asked.carried[name] = state


def invalidations_asked(session: AsyncSession) -> set[str]:
    """The namespaces asked for so far, left in place (`pending_changes` takes them)."""
    asked = state_of(session).peek(Asked)
    return set() if asked is None else set(asked.namespaces)


def pending_invalidations(session: AsyncSession) -> set[str]:
    """The namespaces asked for, taken (the next transaction starts with none)."""
    return pending_changes(session)[0]


def pending_changes(session: AsyncSession) -> tuple[set[str], dict[str, Any]]:
    """The namespaces asked for and the row states carried, taken (`invalidate`'s
    arguments; the next transaction starts with none)."""
    asked = state_of(session).take(Asked)
    return (set(), {}) if asked is None else (asked.namespaces, asked.carried)


@dataclass(frozen=True, slots=True)
class Watch:
    """Whenever a flush writes rows of `model` (insert, update, delete) through the ORM,
    invalidate `namespaces(row)` once the transaction commits: no write path of that
    model can forget its cache. (Bulk Core statements bypass it: do not use them on
    `model`.) `fields`: of the rows updated, only those where one of these attributes
    changed; new rows are left out then (none can have been read, hence kept, before).
    A domain's cache module declares its watches; `watch` attaches them."""

    model: type[Any]
    namespaces: Callable[[Any], Iterable[str]]
    fields: tuple[str, ...] = ()

    def changed(self, session: Session) -> list[Any]:
        """The rows of `model` this flush wrote that the watch is about."""
        rows = [obj for obj in session.dirty if isinstance(obj, self.model) and self._moved(obj)]
        if not self.fields:
            rows += [obj for obj in session.new if isinstance(obj, self.model)]
        rows += [obj for obj in session.deleted if isinstance(obj, self.model)]
        return rows

    def _moved(self, obj: Any) -> bool:
        if not self.fields:
            return True
        state = inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in self.fields)


def watch(sessionmaker: async_sessionmaker[AsyncSession], watches: Sequence[Watch]) -> None:
    """Have the sessions of `sessionmaker` ask, at each flush, for what `watches` say the
    written rows invalidate."""
    watched = tuple(watches)

    def after_flush(session: Session, _context: Any) -> None:
        for one in watched:
            for obj in one.changed(session):
                invalidate_on_commit(session, *one.namespaces(obj))

    on(sessionmaker, "after_flush", after_flush)
