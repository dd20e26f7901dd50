"""S3Storage: AWS S3 or any S3-compatible store (S3_ENDPOINT_URL), through boto3.

boto3 rather than aiobotocore: its client is thread-safe and each call runs in a worker
thread (`anyio.to_thread`), one hop per request, 8 MiB part or 1 MiB read, which costs
nothing next to the network. aiobotocore pins botocore to a narrow range, which fights
every other botocore user (boto3, s3transfer, the type stubs) on each upgrade.

Every write asks for server-side encryption (S3_SSE) and checks the store applied it.
Uploads up to one part go up in a single PutObject; longer ones as a multipart upload of
S3_MULTIPART_CHUNK_MB parts, one part in memory at a time, aborted on any failure so no
parts are left behind. Throttling and 5xx answers are retried by botocore (retry mode
and attempts from the settings), never by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import boto3
import structlog
from anyio import to_thread
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from shre.crypto import DataKey
from shre.observability.prometheus import count_storage_bytes, count_storage_error
from shre.settings import Settings
from shre.storage.base import (
    DEFAULT_READ_CHUNK,
    ListedObject,
    MiB,
    ObjectInfo,
    ObjectStream,
    SignedLink,
    resolve_range,
)
from shre.storage.errors import (
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    SignedUrlInvalid,
    StorageError,
    StorageUnavailable,
    TooLarge,
)
from shre.storage.keys import (
    PRESIGN_DEFAULT_SECONDS,
    check_expires_in,
    content_disposition,
    validate_content_type,
    validate_key,
)
from shre.storage.multipart import MultipartUpload

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

log = structlog.get_logger("shre.storage")
T = TypeVar("T")

MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PARTS = 10_000
COPY_MULTIPART_THRESHOLD = 5 * 1024 * MiB  # CopyObject's ceiling
_NOT_FOUND = {"NoSuchKey", "NotFound", "404"}


def sse_params(sse: str, kms_key_id: str | None) -> dict[str, str]:
    """The server-side encryption arguments of every PutObject / multipart / copy."""
    params = {"ServerSideEncryption": sse}
    if sse == "aws:kms" and kms_key_id:
        params["SSEKMSKeyId"] = kms_key_id
    return params


def client_config(settings: Settings, *, probe: bool = False) -> Config:
    """botocore's own retry handling (standard or adaptive, with backoff on throttling and
    5xx); the readiness probe makes one short attempt instead. S3_MAX_ATTEMPTS counts
    every attempt, like AWS_MAX_ATTEMPTS (botocore's `max_attempts` would count retries)."""
    return Config(
        region_name=settings.s3_region,
        signature_version="s3v4",
        retries={
            "mode": settings.s3_retry_mode,
            "total_max_attempts": 1 if probe else settings.s3_max_attempts,
        },
        connect_timeout=2 if probe else 10,
        read_timeout=3 if probe else 60,
        max_pool_connections=32,
        # S3-compatible servers (SeaweedFS, MinIO, ...) are addressed by path.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
    )


def make_client(
    settings: Settings, *, probe: bool = False, session: boto3.session.Session | None = None
) -> S3Client:
    secret = settings.s3_secret_access_key
    # A private session: creating clients from boto3's default session is not thread-safe.
    session = session or boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=client_config(settings, probe=probe),
    )


def _error_code(exc: ClientError) -> tuple[str, int | None]:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code", "")), status


class S3Storage:
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        max_upload_size: int,
        sse: str = "AES256",
        kms_key_id: str | None = None,
        part_size: int = 8 * MiB,
        probe_client: S3Client | None = None,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("multipart part size must be at least 5 MiB")
        if -(-max_upload_size // part_size) > MAX_PARTS:
            raise ValueError("max upload size needs more than 10000 parts; raise the part size")
        self.client = client
        self._probe = probe_client or client
        self._bucket = bucket
        self._max_upload_size = max_upload_size
        self._sse = sse_params(sse, kms_key_id)
        self._part_size = part_size

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        if not settings.s3_bucket:
            raise ValueError("S3_BUCKET is not set")
        session = boto3.session.Session()  # one session: the clients share its loaded models
        return cls(
            make_client(settings, session=session),
            settings.s3_bucket,
            max_upload_size=settings.max_upload_mb * MiB,
            sse=settings.s3_sse,
            kms_key_id=settings.s3_kms_key_id,
            part_size=settings.s3_multipart_chunk_mb * MiB,
            probe_client=make_client(settings, probe=True, session=session),
        )

    @property
    def backend(self) -> Literal["s3"]:
        return "s3"

    def is_enabled(self) -> bool:
        return True

    def get_bucket(self) -> str | None:
        return self._bucket

    async def _call(self, operation: str, key: str | None, fn: Callable[[], T]) -> T:
        """Run one blocking client call in a worker thread; botocore failures become
        ObjectNotFound / StorageUnavailable (other exceptions are bugs and pass through)."""
        try:
            return await to_thread.run_sync(fn)
        except ClientError as exc:
            code, status = _error_code(exc)
            if key is not None and (code in _NOT_FOUND or (status == 404 and code == "")):
                raise ObjectNotFound(key) from None
            if code == "InvalidRange" or status == 416:
                raise InvalidRange(-1) from None  # get_file fills in the size
            log.warning("storage.s3_error", operation=operation, code=code, status=status)
            count_storage_error("s3", operation)
            raise StorageUnavailable(f"S3 {operation} failed: {code or status}") from exc
        except BotoCoreError as exc:
            log.warning("storage.s3_error", operation=operation, error_type=type(exc).__name__)
            count_storage_error("s3", operation)
            raise StorageUnavailable(f"S3 {operation} failed: {type(exc).__name__}") from exc

    # --- writing ---
    async def upload_file(
        self,
        key: str,
        stream: AsyncIterable[bytes],
        content_type: str,
        *,
        data_key: DataKey,  # unused: objects are protected by SSE
        max_size: int | None = None,
    ) -> ObjectInfo:
        validate_key(key)
        validate_content_type(content_type)
        limit = self._max_upload_size if max_size is None else max_size
        upload = MultipartUpload(
            self._call, self.client, self._bucket, key, content_type, self._sse
        )
        size = 0
        buffer = bytearray()
        try:
            async for data in stream:
                size += len(data)
                if size > limit:
                    raise TooLarge(limit)
                buffer += data
                while len(buffer) >= self._part_size:
                    part = bytes(memoryview(buffer)[: self._part_size])
                    del buffer[: self._part_size]
                    await upload.send_part(part)
            if upload.upload_id is None:
                response = await self._put_whole(key, content_type, bytes(buffer), upload.hasher)
            else:
                if buffer:
                    await upload.send_part(bytes(buffer))
                buffer.clear()
                response = await upload.complete()
            await self._check_sse(key, response.get("ServerSideEncryption"))
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await upload.abort()
            log.warning(
                "storage.upload_failed", backend="s3", key=key, error_type=type(exc).__name__
            )
            raise
        log.info("storage.uploaded", backend="s3", key=key, size=size, parts=upload.parts)
        count_storage_bytes("s3", "write", size)
        return ObjectInfo(
            key=key,
            size=size,
            content_type=content_type,
            sha256=upload.hasher.hexdigest(),
            etag=str(response.get("ETag", "")).strip('"') or None,
        )

    async def _put_whole(
        self, key: str, content_type: str, body: bytes, hasher: Any
    ) -> dict[str, Any]:
        def put() -> dict[str, Any]:
            hasher.update(body)
            response = self.client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                Metadata={"sha256": hasher.hexdigest()},
                **self._sse,  # type: ignore[arg-type]
            )
            return dict(response)

        return await self._call("PutObject", key, put)

    async def _check_sse(self, key: str, applied: str | None) -> None:
        """The invariant is SSE on every object: a store that ignored the request loses
        the object rather than keep it unencrypted."""
        if applied is None:
            response = await self._call(
                "HeadObject",
                key,
                partial(self.client.head_object, Bucket=self._bucket, Key=key),
            )
            applied = response.get("ServerSideEncryption")
        if applied != self._sse["ServerSideEncryption"]:
            await self.delete_file(key)
            log.error("storage.sse_not_applied", key=key, requested=self._sse, applied=applied)
            raise StorageError("the S3 store did not apply server-side encryption; not stored")

    async def delete_file(self, key: str) -> None:
        validate_key(key)
        await self._call(
            "DeleteObject", None, partial(self.client.delete_object, Bucket=self._bucket, Key=key)
        )
        log.info("storage.deleted", backend="s3", key=key)

    async def copy(
        self,
        source: str,
        target: str,
        *,
        data_key: DataKey,
        target_data_key: DataKey | None = None,
    ) -> ObjectInfo:
        """A server-side copy (multipart past 5 GiB), encrypted like every put."""
        validate_key(target)
        info = await self.head(source)
        extra: dict[str, Any] = {
            **self._sse,
            "ContentType": info.content_type,
            "Metadata": {"sha256": info.sha256} if info.sha256 else {},
            "MetadataDirective": "REPLACE",
        }
        config = TransferConfig(
            multipart_threshold=COPY_MULTIPART_THRESHOLD,
            multipart_chunksize=512 * MiB,
            use_threads=False,
        )
        await self._call(
            "CopyObject",
            source,
            partial(
                self.client.copy,
                CopySource={"Bucket": self._bucket, "Key": source},
                Bucket=self._bucket,
                Key=target,
                ExtraArgs=extra,
                Config=config,
            ),
        )
        await self._check_sse(target, None)
        return ObjectInfo(target, info.size, info.content_type, info.sha256)

    # --- reading ---
    async def head(self, key: str) -> ObjectInfo:
        validate_key(key)
        response = await self._call(
            "HeadObject", key, partial(self.client.head_object, Bucket=self._bucket, Key=key)
        )
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            content_type=response.get("ContentType") or "application/octet-stream",
            sha256=response.get("Metadata", {}).get("sha256"),
            etag=str(response.get("ETag", "")).strip('"') or None,
        )

    async def exists(self, key: str) -> bool:
        try:
            await self.head(key)
        except ObjectNotFound:
            return False
        return True

    async def get_file(
        self,
        key: str,
        *,
        data_key: DataKey,
        start: int = 0,
        end: int | None = None,
    ) -> ObjectStream:
        validate_key(key)
        if start < 0 or (end is not None and end < start):
            raise ValueError("range must satisfy 0 <= start <= end")
        ranged = start != 0 or end is not None
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if ranged:
            params["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = await self._call("GetObject", key, partial(self.client.get_object, **params))
        except InvalidRange:
            raise InvalidRange((await self.head(key)).size) from None
        body = response["Body"]
        length = int(response["ContentLength"])
        content_range = response.get("ContentRange")
        if content_range:  # "bytes 10-19/1000"
            total = int(content_range.rsplit("/", 1)[1])
            first, last, skip = start, start + length - 1, 0
        else:  # a full body, also from a store that ignored the Range header
            total = length
            first, last = resolve_range(total, start, end)
            skip = first
        info = ObjectInfo(
            key=key,
            size=total,
            content_type=response.get("ContentType") or "application/octet-stream",
            sha256=response.get("Metadata", {}).get("sha256"),
            etag=str(response.get("ETag", "")).strip('"') or None,
        )

        async def close() -> None:
            await to_thread.run_sync(body.close)

        chunks = self._body_chunks(body, skip, last - first + 1)
        return ObjectStream(info, first, last, chunks, close, backend="s3")

    async def _body_chunks(self, body: Any, skip: int, remaining: int) -> AsyncIterator[bytes]:
        while remaining > 0:
            try:
                data: bytes = await to_thread.run_sync(body.read, DEFAULT_READ_CHUNK)
            except BotoCoreError as exc:
                raise StorageUnavailable(f"S3 download broke off: {type(exc).__name__}") from exc
            if not data:
                raise StorageUnavailable("S3 download ended early")
            if skip:
                dropped = min(skip, len(data))
                data, skip = data[dropped:], skip - dropped
            if data:
                data = data[:remaining]
                remaining -= len(data)
                yield data

    async def iter_objects(self, prefix: str = "") -> AsyncIterator[ListedObject]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token is not None:
                params["ContinuationToken"] = token
            page = await self._call(
                "ListObjectsV2", None, partial(self.client.list_objects_v2, **params)
            )
            for item in page.get("Contents", []):
                key = item["Key"]
                try:
                    validate_key(key)
                except InvalidKey:
                    continue
                yield ListedObject(key, item["LastModified"].astimezone(UTC))
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    # --- links ---
    async def get_presigned_url(
        self,
        key: str,
        expires_in: int = PRESIGN_DEFAULT_SECONDS,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        disposition: str = "attachment",
    ) -> str:
        validate_key(key)
        check_expires_in(expires_in)
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename, disposition)
        if content_type is not None:
            params["ResponseContentType"] = validate_content_type(content_type)
        # Local signing only, but it may resolve credentials (files, IMDS) the first time.
        return await self._call(
            "PresignGetObject",
            None,
            partial(
                self.client.generate_presigned_url,
                "get_object",
                Params=params,
                ExpiresIn=expires_in,
            ),
        )

    def open_signed_url(self, token: str) -> SignedLink:
        raise SignedUrlInvalid("S3 download links are served by S3, not by shre")

    def verify_signed_url(self, token: str) -> str:
        return self.open_signed_url(token).key

    # --- lifecycle ---
    async def check(self) -> None:
        await self._call("HeadBucket", None, partial(self._probe.head_bucket, Bucket=self._bucket))

    async def aclose(self) -> None:
        self.client.close()
        if self._probe is not self.client:
            self._probe.close()
