"""The `shre` command run as a user runs it, and a real server started the way
`make run` starts it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import Result
from typer.testing import CliRunner

from shre.cli import app as cli
from shre.settings import Settings
from tests.support.app import base_settings
from tests.support.servers import RedisServer, S3Server


def clean_env(**extra: str) -> dict[str, str]:
    names = {f.upper() for f in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(extra)
    return env


def shre(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shre", *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def command_env(settings: Settings, var_dir: Path, **extra: str) -> dict[str, str]:
    """The variables that point a command at a test's database and keys (run it from a
    directory without a .env)."""
    assert settings.encryption_key is not None
    assert settings.jwt_secret is not None
    return {
        "DATABASE_URL": settings.database_url,
        "ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "SHRE_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


async def invoke(environment: dict[str, str], *args: str) -> Result:
    """Run `shre ARGS` in-process, in a worker thread (each command runs its own event
    loop), with typer's CliRunner."""
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, cli, list(args), env=environment)


class Server:
    """`shre serve` in the background. Its output goes to a file, never to a pipe: a pipe
    that nobody reads fills up (64 KB of access log) and the server then blocks on its
    next log line."""

    def __init__(
        self,
        cwd: Path,
        port: int,
        env: dict[str, str],
        *args: str,
        program: tuple[str, ...] = ("-m", "shre"),
    ) -> None:
        """`program`: what Python runs (`-c <a script that ends by running shre's CLI>`
        for a test's own variant of the server)."""
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"shre-serve-{port}.log"
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, *program, "serve", "--port", str(port), *args],
                cwd=cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("server did not start")

    def stop(self) -> str:
        """SIGTERM, as an orchestrator sends it; returns the server's log."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        return self.log.read_text()


def server_env(
    tmp_path: Path, database: str, redis: RedisServer, s3: S3Server, **extra: str
) -> dict[str, str]:
    """The environment of a `shre serve` over PostgreSQL `database`, `redis` and `s3`."""
    settings = base_settings(tmp_path, database)
    return clean_env(
        **command_env(settings, tmp_path / "var", **{"LOG_LEVEL": "INFO", **extra}),
        REDIS_ENABLED="true",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(redis.port),
        S3_ENABLED="true",
        S3_BUCKET=s3.bucket,
        S3_ENDPOINT_URL=s3.endpoint,
        S3_ACCESS_KEY_ID=s3.access_key,
        S3_SECRET_ACCESS_KEY=s3.secret_key,
    )
