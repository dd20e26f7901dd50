"""Migrations on both backends: up from empty, down, up again, and the models match."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from shre import migrate
from shre.db import create_engine
from shre.models import metadata
from shre.settings import Settings
from tests.conftest import PG_ADMIN_URL, _pg_admin, base_settings


@pytest.fixture
def backend_ready(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # PostgreSQL reachable (or skip/fail)
    return backend


@pytest.fixture
async def empty_settings(backend_ready: str, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings pointing at an empty database of the backend under test."""
    if backend_ready == "sqlite":
        yield base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        return
    name = f"shre_mig_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    yield base_settings(tmp_path, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_downgrade_upgrade(empty_settings: Settings) -> None:
    assert await migrate.current_revision(empty_settings) is None
    await migrate.upgrade(empty_settings)
    assert await migrate.current_revision(empty_settings) == migrate.head_revision()
    assert {t.name for t in metadata.sorted_tables} <= await _tables(empty_settings)
    await migrate.upgrade(empty_settings)  # idempotent
    await migrate.downgrade(empty_settings, "base")
    assert await _tables(empty_settings) <= {"alembic_version"}
    await migrate.upgrade(empty_settings)
    assert await migrate.current_revision(empty_settings) == migrate.head_revision()


async def test_models_match_the_migrations(empty_settings: Settings) -> None:
    await migrate.upgrade(empty_settings)
    engine = create_engine(empty_settings)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    engine = create_engine(settings)
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await engine.dispose()
