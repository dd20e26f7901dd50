"""A document's life outside single requests: soft delete and purge, the storage
consistency check, moving every file to the other backend (interrupted and resumed), and
the data keys (rotation, crypto-shredding)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.crypto import DataKey, Keyring
from shre.documents import maintenance
from shre.documents.keys import DocumentKeys, forget_employee_text, pending_rotation, rotate
from shre.documents.transfer import transfer
from shre.employees.keys import shred
from shre.settings import Settings
from shre.storage import StorageSet, StorageUnavailable, object_key
from shre.storage.s3 import S3Storage
from tests.support.accounts import Account
from tests.support.app import assert_problem, base_settings
from tests.support.cli import clean_env, shre
from tests.support.documents import (
    DOCS,
    add_version,
    audit_counts,
    content,
    files_under,
    new_employee,
    pdf_with_text,
    row_counts,
    upload,
    uploaded,
)
from tests.support.jobs import work_off

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides(on_s3: dict[str, Any]) -> dict[str, Any]:
    return on_s3


def stores_of(app: FastAPI) -> StorageSet:
    stores: StorageSet = app.state.runtime.storages
    return stores


async def keys_of(runtime: Runtime, backend: str) -> set[str]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT object_key FROM document_versions WHERE storage_backend = :b"),
            {"b": backend},
        )
        return set(rows.scalars())


async def test_soft_delete_then_purge_after_the_retention(
    client: httpx.AsyncClient, admin: Account, app: FastAPI, runtime: Runtime
) -> None:
    doomed = await uploaded(client, admin.headers, b"old contract", category="contract")
    await add_version(client, admin.headers, doomed["id"], b"old contract, signed")
    kept = await uploaded(client, admin.headers, b"keep me")
    etag = (await client.get(f"{DOCS}/{doomed['id']}", headers=admin.headers)).headers["etag"]
    stale = await client.delete(
        f"{DOCS}/{doomed['id']}", headers={**admin.headers, "If-Match": '"0"'}
    )
    assert_problem(stale, 412)
    response = await client.delete(
        f"{DOCS}/{doomed['id']}", headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 204
    for path in ("", "/content", "/versions", "/download-url"):
        assert_problem(await client.get(f"{DOCS}/{doomed['id']}{path}", headers=admin.headers), 404)
    listed = (await client.get(DOCS, headers=admin.headers)).json()
    assert [d["id"] for d in listed["items"]] == [kept["id"]]
    doomed_keys = set(await keys_of(runtime, runtime.storage.backend))
    storage = runtime.storage
    assert all([await storage.exists(k) for k in doomed_keys])

    stores = stores_of(app)
    report = await maintenance.purge(runtime.sessionmaker, stores, retention_days=30)
    assert report.documents == 0  # still within its retention: the files stay
    assert await row_counts(runtime) == (2, 3)
    later = datetime.now(UTC) + timedelta(days=31)
    report = await maintenance.purge(runtime.sessionmaker, stores, retention_days=30, now=later)
    assert (report.documents, report.objects, report.failed) == (1, 2, [])
    assert await row_counts(runtime) == (1, 1)
    remaining = await keys_of(runtime, storage.backend)
    for key in doomed_keys - remaining:
        assert not await storage.exists(key)
    assert (await content(client, admin.headers, kept["id"])).content == b"keep me"
    events = await audit_counts(runtime)
    assert events["document.delete"] == 1
    assert events["document.purge"] == 1


async def test_storage_check_finds_orphans_and_missing_files(
    client: httpx.AsyncClient, admin: Account, app: FastAPI, runtime: Runtime
) -> None:
    stores = stores_of(app)
    storage = runtime.storage
    whole = await uploaded(client, admin.headers, b"all there")
    lost = await uploaded(client, admin.headers, b"file will vanish")
    lost_key = object_key(None, lost["id"], 1)
    await storage.delete_file(lost_key)  # a row without its object
    orphan_key = object_key(None, uuid.uuid4(), 1)  # an object without a row
    await storage.upload_file(
        orphan_key, _chunks(b"crashed upload"), "text/plain", data_key=DataKey.generate()
    )

    report = await maintenance.check(runtime.sessionmaker, stores)
    assert [(r.key, r.document_id) for r in report.missing] == [(lost_key, uuid.UUID(lost["id"]))]
    assert [(b, o.key) for b, o in report.orphans] == [(storage.backend, orphan_key)]
    assert not report.ok
    # Repair spares orphans younger than an hour (an upload in flight looks the same) ...
    report = await maintenance.check(runtime.sessionmaker, stores, repair=True)
    assert report.repaired == []
    assert await storage.exists(orphan_key)
    # ... and deletes older ones; missing files are only reported.
    later = datetime.now(UTC) + timedelta(hours=2)
    report = await maintenance.check(runtime.sessionmaker, stores, repair=True, now=later)
    assert report.repaired == [(storage.backend, orphan_key)]
    assert not await storage.exists(orphan_key)
    report = await maintenance.check(runtime.sessionmaker, stores)
    assert report.orphans == []
    assert len(report.missing) == 1
    assert (await content(client, admin.headers, whole["id"])).content == b"all there"
    assert_problem(await content(client, admin.headers, lost["id"]), 500, "file_missing")


async def _chunks(data: bytes) -> Any:
    yield data


@pytest.mark.parametrize("storage_backend", ["local"])
async def test_an_upload_whose_insert_fails_leaves_no_object(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings
) -> None:
    employee = await new_employee(client, admin, "Vanishing")
    # The employee disappears between the checks and the insert (a foreign key failure).
    original = runtime.storage.upload_file

    async def upload_then_remove_employee(*args: Any, **kwargs: Any) -> Any:
        info = await original(*args, **kwargs)
        async with runtime.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM employees WHERE id = :id"), {"id": uuid.UUID(employee).hex}
            )
        return info

    runtime.storage.upload_file = upload_then_remove_employee  # type: ignore[method-assign]
    response = await upload(client, admin.headers, b"orphan?", employee_id=employee)
    assert_problem(response, 422, "employee_not_found")
    assert await row_counts(runtime) == (0, 0)
    assert files_under(settings.upload_dir) == []


@pytest.mark.parametrize("storage_backend", ["local+s3"])
async def test_migrate_to_s3_interrupted_resumed_and_back(
    client: httpx.AsyncClient,
    admin: Account,
    app: FastAPI,
    runtime: Runtime,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert runtime.storage.backend == "local"
    bucket = settings.s3_bucket
    stores = stores_of(app)
    keys = DocumentKeys(runtime.keyring)
    employee = await new_employee(client, admin, "Mover")
    payloads = {
        "empty.txt": b"",
        "contract.pdf": pdf_with_text("employment contract"),
        "scan.jpg": b"\xff\xd8\xff" + secrets.token_bytes(6 * MiB),  # a multipart upload
        "notes.txt": b"company notes",
    }
    docs: dict[str, dict[str, Any]] = {}
    for filename, payload in payloads.items():
        owner = employee if filename != "notes.txt" else None
        docs[filename] = await uploaded(
            client, admin.headers, payload, filename=filename, employee_id=owner
        )
    await add_version(client, admin.headers, docs["notes.txt"]["id"], b"company notes v2")
    expected = {(d["id"], 1): payloads[name] for name, d in docs.items()} | {
        (docs["notes.txt"]["id"], 2): b"company notes v2"
    }

    async def everything_reads_back() -> None:
        for (doc_id, version), payload in expected.items():
            got = await content(client, admin.headers, doc_id, version=version)
            assert got.status_code == 200, got.text
            assert got.content == payload

    # Interrupted twice: a limit, then a failing S3 write.
    first = await transfer(runtime.sessionmaker, stores, keys, "s3", limit=2)
    assert (first.copied, first.remaining) == (2, 3)
    await everything_reads_back()  # moved files read from S3, the rest still from disk
    s3 = stores.get("s3")
    assert isinstance(s3, S3Storage)
    real_upload = s3.upload_file
    calls = {"n": 0}

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StorageUnavailable("S3 PutObject failed: injected")
        return await real_upload(*args, **kwargs)

    monkeypatch.setattr(s3, "upload_file", flaky)
    second = await transfer(runtime.sessionmaker, stores, keys, "s3")
    assert second.copied == 2
    assert len(second.failed) == 1
    assert second.remaining == 1
    monkeypatch.setattr(s3, "upload_file", real_upload)
    third = await transfer(runtime.sessionmaker, stores, keys, "s3")
    assert (third.copied, third.remaining, third.failed) == (1, 0, [])
    assert third.complete
    assert await keys_of(runtime, "local") == set()
    await everything_reads_back()
    # The local copies stay until asked: the check calls them migration copies.
    report = await maintenance.check(runtime.sessionmaker, stores)
    assert len(report.copies) == 5
    assert report.missing == report.orphans == []
    again = await transfer(runtime.sessionmaker, stores, keys, "s3", delete_source=True)
    assert (again.copied, again.sources_deleted) == (0, 5)
    assert files_under(settings.upload_dir) == []
    await everything_reads_back()
    for key in await keys_of(runtime, "s3"):
        head = s3.client.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"

    # And back, deleting the S3 copies as it goes.
    back = await transfer(runtime.sessionmaker, stores, keys, "local", delete_source=True)
    assert (back.copied, back.sources_deleted, back.remaining) == (5, 5, 0)
    assert s3.client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    await everything_reads_back()
    local_files = files_under(settings.upload_dir)
    assert len(local_files) == 5
    assert all(b"company notes" not in f.read_bytes() for f in local_files)  # encrypted
    assert (await maintenance.check(runtime.sessionmaker, stores)).ok


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("storage_backend", ["local"])
async def test_company_document_keys_rotate_with_the_master_key(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    payload = b"company handbook"
    created = await uploaded(client, admin.headers, payload, category="policy")
    old_key = settings.encryption_key
    assert old_key is not None
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    rotated = base_settings(
        tmp_path,
        settings.database_url,
        encryption_key=new_key,
        encryption_old_keys=old_key.get_secret_value(),
    )
    keyring = Keyring.from_settings(rotated)
    async with runtime.sessionmaker() as session:
        assert await pending_rotation(session, keyring) == 1
    assert await rotate(runtime.sessionmaker, keyring) == 1
    assert await rotate(runtime.sessionmaker, keyring) == 0  # idempotent
    async with runtime.sessionmaker() as session:
        assert await pending_rotation(session, keyring) == 0
        dek = await DocumentKeys(
            Keyring.from_settings(
                base_settings(tmp_path, settings.database_url, encryption_key=new_key)
            )
        ).for_document(session, uuid.UUID(created["id"]), None)
    stored = await runtime.storage.get_file(object_key(None, created["id"], 1), data_key=dek)
    assert await stored.read_all() == payload  # the new master key alone opens it


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("storage_backend", ["local"])
async def test_shredding_an_employee_makes_their_files_unreadable(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, storage_backend: str
) -> None:
    employee = await new_employee(client, admin, "Shredded")
    created = await uploaded(
        client,
        admin.headers,
        b"certificate of zebra training",
        employee_id=employee,
        category="certificate",
    )
    await work_off(runtime)
    found = (await client.get(DOCS, params={"q": "zebra"}, headers=admin.headers)).json()
    assert found["total"] == 1
    async with runtime.sessionmaker() as session:
        await shred(session, uuid.UUID(employee))
        await forget_employee_text(session, uuid.UUID(employee))
        await session.commit()
    await runtime.cache.invalidate("documents")
    assert_problem(await content(client, admin.headers, created["id"]), 410, "key_destroyed")
    link = await client.get(f"{DOCS}/{created['id']}/download-url", headers=admin.headers)
    assert_problem(link, 410, "key_destroyed")
    gone = (await client.get(DOCS, params={"q": "zebra"}, headers=admin.headers)).json()
    assert gone["total"] == 0
    refused = await upload(client, admin.headers, b"more", employee_id=employee)
    assert_problem(refused, 409, "key_destroyed")


@pytest.mark.parametrize("storage_backend", ["local+s3"])
async def test_the_commands(
    client: httpx.AsyncClient, admin: Account, settings: Settings, tmp_path: Path
) -> None:
    """`shre documents expiring`, `shre storage check` and `shre storage migrate` as an
    operator runs them (the purge's command shares their plumbing)."""
    employee = await new_employee(client, admin, "Expiring")
    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    later = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    first = await uploaded(
        client,
        admin.headers,
        b"passport",
        employee_id=employee,
        category="identity",
        title="Passport",
        expires_on=soon,
    )
    await uploaded(client, admin.headers, b"visa", category="other", title="Visa", expires_on=later)
    key = settings.encryption_key
    assert key is not None
    env = clean_env(
        DATABASE_URL=settings.database_url,
        ENCRYPTION_KEY=key.get_secret_value(),
        JWT_SECRET=secrets.token_urlsafe(48),
        SHRE_VAR_DIR=str(tmp_path / "var"),
        UPLOAD_DIR=str(settings.upload_dir),
        S3_BUCKET=str(settings.s3_bucket),
        S3_ENDPOINT_URL=str(settings.s3_endpoint_url),
        S3_ACCESS_KEY_ID=str(settings.s3_access_key_id),
        S3_SECRET_ACCESS_KEY=settings.s3_secret_access_key.get_secret_value(),  # type: ignore[union-attr]
    )
    result = await asyncio.to_thread(
        shre, tmp_path, "documents", "expiring", "--days", "30", env=env
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert len(lines) == 1
    assert lines[0].split()[:5] == [first["id"], "Expiring", "Tester", "identity", soon]
    assert lines[0].endswith("Passport")
    checked = await asyncio.to_thread(shre, tmp_path, "storage", "check", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 missing, 0 orphans" in checked.stdout
    moved = await asyncio.to_thread(
        shre, tmp_path, "storage", "migrate", "--to", "s3", "--limit", "1", env=env
    )
    assert moved.returncode == 0, moved.stderr
    assert re.search(r"1 files \(\d bytes\) copied, verified and switched to s3", moved.stdout)
    assert "1 still on local" in moved.stdout
    assert "run the same command again" in moved.stdout
    moved = await asyncio.to_thread(
        shre, tmp_path, "storage", "migrate", "--to", "s3", "--delete-source", env=env
    )
    assert moved.returncode == 0, moved.stderr
    assert re.search(r"1 files \(\d bytes\) copied", moved.stdout)
    assert "2 source copies deleted; 0 still on local" in moved.stdout
    assert files_under(settings.upload_dir) == []
    assert (await content(client, admin.headers, first["id"])).content == b"passport"
    assert hashlib.sha256(b"passport").hexdigest() == first["sha256"]
