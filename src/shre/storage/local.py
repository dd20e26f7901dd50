"""LocalStorage: files under UPLOAD_DIR, encrypted at rest under the owner's data key
(`sealed.py`), written atomically, never outside the root. Its download links are signed
tokens that shre serves itself (`signing.py`).

Disk work and AES run in worker threads, a batch of chunks (1 MiB) per hop, so the event
loop only moves buffers; memory per transfer stays around two batches.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

import anyio
import structlog
from anyio import to_thread

from shre.crypto import DataKey, Keyring
from shre.observability.prometheus import count_storage_bytes, count_storage_error
from shre.settings import Settings
from shre.storage.base import (
    ListedObject,
    MiB,
    ObjectInfo,
    ObjectStream,
    SignedLink,
    resolve_range,
)
from shre.storage.errors import (
    CorruptObject,
    InvalidKey,
    ObjectNotFound,
    StorageUnavailable,
    TooLarge,
)
from shre.storage.keys import (
    PRESIGN_DEFAULT_SECONDS,
    validate_content_type,
    validate_key,
)
from shre.storage.sealed import Layout, Opener, Sealer, read_layout
from shre.storage.signing import UrlSigner

log = structlog.get_logger("shre.storage")
T = TypeVar("T")

LOCAL_URL_PREFIX = "/api/v1/storage/local"
BATCH_BYTES = MiB


class _TempFile:
    """A new file next to its final path, moved into place only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        self._handle: BinaryIO | None = None
        self._pending = False  # the temporary file exists

    def open(self) -> None:
        for _attempt in range(3):
            # A concurrent delete may prune the (empty) directory between the two calls.
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            except FileNotFoundError:
                continue
            self._pending = True
            self._handle = os.fdopen(fd, "wb")
            return
        raise FileNotFoundError(errno.ENOENT, "could not create the upload directory")

    def _opened(self) -> BinaryIO:
        if self._handle is None:
            raise RuntimeError("the temporary file is not open")
        return self._handle

    def write(self, data: bytes) -> None:
        self._opened().write(data)

    def commit(self) -> None:
        """fsync the data, rename over the final path, fsync the directory entry."""
        handle = self._opened()
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        self._handle = None
        os.replace(self.tmp, self.path)
        self._pending = False
        dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def discard(self) -> None:
        """Remove the unfinished file; never raises (the upload's own error matters)."""
        if not self._pending:
            return  # never created, or already in place
        try:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
            self.tmp.unlink()
            self._pending = False
        except OSError as exc:
            log.error("storage.temp_file_left", path=str(self.tmp), error_type=type(exc).__name__)


class _Upload:
    """Encrypts and writes one upload; runs in worker threads, one batch at a time."""

    def __init__(self, target: _TempFile, sealer: Sealer) -> None:
        self.target = target
        self.sealer = sealer
        self.hasher = hashlib.sha256()

    def start(self) -> None:
        self.target.open()
        self.target.write(self.sealer.header.encode())

    def write_chunks(self, block: bytes) -> None:
        """Whole chunks that are known not to be the last."""
        self.hasher.update(block)
        size = self.sealer.header.chunk_size
        view = memoryview(block)
        self.target.write(
            b"".join(
                self.sealer.seal(bytes(view[i : i + size])) for i in range(0, len(block), size)
            )
        )

    def finish(self, final: bytes, total: int) -> str:
        self.hasher.update(final)
        digest = self.hasher.digest()
        trailer = Sealer.trailer(total, digest)
        self.target.write(self.sealer.seal(final, last=True, trailer=trailer) + trailer)
        self.target.commit()
        return digest.hex()


class LocalStorage:
    def __init__(
        self,
        root: Path,
        *,
        signer: UrlSigner,
        max_upload_size: int,
        url_prefix: str = LOCAL_URL_PREFIX,
    ) -> None:
        self._root = Path(root)
        self._signer = signer
        self._max_upload_size = max_upload_size
        self._url_prefix = url_prefix.rstrip("/")

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> LocalStorage:
        return cls(
            settings.upload_dir,
            signer=UrlSigner(Keyring.from_settings(settings), clock),
            max_upload_size=settings.max_upload_mb * MiB,
        )

    @property
    def backend(self) -> Literal["local"]:
        return "local"

    @property
    def root(self) -> Path:
        return self._root

    def is_enabled(self) -> bool:
        return False

    def get_bucket(self) -> str | None:
        return None

    def path_of(self, key: str) -> Path:
        """The file of `key`: validated, resolved, and inside the root (InvalidKey)."""
        validate_key(key)
        root = self._root.resolve()
        path = (root / key).resolve()
        if path == root or not path.is_relative_to(root):
            raise InvalidKey("object key resolves outside the storage root")
        return path

    # --- writing ---
    async def upload_file(
        self,
        key: str,
        stream: AsyncIterable[bytes],
        content_type: str,
        *,
        data_key: DataKey,
        max_size: int | None = None,
    ) -> ObjectInfo:
        validate_content_type(content_type)
        limit = self._max_upload_size if max_size is None else max_size
        upload = _Upload(_TempFile(self.path_of(key)), Sealer(data_key, key, content_type))
        chunk = upload.sealer.header.chunk_size
        size = 0
        pending = bytearray()
        try:
            await _disk(upload.start)
            async for data in stream:
                size += len(data)
                if size > limit:
                    raise TooLarge(limit)
                pending += data
                if len(pending) > BATCH_BYTES:
                    # Keep 1..chunk bytes back: only the end of the stream says which is last.
                    whole = (len(pending) - 1) // chunk * chunk
                    block = bytes(memoryview(pending)[:whole])
                    del pending[:whole]
                    await _disk(upload.write_chunks, block)
            if len(pending) > chunk:
                whole = (len(pending) - 1) // chunk * chunk
                await _disk(upload.write_chunks, bytes(memoryview(pending)[:whole]))
                del pending[:whole]
            sha256 = await _disk(upload.finish, bytes(pending), size)
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(upload.target.discard)
            log.warning(
                "storage.upload_failed", backend="local", key=key, error_type=type(exc).__name__
            )
            if isinstance(exc, StorageUnavailable):  # the disk's fault, not the upload's
                count_storage_error("local", "put")
            raise
        log.info("storage.uploaded", backend="local", key=key, size=size)
        count_storage_bytes("local", "write", size)
        return ObjectInfo(key=key, size=size, content_type=content_type, sha256=sha256)

    async def delete_file(self, key: str) -> None:
        path = self.path_of(key)
        await to_thread.run_sync(self._delete, path)
        log.info("storage.deleted", backend="local", key=key)

    def _delete(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        root = self._root.resolve()
        parent = path.parent
        while parent != root and parent.is_relative_to(root):
            try:
                parent.rmdir()  # only while empty: the tree does not keep dead branches
            except OSError:
                break
            parent = parent.parent

    async def copy(
        self,
        source: str,
        target: str,
        *,
        data_key: DataKey,
        target_data_key: DataKey | None = None,
    ) -> ObjectInfo:
        async with await self.get_file(source, data_key=data_key) as stream:
            return await self.upload_file(
                target,
                stream,
                stream.info.content_type,
                data_key=target_data_key or data_key,
                max_size=stream.info.size,
            )

    # --- reading ---
    def _open(self, path: Path, key: str) -> tuple[BinaryIO, Layout]:
        try:
            handle = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            return handle, read_layout(handle, key)
        except BaseException:
            handle.close()
            raise

    async def head(self, key: str) -> ObjectInfo:
        handle, layout = await to_thread.run_sync(self._open, self.path_of(key), key)
        await to_thread.run_sync(handle.close)
        return ObjectInfo(key, layout.size, layout.header.content_type, layout.sha256)

    async def exists(self, key: str) -> bool:
        return await to_thread.run_sync(self.path_of(key).is_file)

    async def get_file(
        self, key: str, *, data_key: DataKey, start: int = 0, end: int | None = None
    ) -> ObjectStream:
        handle, layout = await to_thread.run_sync(self._open, self.path_of(key), key)
        try:
            opener = Opener(data_key, layout, key)
            first, last = resolve_range(layout.size, start, end)
        except BaseException:
            handle.close()
            raise

        async def close() -> None:
            await to_thread.run_sync(handle.close)

        info = ObjectInfo(key, layout.size, layout.header.content_type, layout.sha256)
        chunks = self._plaintext(handle, opener, first, last)
        return ObjectStream(info, first, last, chunks, close, backend="local")

    async def _plaintext(
        self, handle: BinaryIO, opener: Opener, first: int, last: int
    ) -> AsyncIterator[bytes]:
        chunk = opener.layout.header.chunk_size
        # An empty file still has its (empty, final) chunk checked.
        lo, hi = (first // chunk, last // chunk) if last >= first else (0, 0)
        per_batch = max(1, BATCH_BYTES // chunk)
        for batch_lo in range(lo, hi + 1, per_batch):
            batch_hi = min(hi, batch_lo + per_batch - 1)
            data = await to_thread.run_sync(
                _read_chunks, handle, opener, batch_lo, batch_hi, first, last
            )
            if data:
                yield data

    async def iter_objects(self, prefix: str = "") -> AsyncIterator[ListedObject]:
        listed = await to_thread.run_sync(self._list, prefix)
        for item in listed:
            yield item

    def _list(self, prefix: str) -> list[ListedObject]:
        """Every file under the root that is a valid key (temporary files start with a dot
        and are not keys). Walks the whole tree in one worker thread."""
        root = self._root.resolve()
        if not root.is_dir():
            return []
        out: list[ListedObject] = []
        for directory, _dirs, files in os.walk(root):
            for name in files:
                path = Path(directory, name)
                key = path.relative_to(root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    validate_key(key)
                    modified = path.stat().st_mtime
                except (InvalidKey, FileNotFoundError):
                    continue
                out.append(ListedObject(key, datetime.fromtimestamp(modified, UTC)))
        return out

    # --- links ---
    async def get_presigned_url(
        self,
        key: str,
        expires_in: int = PRESIGN_DEFAULT_SECONDS,
        *,
        filename: str | None = None,  # unused: the serving route takes the row's
        content_type: str | None = None,
        disposition: str = "attachment",
    ) -> str:
        if content_type is not None:
            validate_content_type(content_type)  # refused alike on both backends
        token = self._signer.sign(key, expires_in, disposition=disposition)
        return f"{self._url_prefix}/{token}"

    def open_signed_url(self, token: str) -> SignedLink:
        return self._signer.verify(token)

    def verify_signed_url(self, token: str) -> str:
        return self.open_signed_url(token).key

    # --- lifecycle ---
    async def check(self) -> None:
        await to_thread.run_sync(self._probe)

    def _probe(self) -> None:
        probe = self._root / f".readyz.{secrets.token_hex(8)}.tmp"
        try:
            self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, b"ok")
                os.fsync(fd)
            finally:
                os.close(fd)
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(
                f"upload directory is not writable ({type(exc).__name__})"
            ) from exc

    async def aclose(self) -> None:
        return None


async def _disk(fn: Callable[..., T], *args: Any) -> T:
    """A write step in a worker thread; a failing disk (full, read-only, gone) makes the
    backend unavailable rather than a bare OSError (a failing upload *source* is not this)."""
    try:
        return await to_thread.run_sync(fn, *args)
    except OSError as exc:
        code = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise StorageUnavailable(f"local storage write failed ({code})") from exc


def _read_chunks(
    handle: BinaryIO, opener: Opener, lo: int, hi: int, first: int, last: int
) -> bytes:
    """Decrypt chunks lo..hi and keep the bytes of first..last (inclusive) among them."""
    layout = opener.layout
    offset, _ = layout.chunk_span(lo)
    end_offset, end_length = layout.chunk_span(hi)
    handle.seek(offset)
    data = handle.read(end_offset + end_length - offset)
    if len(data) != end_offset + end_length - offset:
        raise CorruptObject(f"{opener.key}: file is shorter than its header says")
    chunk = layout.header.chunk_size
    out: list[bytes] = []
    position = 0
    for index in range(lo, hi + 1):
        _, length = layout.chunk_span(index)
        plain = opener.open(index, data[position : position + length])
        position += length
        base = index * chunk
        out.append(plain[max(first - base, 0) : max(0, min(last - base + 1, len(plain)))])
    return b"".join(out)
