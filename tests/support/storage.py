"""Settings that put the app's files on local storage or on the tests' S3 server, object
keys, and streams of bytes as a request body brings them."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shre.settings import Settings
from tests.support.app import base_settings
from tests.support.servers import S3Server

MiB = 1024 * 1024


def s3_settings(tmp: Path, server: S3Server, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "s3_enabled": True,
        "s3_bucket": server.bucket,
        "s3_endpoint_url": server.endpoint,
        "s3_access_key_id": server.access_key,
        "s3_secret_access_key": server.secret_key,
        "s3_multipart_chunk_mb": 5,
    }
    values.update(overrides)
    return base_settings(tmp, f"sqlite+aiosqlite:///{tmp}/shre.db", **values)


def local_settings(tmp: Path, **overrides: Any) -> Settings:
    return base_settings(tmp, f"sqlite+aiosqlite:///{tmp}/shre.db", **overrides)


def s3_values(server: S3Server, **extra: Any) -> dict[str, Any]:
    return {
        "s3_enabled": True,
        "s3_bucket": server.bucket,
        "s3_endpoint_url": server.endpoint,
        "s3_access_key_id": server.access_key,
        "s3_secret_access_key": server.secret_key,
        "s3_multipart_chunk_mb": 5,
        **extra,
    }


def new_bucket(server: S3Server) -> str:
    """A bucket of its own, so a test sees only its objects."""
    name = f"shre-doc-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


def new_key(employee: uuid.UUID | None = None, version: int = 1) -> str:
    from shre.storage import object_key

    return object_key(employee or uuid.uuid4(), uuid.uuid4(), version)


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """`data` as a request body would arrive: in pieces."""
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


@dataclass
class Generated:
    """A long pseudo-random stream made on the fly; its digest is known once consumed."""

    total: int
    chunk: int = MiB
    seed: int = 7
    sha256: Any = field(default_factory=hashlib.sha256)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        rng = random.Random(self.seed)
        sent = 0
        while sent < self.total:
            piece = rng.randbytes(min(self.chunk, self.total - sent))
            self.sha256.update(piece)
            sent += len(piece)
            yield piece


async def drain(stream: AsyncIterator[bytes]) -> tuple[int, str]:
    """Size and SHA-256 of a stream, without keeping it."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in stream:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
