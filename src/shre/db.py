"""Database engine, sessions and the declarative Base shared by every domain."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy import DateTime, Dialect, MetaData, event, func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

from shre.kit.files import private_dirs
from shre.settings import Settings

log = structlog.get_logger("shre.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def upsert(dialect: str) -> Any:
    """The INSERT that takes ON CONFLICT on this database (`dialect.name`)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def _unicode_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # SQLite's own lower() folds ASCII only; PostgreSQL's folds all of Unicode. Searches
    # (`q`) must behave the same on both, so SQLite gets Python's.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite URL, or None for in-memory databases."""
    _, _, rest = url.partition(":///")
    path = rest.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


# What SQLite keeps beside the database file; it gives each the database file's mode.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_sqlite_file(path: Path) -> None:
    """The database file readable by its owner only (0600), like the keys and uploads:
    created so before SQLite would create it 0644 (its -wal, -shm and -journal files then
    take that mode), an existing one and its side files tightened. A directory made
    here (and any above it) is 0700."""
    private_dirs(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDE_FILES)):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file: say so, SQLite may still open it
            log.warning("database.file_mode_not_tightened", path=str(file))


def lock_wait_settings(lock_timeout_ms: int) -> dict[str, str]:
    """PostgreSQL settings (`create_engine`'s `server_settings`) that bound how long each
    statement waits for a lock: past it, it fails (SQLSTATE 55P03, `is_lock_timeout`)."""
    return {"lock_timeout": f"{lock_timeout_ms}ms"}


def create_engine(
    settings: Settings, *, server_settings: dict[str, str] | None = None
) -> AsyncEngine:
    """The engine; `server_settings`: more PostgreSQL settings for its every connection."""
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.database_echo, "hide_parameters": True}
    if settings.is_sqlite:
        path = sqlite_path(url)
        if path is not None:
            private_sqlite_file(path)
    else:
        kwargs.update(
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout_ms / 1000,
            pool_recycle=1800,
            # OLTP: JIT compilation costs more than it saves on short queries.
            connect_args={"server_settings": {"jit": "off", **(server_settings or {})}},
        )
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        ping_when_idle(engine)
    return engine


# A pooled connection unused this long is checked (a ping) before it is lent again.
PING_AFTER_IDLE_SECONDS = 2.0
_IDLE_SINCE = "shre.idle_since"


def ping_when_idle(engine: AsyncEngine) -> None:
    """Lend a pooled connection that sat idle for PING_AFTER_IDLE_SECONDS only after a
    ping; one that failed it means the server went away meanwhile (a restart, a
    firewall's idle cut), so every connection pooled before is replaced.

    SQLAlchemy's `pool_pre_ping` pings at every checkout, which with asyncpg is three
    round trips (BEGIN, a statement, ROLLBACK) before the request's own: a third of the
    round trips of an audited read. A connection lent and returned a moment ago is as
    sure as a ping would make it; if the server went down since, the statement fails as
    a disconnect, which invalidates the whole pool, and the request is answered 503
    `database_unavailable` with Retry-After (`shre.kit.problems`)."""

    def checkin(dbapi_connection: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(
        dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _: PoolProxiedConnection
    ) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new, or lent a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise InvalidatePoolError("the database went away while the connection idled") from exc

    event.listen(engine.sync_engine, "checkin", checkin)
    event.listen(engine.sync_engine, "checkout", checkout)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions over `engine`, of a session class of their own: the hooks a unit of work
    needs (the audit log's, the cache's, the uploads') are attached to it explicitly by
    whoever builds the runtime (`on`), never to every session of the process. Its
    sessions refuse to write once marked read-only (`read_only_session`)."""
    kind = type("UnitSession", (Session,), {"__doc__": "A session of one sessionmaker."})
    sessionmaker = async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=kind
    )
    on(sessionmaker, "before_flush", _refuse_flush)
    on(sessionmaker, "do_orm_execute", _refuse_dml)
    return sessionmaker


def on(sessionmaker: async_sessionmaker[AsyncSession], name: str, hook: Callable[..., Any]) -> None:
    """Attach `hook` to session event `name` of this sessionmaker's sessions only (call it
    once per sessionmaker and hook). (No `event.contains` check: SQLAlchemy keys its
    registry by the target's id, which a new session class may reuse from a collected
    one, and would then answer for a class that has no listener.)"""
    event.listen(sessionmaker.kw["sync_session_class"], name, hook)


T = TypeVar("T")


@dataclass(slots=True)
class SessionState:
    """What rides with one session until its unit of work ends (`state_of`): whether it
    only reads, and a typed part per concern that carries something to the commit (the
    audit events pending, the cache invalidations asked for, the files an upload
    stored), each a class of the module that owns it, taken by its type."""

    read_only: bool = False
    parts: dict[type[Any], Any] = field(default_factory=dict)

    def part(self, kind: type[T]) -> T:
        """The session's `kind` part, made (empty) on first use."""
        found = self.parts.get(kind)
        if found is None:
            found = self.parts[kind] = kind()
        return cast(T, found)

    def peek(self, kind: type[T]) -> T | None:
        return cast("T | None", self.parts.get(kind))

    def take(self, kind: type[T]) -> T | None:
        """The session's `kind` part, removed from it (None if it had none)."""
        return cast("T | None", self.parts.pop(kind, None))


# The one key of session.info this code uses for a session's own state.
_STATE = "shre.state"


def state_of(session: Session | AsyncSession) -> SessionState:
    """The session's state (see SessionState), made on first use."""
    state = session.info.get(_STATE)
    if state is None:
        state = session.info[_STATE] = SessionState()
    return cast(SessionState, state)


def read_only_session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session for a request that only reads: it has no commit to wait for, so whoever
    opens it need only close it. Writing in it is a bug, refused at once (RuntimeError),
    not lost silently when it is closed."""
    session = sessionmaker()
    state_of(session).read_only = True
    return session


def is_read_only(session: Session | AsyncSession) -> bool:
    state = session.info.get(_STATE)
    return state is not None and cast(SessionState, state).read_only


def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    if is_read_only(session):
        raise RuntimeError("this session only reads: write in a request's DbSession")


def _refuse_dml(state: ORMExecuteState) -> None:
    if not state.is_select and is_read_only(state.session):
        raise RuntimeError("this session only reads: write in a request's DbSession")


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def refresh_statistics(
    sessionmaker: async_sessionmaker[AsyncSession], tables: tuple[str, ...]
) -> None:
    """After a bulk load or rewrite, give PostgreSQL fresh statistics and a clean
    visibility map (fast index-only counts) at once, as autovacuum would later."""
    engine: AsyncEngine = sessionmaker.kw["bind"]
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables:
            await conn.execute(text(f"VACUUM ANALYZE {table}"))
