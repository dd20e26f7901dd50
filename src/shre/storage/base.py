"""The `Storage` protocol both backends keep, and the values it passes around."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Literal, Protocol

from shre.crypto import DataKey
from shre.observability.prometheus import count_storage_bytes
from shre.storage.errors import InvalidRange
from shre.storage.keys import PRESIGN_DEFAULT_SECONDS

MiB = 1024 * 1024
DEFAULT_READ_CHUNK = MiB


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What is known about a stored object without reading it."""

    key: str
    size: int
    content_type: str
    sha256: str | None = None  # hex; None where the backend does not know it
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class ListedObject:
    """One stored object as a listing sees it (for consistency checks and migrations)."""

    key: str
    modified: datetime  # UTC


@dataclass(frozen=True, slots=True)
class SignedLink:
    """What a verified local download link grants. The filename and content type to
    answer with come from the document row, not the link (see `signing`)."""

    key: str
    expires_at: int  # unix seconds
    disposition: str = "attachment"  # or "inline"


def resolve_range(size: int, start: int, end: int | None) -> tuple[int, int]:
    """Inclusive `(start, end)` for a read of `size` bytes, like `Range: bytes=start-end`.

    `end` past the object is clamped; a range starting at or past the end (or any range
    of an empty object) is InvalidRange. A full read of an empty object is `(0, -1)`.
    """
    if start < 0 or (end is not None and end < start):
        raise ValueError("range must satisfy 0 <= start <= end")
    if start == 0 and end is None:
        return 0, size - 1
    if start >= size:
        raise InvalidRange(size)
    return start, size - 1 if end is None else min(end, size - 1)


class ObjectStream:
    """An opened object (or byte range of it), read as an async iterator of chunks.

    `get_file` opens the object before returning, so a missing object or a bad range
    raises there (before a response has started). Iterating to the end, or `aclose()`,
    releases the connection or file; use it as `async with` or pass `aclose` to the
    response's background task.
    """

    def __init__(
        self,
        info: ObjectInfo,
        start: int,
        end: int,
        chunks: AsyncIterator[bytes],
        close: Callable[[], Awaitable[None]],
        *,
        backend: str,
    ) -> None:
        self.info = info
        self.backend = backend
        self.start = start
        self.end = end  # inclusive; -1 for an empty object
        self._chunks = chunks
        self._close = close
        self._closed = False

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def is_partial(self) -> bool:
        return self.length != self.info.size

    @property
    def content_range(self) -> str:
        """The `Content-Range` header value of a partial (206) response."""
        return f"bytes {self.start}-{self.end}/{self.info.size}"

    def __aiter__(self) -> ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            chunk = await self._chunks.__anext__()
        except BaseException:  # end of data, a failure or a cancellation: release now
            await self.aclose()
            raise
        count_storage_bytes(self.backend, "read", len(chunk))
        return chunk

    async def read_all(self) -> bytes:
        """The whole range in memory: for tests and small objects only."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            aclose = getattr(self._chunks, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            await self._close()

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class Storage(Protocol):
    """Where document files live: S3 (or S3-compatible) or the local disk, chosen once by
    `create_storage(settings)`. Keys come from `object_key`. The data key is the owning
    employee's: LocalStorage encrypts files under it (so crypto-shredding covers files);
    S3Storage ignores it (objects are protected by server-side encryption)."""

    @property
    def backend(self) -> Literal["s3", "local"]: ...

    def is_enabled(self) -> bool:
        """True for the S3 backend (the seed's `isEnabled`): for status display only;
        nothing should branch on it."""
        ...

    def get_bucket(self) -> str | None:
        """The S3 bucket, or None for local storage."""
        ...

    async def upload_file(
        self,
        key: str,
        stream: AsyncIterable[bytes],
        content_type: str,
        *,
        data_key: DataKey,
        max_size: int | None = None,
    ) -> ObjectInfo:
        """Store the stream at `key` (replacing what was there), computing its SHA-256 and
        size on the way with bounded memory. More than `max_size` bytes (default
        MAX_UPLOAD_MB) raises TooLarge and leaves nothing stored."""
        ...

    async def get_file(
        self, key: str, *, data_key: DataKey, start: int = 0, end: int | None = None
    ) -> ObjectStream:
        """Open the object, or bytes start..end (inclusive, like HTTP Range) of it.
        ObjectNotFound, InvalidRange."""
        ...

    async def head(self, key: str) -> ObjectInfo:
        """Size, content type and (where known) SHA-256. ObjectNotFound."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete_file(self, key: str) -> None:
        """Remove the object; deleting a missing object is not an error."""
        ...

    async def copy(
        self,
        source: str,
        target: str,
        *,
        data_key: DataKey,
        target_data_key: DataKey | None = None,
    ) -> ObjectInfo:
        """Copy an object to another key (and, locally, re-encrypt it under
        `target_data_key`, default `data_key`)."""
        ...

    async def get_presigned_url(
        self,
        key: str,
        expires_in: int = PRESIGN_DEFAULT_SECONDS,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        disposition: str = "attachment",
    ) -> str:
        """A time-limited GET link (default 300 s; InvalidExpiry outside 1..3600).
        S3: an absolute presigned URL whose response carries `Content-Disposition` with
        `filename` (RFC 6266) and `content_type`. Local: a path under
        /api/v1/storage/local/ that shre serves itself (make it absolute with the
        request's base URL); it carries only the key, expiry and disposition, and the
        serving route sets the headers from the document row."""
        ...

    def verify_signed_url(self, token: str) -> str:
        """The key a local download link grants; SignedUrlExpired / SignedUrlInvalid.
        S3 links are never served by shre, so S3Storage refuses every token."""
        ...

    def open_signed_url(self, token: str) -> SignedLink:
        """Like `verify_signed_url`, with the expiry and disposition it was made for."""
        ...

    def iter_objects(self, prefix: str = "") -> AsyncIterator[ListedObject]:
        """Every stored object whose key starts with `prefix`, in no particular order
        (unfinished uploads and other non-keys are left out)."""
        ...

    async def check(self) -> None:
        """Readiness: raise StorageUnavailable unless the backend answers (S3: HeadBucket;
        local: the root directory is writable)."""
        ...

    async def aclose(self) -> None:
        """Release clients and connection pools (app shutdown)."""
        ...
