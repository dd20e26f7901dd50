"""Storage fixtures: a real S3-compatible server (SeaweedFS) started once per session on
free ports, and both backends built the way the app builds them. With CI=true a server
that does not start fails the run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shre.crypto import DataKey
from shre.storage import Storage, create_storage
from shre.storage.local import LocalStorage
from shre.storage.s3 import S3Storage
from tests.support.servers import S3Server
from tests.support.storage import local_settings, s3_settings


@pytest.fixture(scope="session")
async def s3_storage(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> AsyncIterator[S3Storage]:
    """One S3Storage for the session (it holds no state but its clients)."""
    storage = create_storage(s3_settings(tmp_path_factory.mktemp("s3"), s3_server))
    assert isinstance(storage, S3Storage)
    yield storage
    await storage.aclose()


@pytest.fixture
async def local_storage(tmp_path: Path) -> AsyncIterator[LocalStorage]:
    storage = create_storage(local_settings(tmp_path))
    assert isinstance(storage, LocalStorage)
    yield storage
    await storage.aclose()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> Storage:
    """Each backend in turn, for tests of the contract both keep."""
    name = "local_storage" if request.param == "local" else "s3_storage"
    storage: Storage = request.getfixturevalue(name)
    return storage


@pytest.fixture
def dek() -> DataKey:
    return DataKey.generate()
