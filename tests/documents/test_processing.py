"""What the processing job does after an upload, on both databases: the expiry date the
text states is suggested (the uploader's fields stand), only the current version is
processed, deleted documents are left alone, the catch-up finds documents no job
finished, and with JOBS_IN_PROCESS the server runs the jobs itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.documents.models import Document
from shre.documents.tasks import catch_up
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.documents import DOCS, add_version, pdf_with_text, uploaded
from tests.support.jobs import until, work_off

CERTIFICATE = b"""First Aid at Work - Certificate of Attendance
This certifies that the holder completed the three-day course.
Issued: 14 March 2025
Valid until: 13 March 2028
"""


async def record(client: httpx.AsyncClient, admin: Account, doc: dict[str, Any]) -> Any:
    response = await client.get(f"{DOCS}/{doc['id']}", headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def found(client: httpx.AsyncClient, admin: Account, q: str) -> set[str]:
    body = (await client.get(DOCS, params={"q": q}, headers=admin.headers)).json()
    return {d["title"] for d in body["items"]}


async def test_the_expiry_date_the_text_states_is_suggested_and_the_uploaders_fields_stand(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    doc = await uploaded(client, admin.headers, CERTIFICATE, category="other", title="Aid")
    assert doc["processed"] is False
    assert doc["suggested_expires_on"] is None
    await work_off(runtime)
    after = await record(client, admin, doc)
    assert after["processed"] is True
    assert after["suggested_expires_on"] == "2028-03-13"  # not the date it was issued
    assert after["expires_on"] is None  # a suggestion, never applied by itself
    assert after["category"] == "other"
    assert after["suggested_category"] is None  # SHRE_AI is off
    assert after["category_confidence"] is None


async def test_only_the_current_version_is_processed(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    doc = await uploaded(client, admin.headers, b"the walrus memo", title="Memo")
    added = await add_version(client, admin.headers, doc["id"], pdf_with_text("the ocelot memo"))
    assert added.status_code == 201, added.text
    await work_off(runtime)  # version 1's job finds a newer version and does nothing
    assert await found(client, admin, "walrus") == set()
    assert await found(client, admin, "ocelot") == {"Memo"}
    assert (await record(client, admin, doc))["processed"] is True


async def test_a_document_deleted_before_its_job_ran_is_left_alone(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    doc = await uploaded(client, admin.headers, b"the pangolin memo", title="Gone")
    deleted = await client.delete(f"{DOCS}/{doc['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    await work_off(runtime)  # no failure
    assert await found(client, admin, "pangolin") == set()
    async with runtime.sessionmaker() as session:
        row = await session.get(Document, uuid.UUID(doc["id"]))
        assert row is not None
        assert row.processed_version is None


async def test_the_catch_up_processes_what_no_job_finished(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Documents from before processing existed, and (in memory) jobs lost with their
    process: unprocessed for five minutes, they are deferred again (once each)."""
    doc = await uploaded(client, admin.headers, b"the axolotl memo", title="Old")
    recent = await uploaded(client, admin.headers, b"the quokka memo", title="Recent")
    for job in await runtime.queue.jobs(status="todo"):  # lost, as with a restart
        await runtime.queue.app.job_manager.cancel_job_by_id_async(job.id, delete_job=True)
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(doc["id"]))
            .values(updated_at=datetime.now(UTC) - timedelta(minutes=6))
        )
    await catch_up(runtime)
    await catch_up(runtime)  # a second run while the first's job waits: no second job
    assert len(await runtime.queue.jobs(status="todo")) == 1
    await work_off(runtime)
    assert await found(client, admin, "axolotl") == {"Old"}
    assert await found(client, admin, "quokka") == set()  # its own job is still to come
    assert (await record(client, admin, recent))["processed"] is False


async def test_a_category_set_by_hr_is_a_reviewed_one(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    doc = await uploaded(client, admin.headers, CERTIFICATE, category="other", title="Aid")
    assert doc["category_reviewed_at"] is None
    retitled = await client.patch(
        f"{DOCS}/{doc['id']}", json={"title": "First aid"}, headers=hr.headers
    )
    assert retitled.json()["category_reviewed_at"] is None  # the category was not touched
    confirmed = await client.patch(
        f"{DOCS}/{doc['id']}", json={"category": "certificate"}, headers=hr.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["category"] == "certificate"
    assert confirmed.json()["category_reviewed_at"] is not None
    async with runtime.sessionmaker() as session:
        row = await session.get(Document, uuid.UUID(doc["id"]))
        assert row is not None
        assert row.category_reviewed_by == hr.id


async def test_search_by_meaning_says_it_is_off(client: httpx.AsyncClient, admin: Account) -> None:
    answer = await client.get(DOCS, params={"semantic": "remote work"}, headers=admin.headers)
    problem = assert_problem(answer, 422, "semantic_search_off")
    assert "SHRE_AI is off" in problem["detail"]
    assert_problem(
        await client.get(DOCS, params={"semantic": "x" * 501}, headers=admin.headers), 422
    )


class TestInProcess:
    """`make run`'s way: SQLite, and the server runs its jobs itself."""

    @pytest.fixture
    def backend(self) -> str:
        return "sqlite"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"jobs_in_process": True}

    async def test_the_server_processes_uploads_by_itself(
        self, client: httpx.AsyncClient, admin: Account
    ) -> None:
        doc = await uploaded(client, admin.headers, CERTIFICATE, title="Aid")

        async def processed() -> bool:
            return bool((await record(client, admin, doc))["processed"])

        await until(processed, what="the in-process worker to process the upload")
        assert (await record(client, admin, doc))["suggested_expires_on"] == "2028-03-13"
