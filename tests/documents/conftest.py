"""Documents fixtures: the SeaweedFS server of the storage tests (one per session and
directory), and settings that put the app's files on it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.storage.conftest import S3Server, s3_server

__all__ = ["s3_server"]


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


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def new_bucket(server: S3Server) -> str:
    """A bucket of its own, so a test sees only its objects."""
    name = f"shre-doc-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def on_s3(storage_backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the storage backend under test (local: none needed; "local+s3":
    files on local storage, S3 configured beside it, as before a migration)."""
    if storage_backend == "local":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_values(server, s3_bucket=new_bucket(server), s3_enabled=storage_backend == "s3")
