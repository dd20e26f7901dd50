"""The periodic tasks: every schedule parses and every name is unique; the daily upkeep
purges deleted documents past their retention, prunes nothing it should keep, and fails
(to be retried, then seen by an admin) when the audit chain does not verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from croniter import croniter
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.documents.models import Document
from shre.documents.tasks import purge_deleted
from shre.jobs.maintenance import prune_audit, verify_chain
from shre.jobs.registry import TASKS
from shre.queue import Incomplete
from tests.support.accounts import Account
from tests.support.audit import tamper, write
from tests.support.documents import DOCS, uploaded


def test_every_task_has_its_own_name_and_a_valid_schedule() -> None:
    names = [task.name for task in TASKS]
    assert len(names) == len(set(names))
    for task in TASKS:
        if task.cron is not None:
            assert croniter.is_valid(task.cron), task.name
    periodic = {task.name for task in TASKS if task.cron}
    assert {
        "jobs.retry_stalled",
        "documents.catch_up",
        "documents.purge",
        "audit.prune",
        "audit.verify",
        "documents.expiry_reminders",
    } <= periodic


async def test_deleted_documents_are_purged_after_their_retention(
    runtime: Runtime, client: httpx.AsyncClient, admin: Account
) -> None:
    old = await uploaded(client, admin.headers, b"old", title="Old")
    recent = await uploaded(client, admin.headers, b"recent", title="Recent")
    for doc in (old, recent):
        assert (await client.delete(f"{DOCS}/{doc['id']}", headers=admin.headers)).is_success
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(old["id"]))
            .values(deleted_at=datetime.now(UTC) - timedelta(days=31))
        )
    await purge_deleted(runtime)
    async with runtime.sessionmaker() as session:
        assert await session.get(Document, uuid.UUID(old["id"])) is None
        assert await session.get(Document, uuid.UUID(recent["id"])) is not None


async def test_the_audit_upkeep_keeps_what_is_young_and_fails_on_a_broken_chain(
    runtime: Runtime,
) -> None:
    await write(runtime, 3)
    await prune_audit(runtime)  # nothing is seven years old
    await verify_chain(runtime)
    await tamper(runtime, "UPDATE audit_events SET action = 'test.other' WHERE seq = 2")
    with pytest.raises(Incomplete, match="does not verify"):
        await verify_chain(runtime)
