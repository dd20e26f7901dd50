"""A backend that fails in the middle of an erasure: the record says the erasure is
pending, never that it is done, and asking again (or the daily job) finishes it. On
local storage a file that cannot be removed; on S3 the server stopped (a SeaweedFS of
this file's own, as stopping the shared one would fail other tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.jobs.maintenance import purge as daily_purge
from shre.queue import Incomplete
from shre.storage import object_key
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events, verify
from tests.support.rights import former_employee, stored_keys, url
from tests.support.servers import SeaweedFS
from tests.support.storage import s3_values


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def own_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs-down"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "own_s3" not in request.fixturenames:
        return {}
    server: SeaweedFS = request.getfixturevalue("own_s3")
    return s3_values(server.server)


async def _pending(client: httpx.AsyncClient, admin: Account, employee_id: str) -> None:
    response = await client.post(
        url(employee_id, "/erase"), json={"reason": "Retention over"}, headers=admin.headers
    )
    body = assert_problem(response, 503, "erasure_incomplete")
    assert "ask again" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0
    shown = (await client.get(url(employee_id), headers=admin.headers)).json()
    assert shown["erasure_requested_at"] is not None
    assert shown["erased_at"] is None  # never claims to be erased
    assert shown["first_name"] == "Erased"  # the key and the directory values went first


async def test_a_local_file_that_will_not_go(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    person = await former_employee(client, admin, accounts)
    # A directory where a version's file should be: no delete of it can succeed (root
    # ignores permissions, so a read-only file would not do).
    [document_id] = [d for d, versions in person.documents.items() if len(versions) == 2]
    path = Path(runtime.settings.upload_dir) / object_key(person.id, document_id, 1)
    path.unlink()
    (path / "stuck").mkdir(parents=True)

    await _pending(client, admin, person.id)
    assert (await client.get("/api/v1/me", headers=person.user_headers)).status_code == 401
    failed = [e for e in await events(runtime) if e.action == "employee.erase"]
    assert [e.outcome for e in failed] == ["failure"]

    shutil.rmtree(path)  # the disk is repaired
    retried = await client.post(
        url(person.id, "/erase"), json={"reason": "Retention over"}, headers=admin.headers
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "erased"
    assert retried.json()["documents_deleted"] == 2
    assert await stored_keys(runtime, person.id) == {"local": []}
    assert (await verify(runtime)).ok


async def test_s3_down_then_the_daily_job_finishes(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    own_s3: SeaweedFS,
) -> None:
    person = await former_employee(client, admin, accounts)
    assert len((await stored_keys(runtime, person.id))["s3"]) == 3
    own_s3.stop()
    try:
        await _pending(client, admin, person.id)
    finally:
        own_s3.start()
    await daily_purge(runtime)  # pending erasures are finished by the daily job
    shown = (await client.get(url(person.id), headers=admin.headers)).json()
    assert shown["erased_at"] is not None
    assert await stored_keys(runtime, person.id) == {"local": [], "s3": []}
    assert (await verify(runtime)).ok


async def test_the_daily_job_fails_while_an_erasure_stays_pending(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    own_s3: SeaweedFS,
) -> None:
    person = await former_employee(client, admin, accounts)
    own_s3.stop()
    try:
        await _pending(client, admin, person.id)
        with pytest.raises(Incomplete, match="1 erasures left"):
            await daily_purge(runtime)  # retried by the queue, then shown to an admin
    finally:
        own_s3.start()
