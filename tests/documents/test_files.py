"""Uploading and downloading files, on local storage and on S3 (SeaweedFS): byte-for-byte
round trips, ranges, limits, type sniffing, versions, links, integrity."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette import formparsers

from shre.api.runtime import Runtime
from shre.settings import Settings
from shre.storage import content_disposition
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.documents import (
    DOCS,
    DOCX_TYPE,
    ELF,
    MZ,
    PDF_TYPE,
    TEXT_TYPE,
    XLSX_TYPE,
    add_version,
    audit_counts,
    content,
    docx_with_text,
    files_under,
    new_employee,
    pdf_with_text,
    plain_zip,
    row_counts,
    upload,
    uploaded,
    with_macros,
    xlsx_with_text,
)
from tests.support.servers import S3Server

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    """File behaviour does not depend on the database: SQLite only."""
    return "sqlite"


@pytest.fixture
def settings_overrides(on_s3: dict[str, Any]) -> dict[str, Any]:
    return {"max_upload_mb": 3, **on_s3}


async def test_round_trip_byte_for_byte(
    client: httpx.AsyncClient,
    admin: Account,
    storage_backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    employee = await new_employee(client, admin, "Round")

    def no_temporary_files(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an upload must not spool to a temporary file")

    for name in ("SpooledTemporaryFile", "TemporaryFile", "NamedTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, no_temporary_files)
    # Starlette's form parser (which would spool files to disk) holds its own reference.
    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", no_temporary_files)
    payloads = {
        "empty.txt": b"",
        "one.txt": b"x",
        "random.png": b"\x89PNG\r\n\x1a\n" + os.urandom(3 * MiB - 8),  # exactly the limit
    }
    for filename, payload in payloads.items():
        created = await uploaded(
            client, admin.headers, payload, filename=filename, employee_id=employee
        )
        assert created["size"] == len(payload)
        assert created["sha256"] == hashlib.sha256(payload).hexdigest()
        assert created["filename"] == filename
        assert created["version"] == 1
        response = await content(client, admin.headers, created["id"])
        assert response.status_code == 200, response.text
        assert response.content == payload, filename
        assert response.headers["content-length"] == str(len(payload))
        assert response.headers["content-disposition"] == content_disposition(filename)
        assert response.headers["content-type"] == created["content_type"]
        assert response.headers["x-content-type-options"] == "nosniff"
    assert created["content_type"] == "image/png"


async def test_range_requests(client: httpx.AsyncClient, admin: Account) -> None:
    payload = bytes(range(256)) * 1000  # 256000 bytes, several 64 KiB chunks
    created = await uploaded(client, admin.headers, b"%PDF-1.4\n" + payload, filename="r.pdf")
    data = b"%PDF-1.4\n" + payload
    cases = {
        "bytes=0-9": (0, 9),
        "bytes=100000-170000": (100000, 170000),
        "bytes=250000-": (250000, len(data) - 1),
        "bytes=-100": (len(data) - 100, len(data) - 1),
        f"bytes=10-{len(data) * 2}": (10, len(data) - 1),
    }
    for spec, (start, end) in cases.items():
        response = await content(
            client, admin.headers, created["id"], request_headers={"Range": spec}
        )
        assert response.status_code == 206, spec
        assert response.content == data[start : end + 1], spec
        assert response.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
        assert response.headers["content-length"] == str(end - start + 1)
    for bad in (f"bytes={len(data)}-", "bytes=5-2", "bytes=abc", "bytes=-0"):
        response = await content(
            client, admin.headers, created["id"], request_headers={"Range": bad}
        )
        assert_problem(response, 416, "range_not_satisfiable")
        assert response.headers["content-range"] == f"bytes */{len(data)}"
    # Several ranges, or another unit: the whole file.
    for ignored in ("bytes=0-1,5-6", "items=0-1"):
        response = await content(
            client, admin.headers, created["id"], request_headers={"Range": ignored}
        )
        assert response.status_code == 200
        assert response.content == data


async def test_refused_uploads_store_nothing(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    settings: Settings,
    storage_backend: str,
    request: pytest.FixtureRequest,
) -> None:
    too_big = b"a" * (3 * MiB + 1)
    cases: list[tuple[str, bytes, int, str]] = [
        ("big.txt", too_big, 413, "file_too_large"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + bytes(6 * MiB), 413, "body_too_large"),
        ("payslip.pdf", ELF, 415, "file_type_not_allowed"),
        ("contract.pdf", MZ, 415, "file_type_not_allowed"),
        ("archive.docx", plain_zip(), 415, "file_type_not_allowed"),
        ("latin1.txt", "caf\xe9".encode("latin-1") * 10, 415, "file_type_not_allowed"),
        ("late-nul.txt", b"a" * 200_000 + b"\x00", 415, "file_type_not_allowed"),
        ("cut.docx", docx_with_text("x")[:-22], 415, "file_type_not_allowed"),
        ("macro.docx", with_macros(docx_with_text("x")), 415, "file_type_not_allowed"),
    ]
    for filename, payload, status, code in cases:
        response = await upload(client, admin.headers, payload, filename=filename)
        body = assert_problem(response, status, code)
        if status == 415:
            assert "allowed" in body["detail"]
    assert await row_counts(runtime) == (0, 0)
    assert files_under(settings.upload_dir) == []  # no object, no temporary file
    if storage_backend == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        listed = server.client().list_objects_v2(Bucket=settings.s3_bucket)
        assert listed.get("KeyCount", 0) == 0


@pytest.mark.parametrize(
    "settings_overrides",
    [
        {  # an S3 server that does not answer (nothing listens on the discard port)
            "s3_enabled": True,
            "s3_bucket": "shre-gone",
            "s3_endpoint_url": "http://127.0.0.1:9",
            "s3_access_key_id": "id",
            "s3_secret_access_key": "secret",
            "s3_max_attempts": 1,
        }
    ],
)
async def test_an_upload_while_storage_is_down_is_503_with_retry_after_and_stores_nothing(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    response = await upload(client, admin.headers, b"minutes of the meeting")
    assert_problem(response, 503, "storage_down")
    assert response.headers["retry-after"] == "2"
    assert await row_counts(runtime) == (0, 0)


@pytest.mark.parametrize("storage_backend", ["local"])
async def test_office_documents_and_text_are_accepted(
    client: httpx.AsyncClient, admin: Account
) -> None:
    cases = [
        ("cv.docx", docx_with_text("Curriculum vitae"), DOCX_TYPE),
        ("budget.xlsx", xlsx_with_text("Quarter", "Total"), XLSX_TYPE),
        ("named-wrong.bin", docx_with_text("still a docx"), DOCX_TYPE),
        ("list.csv", b"name,team\nAda,R&D\n", "text/csv; charset=utf-8"),
        ("notes.txt", "Grüße, ünïcödé\n".encode(), TEXT_TYPE),
        ("scan.jpg", b"\xff\xd8\xff\xe0" + os.urandom(500), "image/jpeg"),
        ("letter.pdf", pdf_with_text("Dear colleague"), PDF_TYPE),
    ]
    for filename, payload, content_type in cases:
        created = await uploaded(client, admin.headers, payload, filename=filename)
        assert created["content_type"] == content_type, filename
        fetched = await content(client, admin.headers, created["id"])
        assert fetched.content == payload
        assert fetched.headers["content-type"] == content_type


async def test_versions(client: httpx.AsyncClient, admin: Account, runtime: Runtime) -> None:
    first, second = b"first version\n", pdf_with_text("second version")
    created = await uploaded(client, admin.headers, first, filename="policy.txt", title="Policy")
    response = await add_version(client, admin.headers, created["id"], second, "policy-2.pdf")
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{DOCS}/{created['id']}"
    current = response.json()
    assert current["version"] == 2
    assert current["filename"] == "policy-2.pdf"
    assert current["sha256"] == hashlib.sha256(second).hexdigest()
    assert current["title"] == "Policy"  # metadata stays
    assert (await content(client, admin.headers, created["id"])).content == second
    old = await content(client, admin.headers, created["id"], version=1)
    assert old.content == first
    assert old.headers["content-disposition"] == content_disposition("policy.txt")
    assert_problem(await content(client, admin.headers, created["id"], version=3), 404)
    listed = (await client.get(f"{DOCS}/{created['id']}/versions", headers=admin.headers)).json()
    assert [(v["version"], v["filename"], v["size"]) for v in listed] == [
        (1, "policy.txt", len(first)),
        (2, "policy-2.pdf", len(second)),
    ]
    # A refused version changes nothing.
    refused = await add_version(client, admin.headers, created["id"], ELF, "x.pdf")
    assert_problem(refused, 415)
    assert (await client.get(f"{DOCS}/{created['id']}", headers=admin.headers)).json() == current
    assert await row_counts(runtime) == (1, 2)


@pytest.mark.parametrize("storage_backend", ["local"])
async def test_concurrent_versions_never_share_an_object(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created = await uploaded(client, admin.headers, b"v1")
    bodies = [f"version from writer {n}".encode() for n in range(4)]
    responses = await asyncio.gather(
        *(add_version(client, admin.headers, created["id"], body) for body in bodies)
    )
    assert sorted(r.status_code for r in responses) in ([201] * 4, [201, 201, 201, 409])
    listed = (await client.get(f"{DOCS}/{created['id']}/versions", headers=admin.headers)).json()
    assert [v["version"] for v in listed] == list(range(1, len(listed) + 1))
    for version in listed[1:]:  # each version still has its own bytes
        got = await content(client, admin.headers, created["id"], version=version["version"])
        assert hashlib.sha256(got.content).hexdigest() == version["sha256"]
        assert got.content in bodies


async def test_download_links_work_until_they_expire(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    storage_backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = pdf_with_text("link me")
    created = await uploaded(client, admin.headers, payload, filename="Lohn März.pdf")
    url = f"{DOCS}/{created['id']}/download-url"
    for bad in (0, 3601, -5):
        assert_problem(
            await client.get(url, params={"expires_in": bad}, headers=admin.headers), 422
        )
    default = (await client.get(url, headers=admin.headers)).json()
    issued = datetime.fromisoformat(default["expires_at"])
    assert abs((issued - datetime.now(UTC)).total_seconds() - 300) < 5
    if storage_backend == "local":
        now = [time.time()]
        monkeypatch.setattr(runtime.storage._signer, "_clock", lambda: now[0])  # type: ignore[attr-defined]
        link = (await client.get(url, params={"expires_in": 60}, headers=admin.headers)).json()
        assert link["url"].startswith("http://testserver/api/v1/storage/local/")
        fetched = await client.get(link["url"])  # no bearer token
        assert fetched.status_code == 200
        assert fetched.content == payload
        assert fetched.headers["content-disposition"] == content_disposition("Lohn März.pdf")
        ranged = await client.get(link["url"], headers={"Range": "bytes=0-3"})
        assert (ranged.status_code, ranged.content) == (206, b"%PDF")
        tampered = link["url"][:-3] + ("AAA" if not link["url"].endswith("AAA") else "BBB")
        assert_problem(await client.get(tampered), 403, "link_invalid")
        now[0] += 61
        assert_problem(await client.get(link["url"]), 410, "link_expired")
    else:
        # S3 signs whole seconds: 2 s is the shortest life a fetch right away always beats.
        link = (await client.get(url, params={"expires_in": 2}, headers=admin.headers)).json()
        async with httpx.AsyncClient() as http:
            fetched = await http.get(link["url"])
            assert fetched.status_code == 200
            assert fetched.content == payload
            assert fetched.headers["content-disposition"] == content_disposition("Lohn März.pdf")
            await asyncio.sleep(3.1)
            assert (await http.get(link["url"])).status_code == 403


@pytest.mark.parametrize("storage_backend", ["s3"])
async def test_s3_objects_are_stored_with_sse(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    settings: Settings,
    storage_backend: str,
    request: pytest.FixtureRequest,
) -> None:
    server: S3Server = request.getfixturevalue("s3_server")
    small = await uploaded(client, admin.headers, b"small")
    large = await uploaded(client, admin.headers, b"\xff\xd8\xff" + os.urandom(int(2.5 * MiB)))
    await add_version(client, admin.headers, small["id"], b"second")
    raw = server.client()
    listed = raw.list_objects_v2(Bucket=settings.s3_bucket)["Contents"]
    assert len(listed) == 3
    for item in listed:
        head = raw.head_object(Bucket=settings.s3_bucket, Key=item["Key"])
        assert head["ServerSideEncryption"] == "AES256", item["Key"]
        assert item["Key"].startswith("company/documents/")  # never a user-supplied name
    assert large["size"] == int(2.5 * MiB) + 3


@pytest.mark.parametrize("storage_backend", ["local"])
async def test_local_files_are_encrypted_and_a_tampered_one_is_refused(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, storage_backend: str
) -> None:
    secret = b"Salary review: the quick brown fox" * 100
    small = await uploaded(client, admin.headers, secret, filename="review.txt")
    big_payload = b"%PDF-1.4\n" + os.urandom(int(2.5 * MiB))
    big = await uploaded(client, admin.headers, big_payload, filename="big.pdf")
    paths = {}
    for doc in (small, big):
        async with runtime.engine.connect() as conn:
            key = (
                await conn.execute(
                    text("SELECT object_key FROM document_versions WHERE document_id = :id"),
                    {"id": uuid.UUID(doc["id"]).hex},
                )
            ).scalar_one()
        paths[doc["id"]] = runtime.storage.path_of(key)  # type: ignore[attr-defined]
    assert b"quick brown fox" not in paths[small["id"]].read_bytes()
    # Small file: the damage is found before the status line: a 500 problem, no content.
    _flip(paths[small["id"]], 200)
    response = await content(client, admin.headers, small["id"])
    body = assert_problem(response, 500, "file_corrupt")
    assert "quick" not in response.text
    assert body["detail"] == "The stored file failed its integrity check and was not sent"
    # A damaged chunk past the first MiB: the 200 has gone out; the body is cut short and
    # never carries a byte of the damaged chunk.
    _flip(paths[big["id"]], 2 * MiB)
    cut = await content(client, admin.headers, big["id"])
    assert cut.status_code == 200
    assert len(cut.content) < len(big_payload)
    assert big_payload.startswith(cut.content)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("storage_backend", ["local"])  # the link is served by shre
async def test_downloads_and_links_are_audited(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    before = await audit_counts(runtime)
    created = await uploaded(client, admin.headers, b"audited")
    await content(client, admin.headers, created["id"])
    await content(client, admin.headers, created["id"], request_headers={"Range": "bytes=0-1"})
    link = (await client.get(f"{DOCS}/{created['id']}/download-url", headers=admin.headers)).json()
    await client.get(link["url"])
    after = await audit_counts(runtime)
    after.subtract(before)
    assert after["document.upload"] == 1
    assert after["document.download"] == 3  # two by the API, one through the link
    assert after["document.download_url"] == 1
