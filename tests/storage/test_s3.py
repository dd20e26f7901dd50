"""S3Storage against SeaweedFS, which checks signatures, expiry and SSE like S3 does."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from botocore.stub import Stubber

from shre.crypto import DataKey
from shre.storage import (
    SignedUrlInvalid,
    StorageError,
    StorageUnavailable,
    content_disposition,
    create_storage,
)
from shre.storage.s3 import S3Storage, make_client, sse_params
from tests.support.servers import S3Server
from tests.support.storage import MiB, chunked, new_key, s3_settings


async def test_every_object_is_stored_with_sse(
    s3_storage: S3Storage, s3_server: S3Server, dek: DataKey
) -> None:
    small, large, copied = new_key(), new_key(), new_key()
    await s3_storage.upload_file(small, chunked(b"x" * 100), "text/plain", data_key=dek)
    await s3_storage.upload_file(large, chunked(os.urandom(11 * MiB)), "text/plain", data_key=dek)
    await s3_storage.copy(small, copied, data_key=dek)
    raw = s3_server.client()
    for key in (small, large, copied):
        head = raw.head_object(Bucket=s3_server.bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256", key


async def test_large_files_go_up_in_parts(
    s3_storage: S3Storage, s3_server: S3Server, dek: DataKey
) -> None:
    data = os.urandom(11 * MiB)  # 5 MiB parts: 5 + 5 + 1
    key = new_key()
    info = await s3_storage.upload_file(key, chunked(data, 300_000), "video/mp4", data_key=dek)
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=key, PartNumber=1)
    assert head["PartsCount"] == 3
    assert info.etag is not None
    assert info.etag.endswith("-3")
    # The digest is only known at the end: the caller keeps it, the object cannot.
    assert (await s3_storage.head(key)).sha256 is None
    assert await (await s3_storage.get_file(key, data_key=dek)).read_all() == data


async def test_presigned_url_works_until_it_expires(s3_storage: S3Storage, dek: DataKey) -> None:
    key = new_key()
    await s3_storage.upload_file(key, chunked(b"%PDF-1.7 payslip"), "application/pdf", data_key=dek)
    filename = 'Lohnabrechnung März 2026 "final".pdf'
    url = await s3_storage.get_presigned_url(key, 2, filename=filename)
    assert url.startswith(s3_storage.client.meta.endpoint_url)
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200
        assert response.content == b"%PDF-1.7 payslip"
        assert response.headers["content-disposition"] == content_disposition(filename)
        assert (
            "filename*=UTF-8''Lohnabrechnung%20M%C3%A4rz%202026%20%22final%22.pdf"
            in (response.headers["content-disposition"])
        )
        # Signed: another key, or a longer life, is refused.
        other = url.replace(quote(key, safe="/"), quote(new_key(), safe="/"))
        assert (await http.get(other)).status_code == 403
        assert (
            await http.get(url.replace("X-Amz-Expires=2", "X-Amz-Expires=20"))
        ).status_code == 403
        await asyncio.sleep(3.1)
        expired = await http.get(url)
        assert expired.status_code == 403
        assert b"expired" in expired.content


async def test_presigned_url_default_is_five_minutes(s3_storage: S3Storage) -> None:
    url = await s3_storage.get_presigned_url(new_key(), content_type="application/pdf")
    assert "X-Amz-Expires=300" in url
    assert "response-content-type=application%2Fpdf" in url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url


async def test_wrong_credentials_are_refused(
    tmp_path: Path, s3_server: S3Server, dek: DataKey
) -> None:
    settings = s3_settings(tmp_path, s3_server, s3_secret_access_key="not-the-secret")
    storage = create_storage(settings)
    try:
        with pytest.raises(StorageUnavailable, match="S3 PutObject failed"):
            await storage.upload_file(new_key(), chunked(b"x"), "text/plain", data_key=dek)
        url = await storage.get_presigned_url(new_key())
        async with httpx.AsyncClient() as http:
            assert (await http.get(url)).status_code == 403
        with pytest.raises(StorageUnavailable):
            await storage.check()
    finally:
        await storage.aclose()


async def test_s3_does_not_serve_local_links(s3_storage: S3Storage) -> None:
    with pytest.raises(SignedUrlInvalid):
        s3_storage.verify_signed_url("anything.at-all")


def test_retries_come_from_the_settings(tmp_path: Path, s3_server: S3Server) -> None:
    settings = s3_settings(tmp_path, s3_server, s3_retry_mode="adaptive", s3_max_attempts=7)
    client = make_client(settings)
    # S3_MAX_ATTEMPTS counts every attempt (botocore's total_max_attempts).
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    assert client.meta.config.signature_version == "s3v4"
    default = make_client(s3_settings(tmp_path, s3_server))
    assert default.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    # The readiness probe answers fast instead of retrying.
    assert make_client(settings, probe=True).meta.config.retries["total_max_attempts"] == 1


class _Throttling(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>"
        )
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def throttling_server() -> Iterator[str]:
    _Throttling.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_throttling_is_retried_with_backoff_then_unavailable(
    tmp_path: Path, s3_server: S3Server, throttling_server: str, dek: DataKey
) -> None:
    settings = s3_settings(
        tmp_path, s3_server, s3_endpoint_url=throttling_server, s3_max_attempts=3
    )
    storage = create_storage(settings)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="SlowDown"):
        await storage.get_file(new_key(), data_key=dek)
    assert _Throttling.hits == 3
    assert time.monotonic() - started < 10
    await storage.aclose()


async def test_unreachable_server_is_unavailable(
    tmp_path: Path, s3_server: S3Server, free_port: int
) -> None:
    settings = s3_settings(tmp_path, s3_server, s3_endpoint_url=f"http://127.0.0.1:{free_port}")
    storage = create_storage(settings)
    with pytest.raises(StorageUnavailable, match="HeadBucket"):
        await storage.check()
    await storage.aclose()


async def test_kms_encryption_is_requested_on_every_write(
    tmp_path: Path, s3_server: S3Server, dek: DataKey
) -> None:
    """SeaweedFS has no KMS: check the arguments S3Storage sends (botocore's Stubber)."""
    assert sse_params("AES256", "ignored") == {"ServerSideEncryption": "AES256"}
    settings = s3_settings(tmp_path, s3_server, s3_sse="aws:kms", s3_kms_key_id="alias/shre")
    storage = S3Storage.from_settings(settings)
    key = new_key()
    with Stubber(storage.client) as stub:
        stub.add_response(
            "put_object",
            {"ETag": '"e"', "ServerSideEncryption": "aws:kms"},
            {
                "Bucket": "shre-test",
                "Key": key,
                "Body": b"x",
                "ContentType": "text/plain",
                "Metadata": {"sha256": hashlib.sha256(b"x").hexdigest()},
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": "alias/shre",
            },
        )
        await storage.upload_file(key, chunked(b"x"), "text/plain", data_key=dek)
        stub.assert_no_pending_responses()


async def test_a_store_that_ignores_sse_keeps_nothing(s3_storage: S3Storage, dek: DataKey) -> None:
    key = new_key()
    bucket = {"Bucket": "shre-test", "Key": key}
    with Stubber(s3_storage.client) as stub:
        stub.add_response("put_object", {"ETag": '"e"'})
        stub.add_response("head_object", {"ContentLength": 1}, bucket)
        stub.add_response("delete_object", {}, bucket)
        with pytest.raises(StorageError, match="server-side encryption"):
            await s3_storage.upload_file(key, chunked(b"x"), "text/plain", data_key=dek)
        stub.assert_no_pending_responses()
