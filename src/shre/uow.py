"""One unit of work, for a request and a command alike: a transaction whose audit events
are appended as it commits (`shre.audit.trail.commit`), and whose cache invalidations —
the namespaces its changes asked for, and the rows changed in place with their state as
committed — are applied right after the commit, before anyone is answered.

A request's unit invalidates through the layer (retried if the cache is down: nothing
is served from it meanwhile). A command's unit also leaves the namespaces in the
database, in its own transaction, for the serving processes (`shre.cache.sync`: their
in-process caches, which a command cannot reach), and invalidates the shared cache once,
saying so when it could not (`Invalidated.failed`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shre.audit.trail import commit as commit_with_events
from shre.cache import CacheLayer, pending_changes
from shre.cache.sync import leave_invalidations, prune_invalidations
from shre.kit.errors import DomainError


@dataclass(slots=True)
class Invalidated:
    """What a command's unit could not invalidate in the shared cache (the servers do
    it within a second from what the command left in the database)."""

    failed: list[str] = field(default_factory=list)


async def _finish(session: AsyncSession, cache: CacheLayer, done: Invalidated | None) -> None:
    """Commit with the audit events, then invalidate what the changes asked for. `done`
    given: a command's (leave the namespaces for the servers, invalidate once)."""
    if done is not None:
        await session.flush()  # the flush hooks name what the work changed
        leave_invalidations(session)
    await commit_with_events(session)
    namespaces, carried = pending_changes(session)
    if not namespaces:
        return
    if done is None:
        await cache.invalidate(*namespaces, carried=carried)
    else:
        done.failed += await cache.invalidate_now(*namespaces)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
    cache: CacheLayer,
    *,
    command: Invalidated | None = None,
) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the block ends (with its audit events,
    then its cache invalidations) and rolls back on any exception — except a
    `DomainError` raised with `keep_changes` (a counted failed sign-in, a revoked token
    family), which commits and still propagates. `command`: the unit is a command's (see
    the module's docstring); what it could not invalidate is added to it."""
    async with sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keep_changes:
                await _finish(session, cache, command)
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await _finish(session, cache, command)


async def leave_for_servers(
    sessionmaker: async_sessionmaker[AsyncSession], cache: CacheLayer, namespaces: set[str]
) -> Invalidated:
    """After a command's bulk work, committed in transactions of its own: the namespaces
    left for the serving processes (old notes pruned), and invalidated in the shared
    cache."""
    done = Invalidated()
    async with sessionmaker() as session:
        leave_invalidations(session, namespaces)
        await prune_invalidations(session)
        await session.commit()
    done.failed += await cache.invalidate_now(*namespaces)
    return done
