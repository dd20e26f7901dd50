"""What both backends promise (run against LocalStorage and SeaweedFS): byte-for-byte
round trips, ranges, metadata, deletes, copies, the size limit and key checks."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator

import anyio
import pytest

from shre.crypto import DataKey
from shre.storage import (
    InvalidContentType,
    InvalidExpiry,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    Storage,
    TooLarge,
    object_key,
)
from tests.support.storage import MiB, chunked, new_key

SIZES = [0, 1, 65_535, 65_536, 65_537, 3 * MiB + 17, 12 * MiB + 5]


@pytest.mark.parametrize("size", SIZES)
async def test_round_trip_is_byte_for_byte(store: Storage, dek: DataKey, size: int) -> None:
    data = os.urandom(size)
    key = new_key()
    info = await store.upload_file(key, chunked(data, 100_003), "application/pdf", data_key=dek)
    assert (info.key, info.size, info.content_type) == (key, size, "application/pdf")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    stream = await store.get_file(key, data_key=dek)
    assert (stream.start, stream.end, stream.length, stream.is_partial) == (
        0,
        size - 1,
        size,
        False,
    )
    assert stream.info.size == size
    assert await stream.read_all() == data
    head = await store.head(key)
    assert (head.size, head.content_type) == (size, "application/pdf")


async def test_single_put_objects_know_their_sha256(store: Storage, dek: DataKey) -> None:
    data = b"%PDF-1.7 small"
    key = new_key()
    await store.upload_file(key, chunked(data), "application/pdf", data_key=dek)
    assert (await store.head(key)).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 0),
        (0, 9),
        (10, 19),
        (65_530, 65_545),  # across a chunk boundary
        (65_536, 131_071),  # exactly the second chunk
        (200_000, None),  # open-ended
        (249_990, 10_000_000),  # end past the object is clamped
        (249_999, 249_999),  # last byte
    ],
)
async def test_ranged_reads(store: Storage, dek: DataKey, start: int, end: int | None) -> None:
    data = os.urandom(250_000)
    key = new_key()
    await store.upload_file(key, chunked(data), "application/octet-stream", data_key=dek)
    stream = await store.get_file(key, data_key=dek, start=start, end=end)
    last = min(len(data) - 1, len(data) - 1 if end is None else end)
    assert (stream.start, stream.end) == (start, last)
    assert stream.content_range == f"bytes {start}-{last}/{len(data)}"
    assert stream.is_partial == (stream.length != len(data))
    assert await stream.read_all() == data[start : last + 1]


@pytest.mark.parametrize("size", [0, 10])
async def test_a_range_past_the_end_is_not_satisfiable(
    store: Storage, dek: DataKey, size: int
) -> None:
    key = new_key()
    await store.upload_file(key, chunked(os.urandom(size)), "text/plain", data_key=dek)
    with pytest.raises(InvalidRange) as info:
        await store.get_file(key, data_key=dek, start=size, end=size + 5)
    assert info.value.size == size
    with pytest.raises(ValueError, match="range"):
        await store.get_file(key, data_key=dek, start=5, end=2)


async def test_missing_objects(store: Storage, dek: DataKey) -> None:
    key = new_key()
    with pytest.raises(ObjectNotFound):
        await store.get_file(key, data_key=dek)
    with pytest.raises(ObjectNotFound):
        await store.head(key)
    assert not await store.exists(key)
    await store.delete_file(key)  # idempotent


async def test_delete_and_replace(store: Storage, dek: DataKey) -> None:
    key = new_key()
    await store.upload_file(key, chunked(b"first"), "text/plain", data_key=dek)
    await store.upload_file(key, chunked(b"second!"), "text/csv", data_key=dek)
    assert await (await store.get_file(key, data_key=dek)).read_all() == b"second!"
    assert (await store.head(key)).content_type == "text/csv"
    assert await store.exists(key)
    await store.delete_file(key)
    assert not await store.exists(key)


async def test_copy_keeps_content_and_type(store: Storage, dek: DataKey) -> None:
    data = os.urandom(100_000)
    source, target = new_key(), new_key()
    await store.upload_file(source, chunked(data), "image/png", data_key=dek)
    other = DataKey.generate()
    info = await store.copy(source, target, data_key=dek, target_data_key=other)
    assert (info.key, info.size, info.content_type) == (target, len(data), "image/png")
    assert await (await store.get_file(target, data_key=other)).read_all() == data
    assert await (await store.get_file(source, data_key=dek)).read_all() == data


async def test_stream_can_be_closed_early(store: Storage, dek: DataKey) -> None:
    data = os.urandom(3 * MiB)
    key = new_key()
    await store.upload_file(key, chunked(data), "application/octet-stream", data_key=dek)
    async with await store.get_file(key, data_key=dek) as stream:
        first = await stream.__anext__()
        assert data.startswith(first)
    assert [chunk async for chunk in stream] == []  # closed: nothing more


async def _objects_under(store: Storage, prefix: str) -> list[str]:
    """What the backend holds under `prefix` (files, objects, unfinished uploads)."""
    from shre.storage.local import LocalStorage
    from shre.storage.s3 import S3Storage

    if isinstance(store, LocalStorage):
        root = store.root / prefix
        return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []
    assert isinstance(store, S3Storage)
    bucket = store.get_bucket()
    assert bucket is not None
    listed = store.client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    uploads = store.client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])] + [
        u["Key"] for u in uploads.get("Uploads", [])
    ]


@pytest.mark.parametrize(("limit", "size"), [(1000, 1001), (1000, 5000), (6 * MiB, 13 * MiB)])
async def test_over_size_uploads_store_nothing(
    store: Storage, dek: DataKey, limit: int, size: int
) -> None:
    employee = uuid.uuid4()
    key = new_key(employee)
    with pytest.raises(TooLarge) as info:
        await store.upload_file(
            key, chunked(os.urandom(size), MiB), "text/plain", data_key=dek, max_size=limit
        )
    assert info.value.limit == limit
    assert await _objects_under(store, f"employees/{employee}/") == []
    assert not await store.exists(key)


async def test_exactly_the_limit_is_accepted(store: Storage, dek: DataKey) -> None:
    key = new_key()
    info = await store.upload_file(
        key, chunked(os.urandom(1000)), "text/plain", data_key=dek, max_size=1000
    )
    assert info.size == 1000


async def test_a_failing_source_stores_nothing(store: Storage, dek: DataKey) -> None:
    employee = uuid.uuid4()

    async def broken() -> AsyncIterator[bytes]:
        yield os.urandom(7 * MiB)  # past one part on S3: a multipart upload is open
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.upload_file(new_key(employee), broken(), "text/plain", data_key=dek)
    assert await _objects_under(store, f"employees/{employee}/") == []


async def test_a_cancelled_upload_stores_nothing(store: Storage, dek: DataKey) -> None:
    employee = uuid.uuid4()

    async def slow() -> AsyncIterator[bytes]:
        yield os.urandom(6 * MiB)
        await anyio.sleep(30)
        yield b"never"

    with anyio.move_on_after(0.5):
        await store.upload_file(new_key(employee), slow(), "text/plain", data_key=dek)
    assert await _objects_under(store, f"employees/{employee}/") == []


async def test_a_failed_replacement_keeps_the_old_object(store: Storage, dek: DataKey) -> None:
    key = new_key()
    await store.upload_file(key, chunked(b"original"), "text/plain", data_key=dek)
    with pytest.raises(TooLarge):
        await store.upload_file(
            key, chunked(os.urandom(100)), "text/plain", data_key=dek, max_size=10
        )
    assert await (await store.get_file(key, data_key=dek)).read_all() == b"original"


BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "employees/../../outside",
    "employees/./x",
    "employees//x",
    "employees/x/",
    "employees\\x",
    "employees/x\x00y",
    "employees/x\ny",
    "C:/windows",
    "employees/.hidden",
    "employees/na me",
    "employees/é",
    "a" * 1025,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_bad_keys_are_refused_everywhere(store: Storage, dek: DataKey, key: str) -> None:
    with pytest.raises(InvalidKey):
        await store.upload_file(key, chunked(b"x"), "text/plain", data_key=dek)
    with pytest.raises(InvalidKey):
        await store.get_file(key, data_key=dek)
    with pytest.raises(InvalidKey):
        await store.head(key)
    with pytest.raises(InvalidKey):
        await store.delete_file(key)
    with pytest.raises(InvalidKey):
        await store.get_presigned_url(key)


@pytest.mark.parametrize(
    "content_type", ["", "pdf", "text/plain\r\nX-Evil: 1", 'text/plain; a="\n"', "a/" + "b" * 300]
)
async def test_bad_content_types_are_refused(
    store: Storage, dek: DataKey, content_type: str
) -> None:
    with pytest.raises(InvalidContentType):
        await store.upload_file(new_key(), chunked(b"x"), content_type, data_key=dek)


@pytest.mark.parametrize("expires_in", [0, -1, 3601, 86_400])
async def test_link_lifetime_is_bounded(store: Storage, expires_in: int) -> None:
    with pytest.raises(InvalidExpiry):
        await store.get_presigned_url(new_key(), expires_in)
    with pytest.raises(ValueError, match="between 1 and 3600"):
        await store.get_presigned_url(new_key(), expires_in)


async def test_company_documents_have_keys_too(store: Storage, dek: DataKey) -> None:
    key = object_key(None, uuid.uuid4(), 3)
    assert key.startswith("company/documents/")
    assert key.endswith("/v3")
    await store.upload_file(key, chunked(b"policy"), "text/plain", data_key=dek)
    assert await (await store.get_file(key, data_key=dek)).read_all() == b"policy"


def test_backend_identity(store: Storage) -> None:
    if store.backend == "s3":
        assert store.is_enabled()
        assert store.get_bucket() == "shre-test"
    else:
        assert not store.is_enabled()
        assert store.get_bucket() is None


async def test_check_passes_when_the_backend_is_up(store: Storage) -> None:
    await store.check()
