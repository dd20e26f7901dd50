"""A redis-server of the tests' own for the session, and both cache backends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from shre.cache import Cache, MemoryCache
from tests.support.cache import redis_cache
from tests.support.servers import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        backend: Cache = MemoryCache(max_entries=1000)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        if server.process is None:
            server.start()
        backend = redis_cache(server)
    yield backend
    await backend.flush_all()
    await backend.close()
