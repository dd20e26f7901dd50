"""`shre worker` processes on PostgreSQL: a worker killed in the middle of a job loses
nothing (another worker runs it again once the dead one's heartbeat is stale), and the
command refuses SQLite, whose queue lives in the server's memory."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from shre.api.runtime import Runtime
from shre.settings import Settings
from tests.support.cli import clean_env, command_env, shre
from tests.support.jobs import add_task, settle

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def backend() -> str:
    return "postgres"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"job_stalled_after_seconds": 2, "job_max_attempts": 1}


def _worker(settings: Settings, tmp_path: Path, marks: Path) -> subprocess.Popen[bytes]:
    env = clean_env(**command_env(settings, tmp_path / "var", JOB_STALLED_AFTER_SECONDS="2"))
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.blocking_worker", str(marks)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the worker exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} did not appear in {timeout} s")
        time.sleep(0.1)


async def test_a_worker_killed_mid_job_loses_nothing(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    document_id = str(uuid.uuid4())
    job_id = await runtime.queue.defer("test.block", document_id=document_id)

    first = _worker(settings, tmp_path, marks)
    try:
        _wait_for(marks / f"{document_id}.started", first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    running = await runtime.queue.job(job_id)
    assert running is not None
    assert running.status == "doing"  # the dead worker's, for now
    await asyncio.sleep(2.5)  # its heartbeat is stale now (JOB_STALLED_AFTER_SECONDS=2)

    second = _worker(settings, tmp_path, marks)
    try:
        _wait_for(marks / f"{document_id}.done", second)
        assert (marks / f"{document_id}.done").read_text() == str(second.pid)
        deadline = time.monotonic() + 10
        while await runtime.queue.job(job_id) is not None:  # succeeded: not kept
            assert time.monotonic() < deadline, await runtime.queue.job(job_id)
            await asyncio.sleep(0.1)
        assert await runtime.queue.jobs(status="failed") == []
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=15)
        finally:
            if second.poll() is None:
                second.kill()
    assert second.returncode == 0  # SIGTERM: a graceful stop


def test_the_worker_command_needs_postgresql(tmp_path: Path) -> None:
    env = clean_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/shre.db", SHRE_VAR_DIR=str(tmp_path)
    )
    result = shre(tmp_path, "worker", env=env)
    assert result.returncode == 2
    assert "a separate worker needs PostgreSQL" in result.stderr
    listed = shre(tmp_path, "jobs", "list", env=env)
    assert listed.returncode == 2
    assert "GET /api/v1/admin/jobs" in listed.stderr


async def test_failed_jobs_are_listed_and_retried_from_the_command_line(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    async def broken(_runtime: Runtime, document_id: str) -> None:
        raise ValueError("cannot")

    add_task(runtime, "test.broken", broken)
    document_id = str(uuid.uuid4())
    job_id = await runtime.queue.defer("test.broken", document_id=document_id)
    failed = await settle(runtime, job_id)
    assert failed is not None
    assert failed.status == "failed"
    env = clean_env(**command_env(settings, tmp_path / "var"))

    listed = shre(tmp_path, "jobs", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["task"], r["status"], r["args"]) for r in rows] == [
        (job_id, "test.broken", "failed", {"document_id": document_id})
    ]
    retried = shre(tmp_path, "jobs", "retry", str(job_id), env=env)
    assert retried.returncode == 0, retried.stderr
    assert f"job {job_id} (test.broken) is due again" in retried.stdout
    job = await runtime.queue.job(job_id)
    assert job is not None
    assert job.status == "todo"
    again = shre(tmp_path, "jobs", "retry", str(job_id), env=env)
    assert again.returncode == 1
    assert "only a failed job can be retried" in again.stderr
    missing = shre(tmp_path, "jobs", "retry", "999999999", env=env)
    assert missing.returncode == 1
    assert "no job 999999999" in missing.stderr


ALIVE_IN_POD = "/tmp/shre-worker.alive"  # noqa: S108 - the pod's own emptyDir /tmp


def _probe(alive: Path) -> int:
    """The worker's liveness probe, as deploy/kubernetes/base/worker.yaml runs it."""
    manifest = yaml.safe_load_all((ROOT / "deploy/kubernetes/base/worker.yaml").read_text())
    (deployment,) = (o for o in manifest if o and o["kind"] == "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"][-2:] == ["--alive-file", ALIVE_IN_POD]
    command = container["livenessProbe"]["exec"]["command"]
    assert command[0] == "python"
    assert command[-1] == ALIVE_IN_POD
    argv = [sys.executable, *command[1:-1], str(alive)]
    return subprocess.run(argv, check=False, timeout=30).returncode


def _shre_worker(settings: Settings, tmp_path: Path, alive: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "shre", "worker", "--alive-file", str(alive)],
        cwd=tmp_path,
        env=clean_env(**command_env(settings, tmp_path / "var")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_a_hung_worker_fails_its_liveness_probe(settings: Settings, tmp_path: Path) -> None:
    alive = tmp_path / "alive"
    worker = _shre_worker(settings, tmp_path, alive)
    try:
        assert _probe(alive) != 0  # not started yet: the startup probe waits
        _wait_for(alive, worker)
        assert _probe(alive) == 0
        worker.send_signal(signal.SIGSTOP)  # hung: its loop no longer turns
        stale = time.time() - 60
        os.utime(alive, (stale, stale))
        await asyncio.sleep(6)  # longer than its period: nothing touched the file
        assert _probe(alive) != 0
        worker.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 15
        while _probe(alive) != 0:  # turning again: touched within its period
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=15)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
