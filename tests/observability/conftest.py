"""The real servers behind a `shre serve` of the observability tests: a PostgreSQL
database, a Redis and an S3 server (SeaweedFS) of their own (`tests.support.cli.
server_env` points a server at them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.database import own_database
from tests.support.servers import RedisServer, S3Server, seaweedfs


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[str]:
    """A PostgreSQL database of this module's own (its server writes into it)."""
    async with own_database("shre_tracing") as url:
        yield url


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
