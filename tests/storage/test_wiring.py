"""The storage as the app builds it: one backend chosen from the settings, on the runtime,
checked by /readyz; and the storage settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from shre import migrate
from shre.app import create_app
from shre.settings import Settings, SettingsError, load_settings
from shre.storage.local import LocalStorage
from shre.storage.s3 import S3Storage
from tests.support.app import assert_problem
from tests.support.servers import S3Server
from tests.support.storage import local_settings, s3_settings


async def _readyz(settings: Settings) -> tuple[httpx.Response, Any]:
    await migrate.upgrade(settings)  # the app starts only on a migrated database
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        storage = app.state.runtime.storage
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/readyz"), storage


async def test_local_storage_is_the_default_and_ready(tmp_path: Path) -> None:
    response, storage = await _readyz(local_settings(tmp_path))
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "var" / "uploads"
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["storage"] == "ok"
    assert list(storage.root.iterdir()) == []  # the probe leaves nothing behind


async def test_readyz_is_503_when_the_upload_dir_is_not_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    response, _ = await _readyz(local_settings(tmp_path, upload_dir=blocker / "uploads"))
    body = assert_problem(response, 503, "not_ready")
    assert body["checks"]["storage"] == "down"
    assert "storage" in body["detail"]


async def test_s3_storage_when_enabled_and_ready(tmp_path: Path, s3_server: S3Server) -> None:
    response, storage = await _readyz(s3_settings(tmp_path, s3_server))
    assert isinstance(storage, S3Storage)
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["storage"] == "ok"


async def test_readyz_is_503_when_s3_is_down(
    tmp_path: Path, s3_server: S3Server, free_port: int
) -> None:
    settings = s3_settings(tmp_path, s3_server, s3_endpoint_url=f"http://127.0.0.1:{free_port}")
    response, _ = await _readyz(settings)
    body = assert_problem(response, 503, "not_ready")
    assert body["checks"]["storage"] == "down"
    assert body["checks"]["database"] == "ok"
    assert s3_server.secret_key not in response.text


async def test_readyz_is_503_when_the_bucket_is_missing(
    tmp_path: Path, s3_server: S3Server
) -> None:
    response, _ = await _readyz(s3_settings(tmp_path, s3_server, s3_bucket="no-such-bucket"))
    assert assert_problem(response, 503)["checks"]["storage"] == "down"


def _load(tmp_path: Path, **values: Any) -> Settings:
    return load_settings(_env_file=None, shre_var_dir=tmp_path / "var", **values)


def test_storage_settings_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("S3_RETRY_MODE", "S3_MAX_ATTEMPTS", "S3_MULTIPART_CHUNK_MB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DOCUMENT_RETENTION_DAYS", raising=False)
    settings = _load(tmp_path)
    assert (settings.s3_retry_mode, settings.s3_max_attempts) == ("standard", 5)
    assert settings.s3_multipart_chunk_mb == 8
    assert settings.document_retention_days == 30


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"s3_retry_mode": "legacy"}, "S3_RETRY_MODE"),
        ({"s3_max_attempts": 0}, "S3_MAX_ATTEMPTS"),
        ({"s3_multipart_chunk_mb": 4}, "S3_MULTIPART_CHUNK_MB"),
        ({"document_retention_days": -1}, "DOCUMENT_RETENTION_DAYS"),
        (
            {"s3_enabled": True, "s3_bucket": "b", "s3_access_key_id": "only-the-id"},
            "S3_SECRET_ACCESS_KEY",
        ),
    ],
)
def test_invalid_storage_settings_name_the_variable(
    tmp_path: Path, values: dict[str, Any], variable: str
) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}:"):
        _load(tmp_path, **values)


def test_s3_without_static_keys_uses_the_default_credential_chain(tmp_path: Path) -> None:
    settings = _load(tmp_path, s3_enabled=True, s3_bucket="b")
    assert settings.s3_access_key_id is None
