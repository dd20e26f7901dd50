"""Rights fixtures: one SeaweedFS server for the session (its start is slow), and files
on local storage or on S3 (a bucket per test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.servers import S3Server, seaweedfs
from tests.support.storage import new_bucket, s3_values


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def on_s3(storage_backend: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    if storage_backend == "local":
        return {}
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_values(server, s3_bucket=new_bucket(server))
