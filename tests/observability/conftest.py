"""The real servers behind a `shre serve` of the observability tests: a PostgreSQL
database, a Redis and an S3 server (SeaweedFS) of their own (`tests.support.cli.
server_env` points a server at them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.database import PG_ADMIN_URL, pg_admin
from tests.support.servers import RedisServer, S3Server, seaweedfs, unavailable


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[str]:
    """A PostgreSQL database of this module's own (its server writes into it)."""
    name = f"shre_tracing_{uuid.uuid4().hex[:10]}"
    try:
        await pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure to reach it: skipped, or failed in CI
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
