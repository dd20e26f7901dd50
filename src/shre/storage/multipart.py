"""One S3 multipart upload: created with its first full part, parts sent one at a time,
completed with their checksums, or aborted so that no parts are left behind."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import structlog

from shre.storage.errors import StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = structlog.get_logger("shre.storage")
T = TypeVar("T")


class Call(Protocol):
    """`S3Storage._call`: one blocking client call in a worker thread, errors mapped."""

    def __call__(self, operation: str, key: str | None, fn: Callable[[], T]) -> Awaitable[T]: ...


class MultipartUpload:
    """One multipart upload, created with its first full part; abort() leaves nothing."""

    def __init__(
        self,
        call: Call,
        client: S3Client,
        bucket: str,
        key: str,
        content_type: str,
        sse: dict[str, str],
    ) -> None:
        self._call = call
        self._client = client
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._sse = sse
        self.hasher = hashlib.sha256()
        self.upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []

    @property
    def parts(self) -> int:
        return len(self._parts)

    async def send_part(self, body: bytes) -> None:
        client = self._client
        if self.upload_id is None:
            # The SHA-256 is not known yet: multipart objects carry no sha256 metadata
            # (the caller keeps the returned digest).
            response = await self._call(
                "CreateMultipartUpload",
                self._key,
                partial(
                    client.create_multipart_upload,
                    Bucket=self._bucket,
                    Key=self._key,
                    ContentType=self._content_type,
                    ChecksumAlgorithm="CRC32",
                    **self._sse,  # type: ignore[arg-type]
                ),
            )
            self.upload_id = response["UploadId"]
        upload_id, number = self.upload_id, len(self._parts) + 1

        def upload() -> CompletedPartTypeDef:
            self.hasher.update(body)
            response = client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm="CRC32",
            )
            part: CompletedPartTypeDef = {"ETag": response["ETag"], "PartNumber": number}
            if "ChecksumCRC32" in response:
                part["ChecksumCRC32"] = response["ChecksumCRC32"]
            return part

        self._parts.append(await self._call("UploadPart", self._key, upload))

    async def complete(self) -> dict[str, Any]:
        if self.upload_id is None:
            raise RuntimeError("no multipart upload to complete")
        response = await self._call(
            "CompleteMultipartUpload",
            self._key,
            partial(
                self._client.complete_multipart_upload,
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self._parts},
            ),
        )
        self.upload_id = None  # completed: nothing to abort any more
        return dict(response)

    async def abort(self) -> None:
        if self.upload_id is None:
            return
        upload_id, self.upload_id = self.upload_id, None
        try:
            await self._call(
                "AbortMultipartUpload",
                self._key,
                partial(
                    self._client.abort_multipart_upload,
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=upload_id,
                ),
            )
        except StorageError as exc:
            # The bucket's lifecycle rule (AbortIncompleteMultipartUpload) is the backstop.
            log.error("storage.abort_failed", key=self._key, upload_id=upload_id, error=str(exc))
