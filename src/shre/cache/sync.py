"""Keeping each serving process's cache true to what it cannot see change.

Two things change data behind a serving process's back:

- **Commands** (`shre keys shred`, `shre create-admin --force` …) run in processes of
  their own. They invalidate the shared cache (Redis) directly, and they also leave the
  namespaces they changed in the `cache_invalidations` table, in their own transaction.
  Every serving process reads the new rows every SYNC_EVERY seconds and invalidates those
  namespaces itself: a memory cache, which no command can reach, follows within a
  second, and a Redis the command could not reach is invalidated by the servers.
- **Other serving processes.** A cache of the process's own (memory) cannot see the
  writes of another process. Every serving process therefore registers as a peer of the
  installation (`Peers`: a lock file next to the SQLite database, or a session advisory
  lock on PostgreSQL, which the operating system or the database releases when the
  process dies). A process with a cache of its own serves from it only while it is the
  only peer and its last sync is recent (`trusted`); otherwise it answers from the
  database. A process that joins while another keeps a cache of its own waits before
  serving until that one has stopped trusting its cache (JOIN_WAIT), so no request ever
  reads a copy that could miss a write. When the others are gone, the cache is emptied
  and trusted again.

Nothing here costs a request anything: the checks run in a background task, and a
request only compares a timestamp.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import structlog
from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shre.cache.commit import invalidations_asked
from shre.cache.layer import CacheLayer
from shre.cache.models import CacheInvalidation, Installation
from shre.db import create_engine, create_sessionmaker, sqlite_path, utcnow
from shre.settings import Settings

log = structlog.get_logger("shre.cache")
SYNC_EVERY = 0.5  # seconds between two reads of the invalidations and the peers
# A cache of the process's own is trusted only this long after its last sync: a stalled
# sync (the database down, the event loop blocked) stops it serving.
TRUST_FOR = 3 * SYNC_EVERY
# How long a process joining a peer with a cache of its own waits before it serves: that
# peer's next sync sees it and stops trusting its cache (or its trust runs out).
JOIN_WAIT = TRUST_FOR + 0.25
STOP_WAIT = 5.0  # seconds a sync in progress may take to end when the process stops
KEEP_INVALIDATIONS = timedelta(days=1)  # rows older than this are of no use to anyone


class NotMigrated(Exception):
    """The database has no installation table: `shre migrate` was not run."""


async def installation_id(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """The installation's identity, made by the migration with the database (made here if
    its row was removed: every process then agrees on the one that wins the insert)."""
    async with sessionmaker() as session:
        try:
            found: uuid.UUID | None = await session.scalar(select(Installation.id))
        except DBAPIError:
            await session.rollback()  # PostgreSQL: nothing more runs in a failed transaction
            connection = await session.connection()
            if not await connection.run_sync(lambda c: inspect(c).has_table("installation")):
                raise NotMigrated("the database is not migrated: run `shre migrate`") from None
            raise
        if found is not None:
            return found
        session.add(Installation(one=1, id=uuid.uuid4()))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()  # another process made it first: take theirs
        made: uuid.UUID | None = await session.scalar(select(Installation.id))
        if made is None:
            raise NotMigrated("the installation's identity could not be made")
        return made


def leave_invalidations(session: AsyncSession, namespaces: set[str] | None = None) -> None:
    """Tell the serving processes to invalidate these namespaces (default: those the
    session's changes asked for so far), in the session's transaction. For commands: a
    request's own process invalidates its cache after its commit."""
    names = invalidations_asked(session) if namespaces is None else namespaces
    wanted = sorted({name.partition("@")[0] for name in names})
    if wanted:
        session.add(CacheInvalidation(namespaces=wanted))


async def prune_invalidations(session: AsyncSession) -> None:
    old = CacheInvalidation.created_at < utcnow() - KEEP_INVALIDATIONS
    await session.execute(delete(CacheInvalidation).where(old))


class Feed:
    """The invalidations left after the last one this process applied."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.last = 0
        self.started = False

    async def start(self) -> None:
        async with self.sessionmaker() as session:
            self.last = await session.scalar(select(func.max(CacheInvalidation.seq))) or 0
        self.started = True

    async def new(self) -> set[str]:
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(CacheInvalidation.seq, CacheInvalidation.namespaces)
                    .where(CacheInvalidation.seq > self.last)
                    .order_by(CacheInvalidation.seq)
                )
            ).all()
        namespaces: set[str] = set()
        for seq, names in rows:
            namespaces.update(str(n) for n in names)
            self.last = max(self.last, int(seq))
        return namespaces


@dataclass(frozen=True, slots=True)
class Others:
    """Other serving processes of the installation: any, and any with a private cache."""

    any: bool
    private: bool


NOBODY = Others(any=False, private=False)


class Peers(Protocol):
    """The serving processes of one installation, as each registers itself."""

    async def join(self, *, private: bool) -> None:
        """Register this process (for its lifetime); `private`: it has a cache of its own."""
        ...

    async def others(self) -> Others: ...

    async def leave(self) -> None: ...


class NoPeers:
    """A database no other process can open (SQLite in memory)."""

    async def join(self, *, private: bool) -> None:
        return None

    async def others(self) -> Others:
        return NOBODY

    async def leave(self) -> None:
        return None


class FilePeers:
    """SQLite: every serving process holds an exclusive lock on a file of its own in a
    directory next to the database file (`<db>.serving/`). A file nobody holds a lock on
    is a process that is gone (the kernel releases the lock with the process): removed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd: int | None = None
        self._path: Path | None = None

    async def join(self, *, private: bool) -> None:
        if self._fd is not None:
            return  # joined already (a start that failed later on is tried again)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.{'private' if private else 'shared'}"
        # Locked under a name nobody looks at, then renamed: no other process ever sees
        # the file unlocked and takes it for a dead one.
        staged = self.directory / f"{name}.new"
        fd = os.open(staged, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._path = self.directory / f"{name}.lock"
        os.rename(staged, self._path)
        self._fd = fd

    async def others(self) -> Others:
        alive = private = False
        for path in self.directory.glob("*.lock"):
            if path == self._path:
                continue
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue  # removed meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                alive = True
                private = private or path.name.endswith(".private.lock")
            else:
                with suppress(FileNotFoundError):
                    path.unlink()  # its process is gone
            finally:
                os.close(fd)
        return Others(any=alive, private=private)

    async def leave(self) -> None:
        if self._path is not None:
            with suppress(FileNotFoundError):
                self._path.unlink()
        if self._fd is not None:
            os.close(self._fd)
        self._fd = self._path = None


def _advisory_key(purpose: str, installation: uuid.UUID) -> int:
    digest = hashlib.sha256(f"shre/{purpose}/{installation}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# Whether another session holds the lock: this session holds it shared, and its own locks
# never conflict with each other, so taking it exclusively succeeds only when no other
# session holds it (then it is let go at once).
_OTHERS = """
SELECT
  CASE WHEN pg_try_advisory_lock(:serving) THEN NOT pg_advisory_unlock(:serving) ELSE true END,
  CASE WHEN pg_try_advisory_lock(:private) THEN NOT pg_advisory_unlock(:private) ELSE true END
"""


class AdvisoryPeers:
    """PostgreSQL: every serving process holds a shared session advisory lock (and, with a
    cache of its own, a second one) on a connection of its own, for its lifetime. The
    database releases them when the connection ends (the process died). A lost connection
    is taken again by the next `others`; until then the sync fails, and nothing private
    is trusted."""

    def __init__(self, engine: AsyncEngine, installation: uuid.UUID) -> None:
        self.engine = engine
        self.keys = {
            "serving": _advisory_key("serving", installation),
            "private": _advisory_key("private-cache", installation),
        }
        self._conn: AsyncConnection | None = None
        self._private = False

    async def _connected(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            conn = await self.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text("SELECT pg_advisory_lock_shared(:serving)"),
                {"serving": self.keys["serving"]},
            )
            if self._private:
                await conn.execute(
                    text("SELECT pg_advisory_lock_shared(:private)"),
                    {"private": self.keys["private"]},
                )
            self._conn = conn
        return self._conn

    async def join(self, *, private: bool) -> None:
        self._private = private
        await self._connected()

    async def others(self) -> Others:
        conn = await self._connected()
        try:
            serving, private = (await conn.execute(text(_OTHERS), self.keys)).one()
        except Exception:
            with suppress(Exception):
                await conn.invalidate()
            self._conn = None
            raise
        return Others(any=bool(serving), private=bool(private))

    async def leave(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                await self._conn.close()
            self._conn = None


def peers_for(settings: Settings, engine: AsyncEngine, installation: uuid.UUID) -> Peers:
    """How this installation's serving processes find each other: by files next to a
    SQLite database, by advisory locks on PostgreSQL (a connection of `engine`'s)."""
    if settings.is_sqlite:
        path = sqlite_path(settings.database_url)
        return NoPeers() if path is None else FilePeers(path.with_name(f"{path.name}.serving"))
    return AdvisoryPeers(engine, installation)


def sync_engine(settings: Settings) -> AsyncEngine:
    """The sync's own connections (two at most), apart from the requests' pool: a pool
    that requests have exhausted must not stall the sync (its cache would stop being
    trusted just when it is needed most), and the sync holds none of theirs."""
    return create_engine(settings.model_copy(update={"database_pool_size": 1}))


class CacheSync:
    """The background task of one serving process (see the module's docstring)."""

    def __init__(
        self,
        layer: CacheLayer,
        engine: AsyncEngine,
        peers_for: Callable[[uuid.UUID], Peers],
    ) -> None:
        self.layer = layer
        self.engine = engine  # the sync's own (see `sync_engine`); disposed by `stop`
        self.sessionmaker = create_sessionmaker(engine)
        self.feed = Feed(self.sessionmaker)
        self.peers_for = peers_for
        self.peers: Peers | None = None
        # A cache of this process's own (memory): trusted only under the conditions above.
        self.private = layer.cache.is_enabled() and not layer.cache.shared
        if self.private:
            layer.guard = self.trusted
        self.alone = True
        self.synced_at = -TRUST_FOR  # nothing trusted before the first sync
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def trusted(self) -> bool:
        return self.alone and time.monotonic() - self.synced_at < TRUST_FOR

    async def start(self) -> None:
        """Begin now if the database answers, else in the background as soon as it does
        (the app starts and says it is not ready meanwhile; an unscoped shared cache and an
        untrusted private one serve nothing). A database without migrations stops it."""
        try:
            await self._begin()
        except NotMigrated:
            raise
        except Exception as exc:
            log.warning("cache.sync_deferred", error=type(exc).__name__)
        self._task = asyncio.create_task(self._run())

    async def _begin(self) -> None:
        installation = await installation_id(self.sessionmaker)
        self.layer.cache.scope(installation)
        peers = self.peers or self.peers_for(installation)
        self.peers = peers
        await peers.join(private=self.private)
        await self.feed.start()
        others = await peers.others()
        if self.private and others.any:
            self.alone = False
            log.warning("cache.not_trusted", reason="another process serves this database")
        if others.private:
            # That process trusts its own cache until its next sync: serve after it.
            await self._pause(JOIN_WAIT)
        self.synced_at = time.monotonic()

    async def _pause(self, seconds: float) -> None:
        """Wait this long, or until `stop` is called."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self._pause(SYNC_EVERY)
            if self._stopping.is_set():
                return
            try:
                await (self.sync() if self.feed.started else self._begin())
            except Exception as exc:  # the database away: untrusted until it answers again
                log.warning("cache.sync_failed", error=type(exc).__name__)

    async def sync(self) -> None:
        """Apply the commands' invalidations, and (with a cache of its own) check whether
        this process is still the only one serving. Trusted for TRUST_FOR afterwards."""
        namespaces = await self.feed.new()
        if namespaces:
            await self.layer.invalidate(*namespaces)
            log.info("cache.invalidated_by_command", namespaces=sorted(namespaces))
        if self.private and self.peers is not None:
            others = await self.peers.others()
            if others.any and self.alone:
                self.alone = False
                log.warning("cache.not_trusted", reason="another process serves this database")
                await self.layer.reset()
            elif not others.any and not self.alone:
                await self.layer.reset()  # empty: nothing in it can have missed a write
                self.alone = True
                log.info("cache.trusted", reason="the only process serving this database")
        self.synced_at = time.monotonic()

    async def stop(self) -> None:
        """End the task between two syncs (cancelling it in the middle of a query could
        leave its connection in a state its pool cannot clean up); cancelled only if a
        sync does not end within a few seconds."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT)
            except TimeoutError:
                self._task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self.peers is not None:
            await self.peers.leave()
        await self.engine.dispose()
