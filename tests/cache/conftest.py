"""A redis-server of the tests' own on a free port (so it can be stopped and started
mid-test without touching the machine's Redis), and both cache backends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shre.cache import Cache, CacheLayer, MemoryCache, RedisCache
from shre.cache.breaker import CircuitBreaker
from tests.conftest import unavailable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                str(binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                    return
            except OSError:
                time.sleep(0.025)
        unavailable(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.port, socket_timeout=2)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def redis_cache(server: RedisServer, *, prefix: str | None = None, **breaker: float) -> RedisCache:
    """A cache as the app builds it (RedisCache.connect), on the tests' server."""
    return RedisCache.connect(
        host="127.0.0.1",
        port=server.port,
        prefix=prefix or f"shre-test-{uuid.uuid4().hex[:8]}:",
        breaker=CircuitBreaker(**breaker),  # type: ignore[arg-type]
    )


def processes(server: RedisServer, namespace: str) -> tuple[CacheLayer, CacheLayer]:
    """Two cache layers as two app processes build them, sharing one Redis (keys under
    a prefix of their own)."""
    prefix = f"shre-test-{uuid.uuid4().hex[:8]}:"
    one, other = (CacheLayer(redis_cache(server, prefix=prefix), {namespace: 60}) for _ in "12")
    return one, other


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
