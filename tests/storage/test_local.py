"""LocalStorage: encryption at rest (tamper, truncation, reordering, a wrong key), the
root it never leaves, atomic writes, and its signed download links."""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shre.crypto import CryptoError, DataKey, DecryptionFailed, Keyring, MasterKey
from shre.storage import (
    CorruptObject,
    InvalidKey,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageUnavailable,
    WrongDataKey,
    object_key,
)
from shre.storage.local import LOCAL_URL_PREFIX, LocalStorage
from shre.storage.sealed import CHUNK_SIZE, TAG_BYTES, TRAILER_BYTES
from shre.storage.signing import UrlSigner
from tests.support.storage import MiB, chunked, local_settings, new_key

MARKER = b"SSN 123-45-6789 " * 4096  # 64 KiB of recognisable plaintext
DATA = MARKER * 3 + b"tail of the file"  # three full chunks and a short last one


async def _stored(storage: LocalStorage, dek: DataKey, data: bytes = DATA) -> tuple[str, Path]:
    key = new_key()
    await storage.upload_file(key, chunked(data), "application/pdf", data_key=dek)
    return key, storage.path_of(key)


def _header_length(path: Path) -> int:
    raw = path.read_bytes()
    return 23 + struct.unpack(">H", raw[21:23])[0]


def _chunk_offset(path: Path, index: int) -> int:
    return _header_length(path) + index * (CHUNK_SIZE + TAG_BYTES)


async def test_files_are_encrypted_at_rest(local_storage: LocalStorage, dek: DataKey) -> None:
    _key, path = await _stored(local_storage, dek)
    raw = path.read_bytes()
    assert raw.startswith(b"SHRF\x01")
    assert b"123-45-6789" not in raw
    assert len(raw) == _header_length(path) + len(DATA) + 4 * TAG_BYTES + TRAILER_BYTES
    assert path.stat().st_mode & 0o777 == 0o600
    assert (local_storage.root.stat().st_mode & 0o777) == 0o700 or os.geteuid() == 0


async def test_a_different_data_key_cannot_decrypt(
    local_storage: LocalStorage, dek: DataKey
) -> None:
    key, _ = await _stored(local_storage, dek)
    with pytest.raises(WrongDataKey, match="sealed under data key"):
        await local_storage.get_file(key, data_key=DataKey.generate())
    # Even a key claiming the same id: the tags do not match.
    impostor = DataKey(os.urandom(32), dek.id)
    with pytest.raises(CorruptObject):
        await (await local_storage.get_file(key, data_key=impostor)).read_all()


def _flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("where", "chunk"),
    [("header", 0), ("chunk-0", 0), ("chunk-2", 2), ("last-chunk", 3), ("trailer", 3)],
)
async def test_any_flipped_bit_fails_authentication(
    local_storage: LocalStorage, dek: DataKey, where: str, chunk: int
) -> None:
    key, path = await _stored(local_storage, dek)
    offsets = {
        "chunk-0": _chunk_offset(path, 0) + 5,
        "chunk-2": _chunk_offset(path, 2) + 100,
        "last-chunk": _chunk_offset(path, 3) + 3,
        "trailer": path.stat().st_size - 1,
    }
    if where == "header":  # change the content type, keeping its length
        raw = path.read_bytes()
        path.write_bytes(raw.replace(b"application/pdf", b"application/pdg", 1))
    else:
        _flip(path, offsets[where])
    with pytest.raises(CorruptObject, match=f"chunk {chunk} failed authentication"):
        await (await local_storage.get_file(key, data_key=dek)).read_all()
    if where not in {"header", "chunk-0"}:
        # Chunks before the damage still read, and only those chunks are decrypted.
        stream = await local_storage.get_file(key, data_key=dek, start=0, end=CHUNK_SIZE - 1)
        assert await stream.read_all() == DATA[:CHUNK_SIZE]


async def test_reordered_chunks_fail(local_storage: LocalStorage, dek: DataKey) -> None:
    key, path = await _stored(local_storage, dek)
    raw = bytearray(path.read_bytes())
    first, second, step = _chunk_offset(path, 0), _chunk_offset(path, 1), CHUNK_SIZE + TAG_BYTES
    raw[first:second], raw[second : second + step] = raw[second : second + step], raw[first:second]
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptObject, match="chunk 0 failed"):
        await (await local_storage.get_file(key, data_key=dek)).read_all()


async def test_truncated_files_fail(local_storage: LocalStorage, dek: DataKey) -> None:
    key, path = await _stored(local_storage, dek)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(CorruptObject, match="truncated or extended"):
        await local_storage.get_file(key, data_key=dek)
    # Cut at a chunk boundary with a trailer made to match: the new last chunk was not
    # sealed as the last one, so the end of the stream is never reported as complete.
    cut = raw[: _chunk_offset(path, 2)] + struct.pack(">Q32s", 2 * CHUNK_SIZE, bytes(32))
    path.write_bytes(cut)
    stream = await local_storage.get_file(key, data_key=dek)
    assert stream.info.size == 2 * CHUNK_SIZE
    with pytest.raises(CorruptObject, match="chunk 1 failed"):
        await stream.read_all()
    path.write_bytes(raw[:30])
    with pytest.raises(CorruptObject):
        await local_storage.head(key)


async def test_a_file_moved_to_another_key_fails(local_storage: LocalStorage, dek: DataKey) -> None:
    _key, path = await _stored(local_storage, dek)
    other = new_key()
    target = local_storage.path_of(other)
    target.parent.mkdir(parents=True)
    shutil.copy(path, target)
    with pytest.raises(CorruptObject):
        await (await local_storage.get_file(other, data_key=dek)).read_all()


async def test_an_empty_file_is_authenticated_too(
    local_storage: LocalStorage, dek: DataKey
) -> None:
    key, path = await _stored(local_storage, dek, b"")
    assert await (await local_storage.get_file(key, data_key=dek)).read_all() == b""
    _flip(path, _chunk_offset(path, 0))
    with pytest.raises(CorruptObject):
        await (await local_storage.get_file(key, data_key=dek)).read_all()


async def test_not_a_shre_file(local_storage: LocalStorage, dek: DataKey) -> None:
    key = new_key()
    path = local_storage.path_of(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.7 plaintext that someone dropped here" * 10)
    with pytest.raises(CorruptObject, match="not a shre file"):
        await local_storage.get_file(key, data_key=dek)


def test_storage_errors_are_crypto_errors_too() -> None:
    assert issubclass(CorruptObject, DecryptionFailed)
    assert issubclass(WrongDataKey, CryptoError)


async def test_writes_are_atomic_and_leave_no_temp_files(
    local_storage: LocalStorage, dek: DataKey
) -> None:
    key, path = await _stored(local_storage, dek)

    async def broken() -> AsyncIterator[bytes]:
        yield b"new content " * 200_000
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await local_storage.upload_file(key, broken(), "text/plain", data_key=dek)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert await (await local_storage.get_file(key, data_key=dek)).read_all() == DATA


async def test_symlinks_cannot_lead_outside_the_root(
    local_storage: LocalStorage, dek: DataKey, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local_storage.root.mkdir(parents=True, exist_ok=True)
    (local_storage.root / "employees").symlink_to(outside)
    key = object_key(uuid.uuid4(), uuid.uuid4(), 1)
    with pytest.raises(InvalidKey, match="outside the storage root"):
        await local_storage.upload_file(key, chunked(b"x"), "text/plain", data_key=dek)
    assert list(outside.iterdir()) == []


async def test_delete_prunes_empty_directories(local_storage: LocalStorage, dek: DataKey) -> None:
    employee = uuid.uuid4()
    first, second = new_key(employee), new_key(employee)
    for key in (first, second):
        await local_storage.upload_file(key, chunked(b"x"), "text/plain", data_key=dek)
    await local_storage.delete_file(first)
    assert (local_storage.root / "employees" / str(employee)).is_dir()
    await local_storage.delete_file(second)
    assert not (local_storage.root / "employees" / str(employee)).exists()
    assert local_storage.root.is_dir()


async def test_a_failing_disk_is_unavailable(tmp_path: Path, dek: DataKey) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the upload directory should be")
    storage = LocalStorage.from_settings(local_settings(tmp_path, upload_dir=blocker / "uploads"))
    with pytest.raises(StorageUnavailable, match="write failed"):
        await storage.upload_file(new_key(), chunked(b"x"), "text/plain", data_key=dek)
    with pytest.raises(StorageUnavailable, match="not writable"):
        await storage.check()


async def test_large_ranges_decrypt_only_the_chunks_they_need(
    local_storage: LocalStorage, dek: DataKey
) -> None:
    data = os.urandom(5 * MiB)
    key, path = await _stored(local_storage, dek, data)
    # Damage the first and the last chunk: a range in the middle never touches them.
    _flip(path, _chunk_offset(path, 0) + 1)
    _flip(path, path.stat().st_size - TRAILER_BYTES - 1)
    start, end = 2 * MiB + 123, 3 * MiB + 456
    stream = await local_storage.get_file(key, data_key=dek, start=start, end=end)
    assert await stream.read_all() == data[start : end + 1]


# --- signed links ---


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_signed_links_round_trip_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    storage = LocalStorage.from_settings(local_settings(tmp_path), clock=clock)
    key = new_key()
    url = await storage.get_presigned_url(
        key, filename="résumé.pdf", content_type="application/pdf"
    )
    assert url.startswith(f"{LOCAL_URL_PREFIX}/")
    token = url.removeprefix(f"{LOCAL_URL_PREFIX}/")
    assert storage.verify_signed_url(token) == key
    link = storage.open_signed_url(token)
    assert (link.key, link.disposition, link.expires_at) == (key, "attachment", 1_900_000_300)
    # Only ids travel in the link: no filename in access logs or browser history.
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==")
    assert b"sum" not in payload
    assert b"pdf" not in payload
    inline = await storage.get_presigned_url(key, 60, disposition="inline")
    assert storage.open_signed_url(inline.rsplit("/", 1)[1]).disposition == "inline"
    clock.now += 299
    assert storage.verify_signed_url(token) == key
    clock.now += 1
    with pytest.raises(SignedUrlExpired):
        storage.verify_signed_url(token)


async def test_signed_links_cannot_be_altered(tmp_path: Path) -> None:
    storage = LocalStorage.from_settings(local_settings(tmp_path))
    token = (await storage.get_presigned_url(new_key(), 60)).rsplit("/", 1)[1]
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for change in ({"k": new_key()}, {"x": payload["x"] + 3600}):
        forged = dict(payload, **change)
        raw = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        with pytest.raises(SignedUrlInvalid, match="signature"):
            storage.verify_signed_url(f"{raw}.{mac}")
    for bad in ["", "nodot", "a.b.c", f"{body}.{mac[:-2]}", f"{body}x.{mac}", "é.é", "x" * 5000]:
        with pytest.raises(SignedUrlInvalid):
            storage.verify_signed_url(bad)


async def test_signed_links_follow_master_key_rotation(tmp_path: Path) -> None:
    old, new, stranger = (MasterKey(os.urandom(32)) for _ in range(3))
    before = UrlSigner(Keyring(old))
    during = UrlSigner(Keyring(new, (old,)))
    foreign = UrlSigner(Keyring(stranger))
    key = new_key()
    token = before.sign(key, 60)
    assert during.verify(token).key == key  # a retired key still verifies
    assert during.verify(during.sign(key, 60)).key == key
    with pytest.raises(SignedUrlInvalid, match="not configured"):
        foreign.verify(token)
    with pytest.raises(SignedUrlInvalid, match="not configured"):
        before.verify(during.sign(key, 60))
