"""Test fixtures: the app against real SQLite and PostgreSQL, users, and signed-in clients.

Database tests run once per backend (the `backend` parameter). PostgreSQL gets a fresh
database per test session, migrated once; every test starts from empty tables. With
CI=true a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from shre import migrate
from shre.app import create_app
from shre.audit import AuditTrail
from shre.auth.policy import Role
from shre.kit.runtime import Runtime
from shre.models import metadata
from shre.settings import Settings, load_settings
from shre.users.schemas import UserCreate
from shre.users.service import UserService

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


def base_settings(tmp: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "shre_env": "development",
        "database_url": database_url,
        "shre_var_dir": tmp / "var",
        "upload_dir": tmp / "var" / "uploads",
        "encryption_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "jwt_secret": secrets.token_urlsafe(48),
        "log_format": "json",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return load_settings(**values)


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"shre_test_{uuid.uuid4().hex[:10]}"
    try:
        await asyncio.wait_for(_pg_admin(f'CREATE DATABASE "{name}"'), timeout=10)
    except (OSError, TimeoutError, Exception) as exc:
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {type(exc).__name__}: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await migrate.upgrade(base_settings(tmp_path_factory.mktemp("pg"), url))
    yield url
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    tmp = tmp_path_factory.mktemp("sqlite")
    path = tmp / "template.db"
    await migrate.upgrade(base_settings(tmp, f"sqlite+aiosqlite:///{path}"))
    return path


# Every table but the installation's identity: apps started one after the other on this
# database are one installation, as they are in production (their shared cache's keys
# are scoped by it).
TABLES = [t.name for t in reversed(metadata.sorted_tables) if t.name != "installation"]


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


async def empty_tables(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # The audit log refuses TRUNCATE (an append-only trigger); a test starts from empty
            # tables, so triggers are off for this one transaction (a superuser's privilege).
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))


@contextmanager
def statements_sent(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements sent on the runtime's engine while the block runs (the audit
    log's small pool of its own aside), in order, as sent."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)


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


@dataclass
class Account:
    id: uuid.UUID
    email: str
    password: str
    role: Role
    headers: dict[str, str]
    refresh_token: str


class Accounts:
    """Factory for users and signed-in clients."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client

    async def create(self, role: Role, email: str | None = None, **extra: Any) -> uuid.UUID:
        email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        async with self.runtime.sessionmaker() as session:
            audit = AuditTrail.system(session, self.runtime.sessionmaker)
            user = await UserService(session, self.runtime.auth.hasher, audit).create(
                None,
                UserCreate(
                    email=email,
                    password=extra.pop("password", PASSWORD),
                    full_name=extra.pop("full_name", f"Test {role.value}"),
                    role=role,
                    **extra,
                ),
            )
            await session.commit()
            return user.id

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def signed_in(self, role: Role, email: str | None = None) -> Account:
        email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.com"
        user_id = await self.create(role, email)
        tokens = await self.login(email)
        return Account(
            id=user_id,
            email=email,
            password=PASSWORD,
            role=role,
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            refresh_token=tokens["refresh_token"],
        )


@pytest.fixture
def accounts(runtime: Runtime, client: httpx.AsyncClient) -> Accounts:
    return Accounts(runtime, client)


@pytest.fixture
async def admin(accounts: Accounts) -> Account:
    return await accounts.signed_in(Role.ADMIN, "admin@example.com")


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    if code is not None:
        assert body.get("code") == code, body
    return body


@pytest.fixture
def free_port() -> Iterator[int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return port
