"""Test fixtures: the app against real SQLite and PostgreSQL, users, signed-in clients,
and files on S3 (SeaweedFS).

Database tests run once per backend (the `backend` parameter). PostgreSQL gets a fresh
database per test session, migrated once; every test starts from empty tables. With
CI=true a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shre import migrate
from shre.api.runtime import Runtime
from shre.app import create_app
from shre.policy import Role
from shre.settings import Settings
from tests.support import servers
from tests.support.accounts import Account, Accounts
from tests.support.app import base_settings
from tests.support.database import PG_ADMIN_URL, empty_tables, pg_admin
from tests.support.servers import S3Server, seaweedfs, unavailable
from tests.support.storage import new_bucket, s3_values

# Files that take minutes (servers, subprocesses) run first: with several pytest
# processes (`make test`, pytest-xdist by file) one of them started last would leave the
# others idle while it finishes alone. (The browser suite keeps its place: its files
# share one server per process, and several browsers at once starve two cores.)
FIRST = (
    "tests/test_cli.py",
    "tests/observability/test_sensitive_values.py",
    "tests/documents/test_permissions.py",
    "tests/jobs/test_worker_process.py",
    "tests/cache/test_sync.py",
    "tests/documents/test_lifecycle.py",
    "tests/documents/test_retraining.py",
    "tests/intelligence/",
    "tests/analytics/test_attrition.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((n for n, first in enumerate(FIRST) if path.startswith(first)), len(FIRST))

    items.sort(key=rank)  # stable: the order within a file, and of the rest, is kept


@pytest.fixture(scope="session")
async def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"shre_test_{uuid.uuid4().hex[:10]}"
    try:
        await asyncio.wait_for(pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except (OSError, TimeoutError, Exception) as exc:
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {type(exc).__name__}: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await migrate.upgrade(base_settings(tmp_path_factory.mktemp("pg"), url))
    yield url
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    tmp = tmp_path_factory.mktemp("sqlite")
    path = tmp / "template.db"
    await migrate.upgrade(base_settings(tmp, f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database for this test: a copy of the SQLite template, or the session's
    PostgreSQL database (emptied by the `app` fixture)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "shre.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    return base_settings(tmp_path, database_url, **settings_overrides)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        await empty_tables(application.state.runtime)
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def accounts(runtime: Runtime, client: httpx.AsyncClient) -> Accounts:
    return Accounts(runtime, client)


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.signed_in(Role.ADMIN, "admin@example.com")


@pytest.fixture
def free_port() -> int:
    return servers.free_port()


# --- files on S3 (the documents, rights and storage suites) ---------------------------
@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One SeaweedFS server for the session (its start is slow), started when a test
    first needs it."""
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def on_s3(storage_backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the storage backend under test (local: none needed; "local+s3":
    files on local storage, S3 configured beside it, as before a migration), with a
    bucket of the test's own."""
    if storage_backend == "local":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_values(server, s3_bucket=new_bucket(server), s3_enabled=storage_backend == "s3")
