"""Migrations on both backends: up from empty, down, up again, and the models match."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from shre import migrate
from shre.app import build_runtime
from shre.db import create_engine
from shre.employees.keys import count_clear_currencies
from shre.employees.models import Employee
from shre.employees.vault import EmployeeVault
from shre.models import metadata
from shre.settings import Settings
from shre.users.models import RefreshToken, User
from tests.support.app import base_settings
from tests.support.cli import clean_env, shre
from tests.support.database import PG_ADMIN_URL, pg_admin


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
    await pg_admin(f'CREATE DATABASE "{name}"')
    yield base_settings(tmp_path, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite is one process's database
async def test_migrations_started_together_run_one_after_the_other(
    empty_settings: Settings,
) -> None:
    # Migrators at once (a retried Job beside its first pod): without the advisory lock
    # the second fails creating a table the first just created, or they wait on each
    # other for good.
    together = asyncio.gather(*(migrate.upgrade(empty_settings) for _ in range(3)))
    await asyncio.wait_for(together, timeout=120)
    assert await migrate.current_revision(empty_settings) == migrate.head_revision()


async def test_older_code_leaves_a_newer_schema_alone(
    empty_settings: Settings, tmp_path: Path
) -> None:
    # A rollback: the previous release's init container runs `shre migrate` on a database
    # a newer release migrated. It must succeed without touching it (and say so).
    await migrate.upgrade(empty_settings)
    engine = create_engine(empty_settings)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'"))
    await engine.dispose()
    assert await migrate.upgrade(empty_settings) == "f0f0f0f0f0f0"
    assert await migrate.current_revision(empty_settings) == "f0f0f0f0f0f0"
    assert await migrate.pending(empty_settings) is None  # and `shre serve` starts
    env = clean_env(DATABASE_URL=empty_settings.database_url, SHRE_VAR_DIR=str(tmp_path / "var"))
    result = shre(tmp_path, "migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "at revision f0f0f0f0f0f0, which a newer release applied" in result.stderr


async def test_models_match_the_migrations(empty_settings: Settings) -> None:
    await migrate.upgrade(empty_settings)
    engine = create_engine(empty_settings)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": migrate.include_name}
        )
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


async def test_upgrade_seals_salary_currencies_left_in_clear(
    empty_settings: Settings, tmp_path: Path
) -> None:
    """0004 moves the clear currency codes into the sealed column; `shre migrate` then
    seals them (the migration never sees the keys) and the API reads them back."""
    await migrate.upgrade(empty_settings, "20261125_0003")
    engine = create_engine(empty_settings)
    ids = [uuid.uuid4(), uuid.uuid4()]
    async with engine.begin() as conn:
        for n, (employee_id, currency) in enumerate(zip(ids, ["EUR", None], strict=True)):
            await conn.execute(
                text(
                    "INSERT INTO employees (id, employee_number, first_name, last_name, email,"
                    " employment_type, status, hire_date, salary_currency, version, created_at,"
                    " updated_at) VALUES (:id, :number, 'Ada', 'Clear', :email, 'full_time',"
                    " 'active', '2020-01-01', :currency, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {
                    "id": employee_id.hex if conn.dialect.name == "sqlite" else employee_id,
                    "number": f"E{n}",
                    "email": f"e{n}@example.com",
                    "currency": currency,
                },
            )
    await engine.dispose()

    env = clean_env(
        DATABASE_URL=empty_settings.database_url,
        ENCRYPTION_KEY=empty_settings.encryption_key.get_secret_value(),  # type: ignore[union-attr]
        JWT_SECRET=secrets.token_urlsafe(48),
        SHRE_VAR_DIR=str(tmp_path / "var"),
    )
    result = shre(tmp_path, "migrate", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 clear values encrypted" in result.stdout

    runtime = build_runtime(empty_settings)
    try:
        async with runtime.sessionmaker() as session:
            people = {e.id: e for e in (await session.execute(select(Employee))).scalars()}
            sealed = people[ids[0]].salary_currency_enc
            assert sealed is not None
            assert len(sealed) > 40
            assert runtime.part(EmployeeVault).open(
                people[ids[0]], frozenset({"salary_currency"})
            ) == {"salary_currency": "EUR"}
            assert people[ids[1]].salary_currency_enc is None
            assert await count_clear_currencies(session) == 0
    finally:
        await runtime.engine.dispose()
    # Nothing left to do: a second run seals nothing and says nothing about it.
    again = shre(tmp_path, "migrate", env=env)
    assert again.returncode == 0, again.stderr
    assert "encrypted" not in again.stdout
    # The old schema kept currencies in clear: going back over sealed values is refused.
    with pytest.raises(RuntimeError, match="currencies are sealed"):
        await migrate.downgrade(empty_settings, "20261125_0003")


async def test_0009_rewrites_the_sqlite_search_index_without_the_order_of_words(
    tmp_path: Path,
) -> None:
    """Rows indexed before 0009 kept the words in their order: the upgrade sorts them, and
    the index still finds the documents."""
    settings = base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await migrate.upgrade(settings, "20261126_0006")
    engine = create_engine(settings)
    ordered = {
        "a": "anna was rated poor because she missed every deadline",
        "b": "the team lost trust in the plan the team made",
    }
    async with engine.begin() as conn:
        for document_id, terms in ordered.items():
            await conn.execute(
                text("INSERT INTO document_search (document_id, terms) VALUES (:id, :terms)"),
                {"id": document_id, "terms": terms},
            )
    await engine.dispose()

    await migrate.upgrade(settings, "20261205_0009")
    engine = create_engine(settings)
    async with engine.connect() as conn:
        stored = dict(
            (await conn.execute(text("SELECT document_id, terms FROM document_search"))).all()
        )
        hits = (
            await conn.execute(
                text("SELECT document_id FROM document_search WHERE document_search MATCH :q"),
                {"q": '"deadline" "anna"'},
            )
        ).all()
    await engine.dispose()
    assert stored == {k: " ".join(sorted(set(v.split()))) for k, v in ordered.items()}
    assert stored["b"] == "in lost made plan team the trust"
    assert [row[0] for row in hits] == ["a"]
    await migrate.downgrade(settings, "20261126_0006")  # a no-op, allowed


async def test_token_epochs_keep_the_sessions_signed_in_before(empty_settings: Settings) -> None:
    """20261205_0008: sessions begun before it keep refreshing (epoch 0 on both sides),
    each family starts at its oldest token; going back ends every access token (the old
    release cannot tell sessions apart) and keeps the refresh tokens."""
    before = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("20261205_0008")
    await migrate.upgrade(empty_settings, str(before.down_revision))
    engine = create_engine(empty_settings)
    started = datetime(2026, 11, 30, 9, 0, 0, 123456, tzinfo=UTC)
    user, family, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tokens = [(family, started + timedelta(hours=h)) for h in (2, 0, 1)]
    tokens.append((other, started + timedelta(days=1)))
    async with engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"

        def key(value: uuid.UUID) -> object:
            return value.hex if sqlite else value

        def when(value: datetime) -> object:  # as UTCDateTime stores it
            return value.replace(tzinfo=None) if sqlite else value

        await conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, full_name, role, is_active,"
                " password_changed_at, tokens_valid_after, version, created_at, updated_at)"
                " VALUES (:id, 'old@example.com', 'x', 'Old', 'employee', true, :at, :at, 1,"
                " :at, :at)"
            ),
            {"id": key(user), "at": when(started)},
        )
        for n, (family_id, created) in enumerate(tokens):
            await conn.execute(
                text(
                    "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at,"
                    " expires_at) VALUES (:id, :user, :family, :hash, :at, :expires)"
                ),
                {
                    "id": key(uuid.uuid4()),
                    "user": key(user),
                    "family": key(family_id),
                    "hash": f"{n:064d}",
                    "at": when(created),
                    "expires": when(created + timedelta(days=7)),
                },
            )
    await engine.dispose()

    await migrate.upgrade(empty_settings)
    runtime = build_runtime(empty_settings)
    try:
        async with runtime.sessionmaker() as session:
            assert (await session.get(User, user)).token_epoch == 0  # type: ignore[union-attr]
            rows = (await session.execute(select(RefreshToken))).scalars().all()
            assert {(r.family_id, r.family_started_at, r.token_epoch) for r in rows} == {
                (family, started, 0),
                (other, started + timedelta(days=1), 0),
            }
    finally:
        await runtime.engine.dispose()

    await migrate.downgrade(empty_settings, str(before.down_revision))
    engine = create_engine(empty_settings)
    async with engine.connect() as conn:
        cutoff = (await conn.execute(text("SELECT tokens_valid_after FROM users"))).scalar_one()
        assert cutoff is not None
        count = text("SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL")
        assert (await conn.execute(count)).scalar_one() == 4
    await engine.dispose()
