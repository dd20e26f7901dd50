"""Apply Alembic migrations programmatically (`shre migrate`, tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from shre.db import create_engine
from shre.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Tables a migration creates outside the ORM metadata because their shape differs per
# database (the documents' full-text index: an FTS5 table and its shadow tables on SQLite,
# a tsvector table on PostgreSQL). Autogenerate and the schema comparison leave them be.
# The job queue's tables are procrastinate's (PostgreSQL only, from its schema file).
UNMANAGED_TABLE_PREFIXES = ("document_search", "procrastinate_")

# On PostgreSQL, a migration holds this transaction-level advisory lock (per database):
# two `shre migrate` started together (a Job retried while its first pod still runs, two
# Compose stacks on one database) run one after the other, and the second finds nothing
# left to do, instead of both creating the same tables.
MIGRATION_LOCK = 0x73687265_6D696772  # "shremigr"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name` hook: everything but the unmanaged tables."""
    if type_ == "table" and name is not None:
        return not name.startswith(UNMANAGED_TABLE_PREFIXES)
    return True


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(settings: Settings, revision: str = "head") -> str | None:
    """Migrate up to `revision`. A database at a revision this release does not know was
    migrated by a newer release (this is a rollback to older code): nothing is done, and
    that revision is returned (None otherwise)."""
    newer: list[str] = []

    def action(cfg: Config) -> None:
        current = MigrationContext.configure(cfg.attributes["connection"]).get_current_revision()
        if current is not None and current not in _known_revisions():
            newer.append(current)
            return
        command.upgrade(cfg, revision)

    await _run(settings, action)
    return newer[0] if newer else None


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


async def downgrade(settings: Settings, revision: str) -> None:
    await _run(settings, lambda cfg: command.downgrade(cfg, revision))


async def current_revision(settings: Settings) -> str | None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:

            def _current(connection: Connection) -> str | None:
                return MigrationContext.configure(connection).get_current_revision()

            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


async def _run(settings: Settings, action: Callable[[Config], None]) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as conn:

            def _apply(connection: Connection) -> None:
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                cfg = alembic_config()
                cfg.attributes["connection"] = connection
                action(cfg)

            await conn.run_sync(_apply)
    finally:
        await engine.dispose()


async def pending(settings: Settings) -> str | None:
    """Why the database is behind this release's schema (no migrations yet, or an older
    revision), or None: up to date, newer than this release (a rolling deploy's older
    replica), or unreachable (the server starts and reports it is not ready)."""
    try:
        current = await current_revision(settings)
    except (OSError, SQLAlchemyError):
        return None
    head = head_revision()
    if head is None or current == head:
        return None
    if current is None:
        return "the database is not migrated"
    if current in _known_revisions():
        return f"the database is at revision {current}, this release needs {head}"
    return None
