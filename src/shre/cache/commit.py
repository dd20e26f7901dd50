"""What a transaction asks of the cache once it commits: namespaces to invalidate
(`invalidate_on_commit`, or for every ORM write of a model `invalidate_when_changed`)
and rows changed in place with their new state (`carry_on_commit`). They ride in the
session's `info` until the unit of work (`shre.uow`) takes them (`pending_changes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shre.cache.changes import row_change

INVALIDATE_KEY = "shre.cache.invalidate"


def invalidate_on_commit(session: AsyncSession, *namespaces: str) -> None:
    """Ask for these namespaces to be invalidated once the session's transaction has
    committed (the request's session dependency and the CLI do it, before replying)."""
    session.info.setdefault(INVALIDATE_KEY, set()).update(namespaces)


CARRIED_KEY = "shre.cache.carried"


def carry_on_commit(session: AsyncSession, namespace: str, row_id: object, state: Any) -> None:
    """`invalidate_on_commit(session, row_change(namespace, row_id))`, the change carrying
    the row's `state` as this transaction commits it (the cached form: ciphertext as
    stored, never an opened value), so the entries holding the row are patched from the
    log rather than by reading the row again. Call it after the row's last flush."""
    name = row_change(namespace, row_id)
    invalidate_on_commit(session, name)
    session.info.setdefault(CARRIED_KEY, {})[name] = state


def invalidations_asked(session: AsyncSession) -> set[str]:
    """The namespaces asked for so far, left in place (`pending_changes` takes them)."""
    return set(session.info.get(INVALIDATE_KEY, ()))


def pending_invalidations(session: AsyncSession) -> set[str]:
    """The namespaces asked for, taken (the next transaction starts with none)."""
    return pending_changes(session)[0]


def pending_changes(session: AsyncSession) -> tuple[set[str], dict[str, Any]]:
    """The namespaces asked for and the row states carried, taken (`invalidate`'s
    arguments; the next transaction starts with none)."""
    taken: set[str] = session.info.pop(INVALIDATE_KEY, set())
    carried: dict[str, Any] = session.info.pop(CARRIED_KEY, {})
    return taken, carried


def invalidate_when_changed(
    model: type[Any],
    namespaces: Callable[[Any], Iterable[str]],
    *,
    fields: Iterable[str] = (),
) -> None:
    """Whenever a flush writes rows of `model` (insert, update, delete) through the ORM,
    invalidate `namespaces(row)` once the transaction commits: no write path of that model
    can forget its cache. (Bulk Core statements bypass it: do not use them on `model`.)
    `fields`: of the rows updated, only those where one of these attributes changed;
    new rows are left out then (none can have been read, hence kept, before)."""
    watched = tuple(fields)

    def changed(obj: Any) -> bool:
        if not watched:
            return True
        state = inspect(obj)
        return any(state.attrs[name].history.has_changes() for name in watched)

    @event.listens_for(Session, "after_flush")
    def _changed(session: Session, _context: Any) -> None:
        rows = [obj for obj in session.dirty if isinstance(obj, model) and changed(obj)]
        if not watched:
            rows += [obj for obj in session.new if isinstance(obj, model)]
        rows += [obj for obj in session.deleted if isinstance(obj, model)]
        if rows:
            pending = session.info.setdefault(INVALIDATE_KEY, set())
            for obj in rows:
                pending.update(namespaces(obj))
