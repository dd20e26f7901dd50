"""The at-rest format of local files: chunked AES-256-GCM (the STREAM construction of
Hoang, Reyhanitabar, Rogaway and Vizár), so files are encrypted and decrypted as they
stream and a byte range decrypts only the chunks it covers.

Layout, v1:

    header   "SHRF" | 0x01 | chunk size (u32) | data key id (4) | nonce prefix (8)
             | content-type length (u16) | content type (ASCII)
    chunks   AES-GCM(plaintext chunk i) (chunk size + 16 bytes; the last one may be
             shorter, and an empty file is one empty final chunk)
    trailer  plaintext size (u64) | SHA-256 of the plaintext (32)

Key: HKDF(owner's data key, "shre/storage/file/v1"), so file and field encryption never
share a key. Nonce: the file's random 8-byte prefix | chunk counter (u32, big-endian), so
chunks cannot be reordered or moved between files. Associated data: "shre/file/v1" |
header | object key | last-chunk flag (| trailer, for the last chunk): cutting the file
at a chunk boundary, changing the header or the trailer, or moving the file to another
key fails authentication. Integers are big-endian.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from shre.crypto import DataKey, DecryptionFailed
from shre.crypto.envelope import seal, unseal
from shre.crypto.keyring import derive
from shre.storage.errors import CorruptObject, WrongDataKey

MAGIC = b"SHRF"
VERSION_1 = 0x01
CHUNK_SIZE = 64 * 1024
MIN_CHUNK, MAX_CHUNK = 1024, 16 * 1024 * 1024
TAG_BYTES = 16
PREFIX_BYTES = 8
MAX_CHUNKS = 2**32
_FIXED = struct.Struct(">4sBI4s8sH")
_TRAILER = struct.Struct(">Q32s")
TRAILER_BYTES = _TRAILER.size
_AAD_LABEL = b"shre/file/v1"
_KEY_PURPOSE = b"shre/storage/file/v1"


def _framed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def chunk_count(size: int, chunk_size: int) -> int:
    return max(1, -(-size // chunk_size))


@dataclass(frozen=True, slots=True)
class Header:
    chunk_size: int
    key_id: bytes
    nonce_prefix: bytes
    content_type: str

    @classmethod
    def new(cls, dek: DataKey, content_type: str, chunk_size: int = CHUNK_SIZE) -> Header:
        return cls(chunk_size, dek.id, os.urandom(PREFIX_BYTES), content_type)

    def encode(self) -> bytes:
        ctype = self.content_type.encode("ascii")
        return (
            _FIXED.pack(
                MAGIC, VERSION_1, self.chunk_size, self.key_id, self.nonce_prefix, len(ctype)
            )
            + ctype
        )

    @property
    def length(self) -> int:
        return _FIXED.size + len(self.content_type.encode("ascii"))


@dataclass(frozen=True, slots=True)
class Layout:
    """A sealed file's header and trailer, read without the key (not yet authenticated:
    the chunks' tags vouch for them when they are decrypted)."""

    header: Header
    size: int
    sha256: str

    @property
    def chunks(self) -> int:
        return chunk_count(self.size, self.header.chunk_size)

    def chunk_span(self, index: int) -> tuple[int, int]:
        """File offset and sealed length of chunk `index`."""
        step = self.header.chunk_size + TAG_BYTES
        plain = min(self.header.chunk_size, self.size - index * self.header.chunk_size)
        return self.header.length + index * step, plain + TAG_BYTES

    def trailer(self) -> bytes:
        return _TRAILER.pack(self.size, bytes.fromhex(self.sha256))


def read_layout(handle: BinaryIO, key: str) -> Layout:
    """Parse and sanity-check the header and trailer of an open sealed file."""
    fixed = handle.read(_FIXED.size)
    if len(fixed) != _FIXED.size:
        raise CorruptObject(f"{key}: not a shre file (too short)")
    magic, version, chunk_size, key_id, prefix, ctype_len = _FIXED.unpack(fixed)
    if magic != MAGIC:
        raise CorruptObject(f"{key}: not a shre file")
    if version != VERSION_1:
        raise CorruptObject(f"{key}: unknown file format version {version}")
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise CorruptObject(f"{key}: implausible chunk size in the header")
    raw_ctype = handle.read(ctype_len)
    if len(raw_ctype) != ctype_len:
        raise CorruptObject(f"{key}: truncated header")
    try:
        content_type = raw_ctype.decode("ascii")
    except UnicodeDecodeError:
        raise CorruptObject(f"{key}: damaged header") from None
    header = Header(chunk_size, key_id, prefix, content_type)
    total = os.fstat(handle.fileno()).st_size
    if total < header.length + TAG_BYTES + TRAILER_BYTES:
        raise CorruptObject(f"{key}: truncated file")
    handle.seek(total - TRAILER_BYTES)
    size, digest = _TRAILER.unpack(handle.read(TRAILER_BYTES))
    layout = Layout(header, size, digest.hex())
    expected = header.length + size + layout.chunks * TAG_BYTES + TRAILER_BYTES
    if expected != total or layout.chunks > MAX_CHUNKS:
        raise CorruptObject(f"{key}: truncated or extended file (length does not match)")
    return layout


class _Chunks:
    def __init__(self, dek: DataKey, header: Header, key: str) -> None:
        self.header = header
        self._key = derive(dek.key, _KEY_PURPOSE)
        self._aad = _AAD_LABEL + _framed(header.encode(), key.encode("utf-8"))

    def _nonce(self, index: int) -> bytes:
        if not 0 <= index < MAX_CHUNKS:
            raise ValueError("file has too many chunks")
        return self.header.nonce_prefix + index.to_bytes(4, "big")

    def _chunk_aad(self, last: bool, trailer: bytes) -> bytes:
        return self._aad + (b"\x01" + trailer if last else b"\x00")


class Sealer(_Chunks):
    """Encrypts the chunks of one new file, in order."""

    def __init__(self, dek: DataKey, key: str, content_type: str) -> None:
        super().__init__(dek, Header.new(dek, content_type), key)
        self.index = 0

    def seal(self, plain: bytes, *, last: bool = False, trailer: bytes = b"") -> bytes:
        if len(plain) > self.header.chunk_size or (
            not last and len(plain) != self.header.chunk_size
        ):
            raise ValueError("only the last chunk may be short")
        sealed = seal(self._key, self._nonce(self.index), plain, self._chunk_aad(last, trailer))
        self.index += 1
        return sealed

    @staticmethod
    def trailer(size: int, sha256: bytes) -> bytes:
        return _TRAILER.pack(size, sha256)


class Opener(_Chunks):
    """Decrypts chunks of one sealed file, in any order (for ranges)."""

    def __init__(self, dek: DataKey, layout: Layout, key: str) -> None:
        if layout.header.key_id != dek.id:
            raise WrongDataKey(
                f"{key}: sealed under data key {layout.header.key_id.hex()}, not {dek.id.hex()}"
            )
        super().__init__(dek, layout.header, key)
        self.layout = layout
        self.key = key

    def open(self, index: int, sealed: bytes) -> bytes:
        last = index == self.layout.chunks - 1
        trailer = self.layout.trailer() if last else b""
        try:
            return unseal(self._key, self._nonce(index), sealed, self._chunk_aad(last, trailer))
        except DecryptionFailed:
            raise CorruptObject(
                f"{self.key}: chunk {index} failed authentication "
                "(tampered, truncated, reordered or moved file, or a wrong key)"
            ) from None
