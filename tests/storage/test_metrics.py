"""What the storage backends add to the Prometheus metrics: document bytes written and
read (`shre_storage_bytes_total{backend,direction}`, counted as they flow) and the
operations a backend failed (`shre_storage_errors_total{backend,operation}`), never a
client's fault (an upload over the limit)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shre.crypto import DataKey
from shre.observability.prometheus import exposition
from shre.storage import Storage, StorageUnavailable, TooLarge, create_storage
from tests.support.metrics import value
from tests.support.servers import S3Server
from tests.support.storage import chunked, new_key, s3_settings


def moved(backend: str, direction: str) -> float:
    return value(
        exposition().decode(), "shre_storage_bytes_total", backend=backend, direction=direction
    )


def failed(backend: str, operation: str) -> float:
    return value(
        exposition().decode(), "shre_storage_errors_total", backend=backend, operation=operation
    )


async def test_bytes_written_and_read_are_counted(store: Storage, dek: DataKey) -> None:
    data = os.urandom(300_001)
    written, read = moved(store.backend, "write"), moved(store.backend, "read")
    key = new_key()
    await store.upload_file(key, chunked(data), "application/pdf", data_key=dek)
    assert moved(store.backend, "write") - written == len(data)
    assert moved(store.backend, "read") == read  # writing reads nothing back

    async with await store.get_file(key, data_key=dek) as whole:
        assert await whole.read_all() == data
    assert moved(store.backend, "read") - read == len(data)
    async with await store.get_file(key, data_key=dek, start=10, end=19) as part:
        assert len(await part.read_all()) == 10
    assert moved(store.backend, "read") - read == len(data) + 10  # what was sent, not stored


async def test_a_client_fault_is_not_a_storage_error(store: Storage, dek: DataKey) -> None:
    errors = exposition().decode().count("shre_storage_errors_total{")
    before = [failed(store.backend, op) for op in ("put", "PutObject", "UploadPart")]
    with pytest.raises(TooLarge):
        await store.upload_file(
            new_key(), chunked(b"x" * 2048), "text/plain", data_key=dek, max_size=1024
        )
    assert [failed(store.backend, op) for op in ("put", "PutObject", "UploadPart")] == before
    assert exposition().decode().count("shre_storage_errors_total{") == errors


async def test_s3_refusing_a_write_is_counted_and_adds_no_bytes(
    tmp_path: Path, s3_server: S3Server, dek: DataKey
) -> None:
    storage = create_storage(s3_settings(tmp_path, s3_server, s3_secret_access_key="wrong"))
    before, written = failed("s3", "PutObject"), moved("s3", "write")
    try:
        with pytest.raises(StorageUnavailable):
            await storage.upload_file(new_key(), chunked(b"y" * 100), "text/plain", data_key=dek)
    finally:
        await storage.aclose()
    assert failed("s3", "PutObject") - before == 1
    assert moved("s3", "write") == written
