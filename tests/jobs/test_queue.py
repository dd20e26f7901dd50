"""The job queue on both backends: jobs ride with their transaction, carry ids only, are
retried with a doubling wait, and one that keeps failing waits for an admin's retry."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from shre.api.runtime import Runtime
from shre.policy import Role
from shre.queue import job_args
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.jobs import add_task, calls_recorder, settle, until, work_off


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"job_max_attempts": 3, "job_retry_wait_seconds": 1}


def runs(task: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("shre_jobs_total", {"task": task, "outcome": outcome}) or 0.0


@pytest.mark.parametrize(
    "value",
    ["Jane Doe", "jane@example.com", "DE89 3704 0044 0532 0130 00", "x" * 65, 1.5, True, b"id"],
)
def test_a_job_carries_ids_only(value: object) -> None:
    with pytest.raises(TypeError, match="ids and short tokens only"):
        job_args(value=value)  # type: ignore[arg-type]


def test_ids_and_tokens_pass() -> None:
    some = uuid.uuid4()
    assert job_args(document_id=some, version=3, mode="full", skipped=None) == {
        "document_id": str(some),
        "version": 3,
        "mode": "full",
    }


async def test_a_job_is_kept_with_its_commit_and_dropped_with_its_rollback(
    runtime: Runtime,
) -> None:
    calls, record = calls_recorder()
    add_task(runtime, "test.record", record)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    async with runtime.sessionmaker() as session, session.begin():
        await runtime.queue.defer_in(session, "test.record", document_id=kept)

    async def fails() -> None:
        async with runtime.sessionmaker() as session, session.begin():
            await runtime.queue.defer_in(session, "test.record", document_id=dropped)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await fails()

    async def ran() -> bool:
        await work_off(runtime)
        return bool(calls)

    await until(ran, what="the committed job to run")
    await work_off(runtime)
    assert calls == [{"document_id": str(kept)}]
    assert await runtime.queue.jobs() == []  # a job that succeeded is not kept


async def test_a_failing_job_is_retried_after_doubling_waits_then_left_for_an_admin(
    runtime: Runtime, accounts: Accounts, admin: Account, client: httpx.AsyncClient
) -> None:
    started: list[float] = []
    fixed = False

    async def flaky(_runtime: Runtime, document_id: str) -> None:
        started.append(time.monotonic())
        if not fixed:
            raise ConnectionError("the backend is away")

    add_task(runtime, "test.flaky", flaky)
    before = {o: runs("test.flaky", o) for o in ("retried", "failed", "succeeded")}
    document_id = uuid.uuid4()
    job_id = await runtime.queue.defer("test.flaky", document_id=document_id)

    job = await settle(runtime, job_id)
    assert job is not None
    assert job.status == "failed"
    assert len(started) == 3  # JOB_MAX_ATTEMPTS
    waits = [b - a for a, b in itertools.pairwise(started)]
    assert waits[0] >= 0.9  # 1 s, then 2 s: never sooner
    assert waits[1] >= 1.9
    assert runs("test.flaky", "retried") - before["retried"] == 2
    assert runs("test.flaky", "failed") - before["failed"] == 1

    # The admin sees it, with its ids and nothing else, and the number waiting.
    listed = await client.get("/api/v1/admin/jobs?status=failed", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [j["id"] for j in body["items"]] == [job_id]
    assert body["items"][0]["task"] == "test.flaky"
    assert body["items"][0]["args"] == {"document_id": str(document_id)}
    assert body["items"][0]["attempts"] == 3

    # Retrying it: due again now, and once the cause is gone it runs and is not kept.
    fixed = True
    again = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin.headers)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "todo"
    assert await settle(runtime, job_id) is None
    assert runs("test.flaky", "succeeded") - before["succeeded"] == 1
    gone = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin.headers)
    assert_problem(gone, 404, "job_not_found")


async def test_only_a_failed_job_can_be_retried(
    runtime: Runtime, admin: Account, client: httpx.AsyncClient
) -> None:
    # Far in the future: it stays waiting whatever the workers do.
    await runtime.queue.open()
    job_id = await runtime.queue.app.configure_task(
        "test.later", queue="shre", schedule_in={"days": 1}
    ).defer_async(document_id=str(uuid.uuid4()))
    refused = await client.post(f"/api/v1/admin/jobs/{job_id}/retry", headers=admin.headers)
    assert_problem(refused, 409, "job_not_failed")
    waiting = await client.get("/api/v1/admin/jobs?status=todo", headers=admin.headers)
    assert job_id in [j["id"] for j in waiting.json()["items"]]
    assert waiting.json()["waiting"] >= 1


@pytest.mark.parametrize("role", [Role.HR, Role.MANAGER, Role.EMPLOYEE])
async def test_jobs_are_for_admins_only(
    accounts: Accounts, client: httpx.AsyncClient, role: Role
) -> None:
    user = await accounts.signed_in(role, f"{role.value}@example.com")
    listed = await client.get("/api/v1/admin/jobs", headers=user.headers)
    assert_problem(listed, 403)
    retried = await client.post("/api/v1/admin/jobs/1/retry", headers=user.headers)
    assert_problem(retried, 403)


@pytest.mark.parametrize("query", ["status=done", "task=DROP%20TABLE", "limit=0", "limit=5000"])
async def test_bad_filters_are_refused(
    admin: Account, client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/api/v1/admin/jobs?{query}", headers=admin.headers)
    assert_problem(response, 422)
