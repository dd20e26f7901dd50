"""Settings: names and defaults, one-line errors naming the variable, production rules."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shre.settings import Settings, SettingsError, decode_master_key, load_settings

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
GOOD_JWT = secrets.token_urlsafe(48)

SEED_DEFAULTS = {
    "s3_enabled": False,
    "s3_region": "us-east-1",
    "s3_access_key_id": None,
    "s3_secret_access_key": None,
    "s3_bucket": None,
    "redis_enabled": False,
    "redis_host": "localhost",
    "redis_port": 6379,
    "redis_password": None,
    "redis_db": 0,
    "cache_ttl": 3600,
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SHRE-related variable from the outer environment, and no .env in the cwd."""
    for name in list(os.environ):
        if name.upper() in {f.upper() for f in Settings.model_fields}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_seed_variables_keep_their_names_and_defaults(clean_env: Path) -> None:
    settings = load_settings()
    for name, default in SEED_DEFAULTS.items():
        assert getattr(settings, name) == default, name
    assert settings.database_url == "sqlite+aiosqlite:///var/shre.db"
    assert settings.upload_dir == Path("var/uploads")
    assert settings.max_upload_mb == 50
    assert settings.s3_sse == "AES256"
    assert settings.shre_env == "development"
    assert (settings.shre_host, settings.shre_port) == ("127.0.0.1", 8000)


def test_environment_and_dotenv_are_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("REDIS_PORT=6380\nS3_REGION=eu-west-1\n")
    monkeypatch.setenv("S3_REGION", "eu-central-1")
    settings = load_settings()
    assert settings.redis_port == 6380
    assert settings.s3_region == "eu-central-1"  # the environment wins over .env


def test_development_generates_keys_once_with_private_permissions(clean_env: Path) -> None:
    first = load_settings()
    assert set(first.dev_secrets_generated) == {"ENCRYPTION_KEY", "JWT_SECRET"}
    key_file = clean_env / "var" / "keys" / "encryption_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    second = load_settings()
    assert second.master_key() == first.master_key()
    assert second.jwt_key() == first.jwt_key()
    assert len(first.master_key()) == 32


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SHRE_PORT": "eighty"}, "SHRE_PORT"),
        ({"REDIS_PORT": "99999"}, "REDIS_PORT"),
        ({"ENCRYPTION_KEY": "not base64 at all!"}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": base64.b64encode(b"short").decode()}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_KEY": base64.b64encode(bytes(32)).decode()}, "ENCRYPTION_KEY"),
        ({"ENCRYPTION_OLD_KEYS": f"{GOOD_KEY},bad"}, "ENCRYPTION_OLD_KEYS"),
        ({"S3_ENABLED": "true"}, "S3_BUCKET"),
        ({"S3_ENABLED": "yes please"}, "S3_ENABLED"),
        ({"S3_ENABLED": "true", "S3_BUCKET": "b", "S3_SSE": "aws:kms"}, "S3_KMS_KEY_ID"),
        ({"S3_SSE": "rot13"}, "S3_SSE"),
        ({"JWT_SECRET": "too-short"}, "JWT_SECRET"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MAX_UPLOAD_MB": "0"}, "MAX_UPLOAD_MB"),
        ({"ARGON2_MEMORY_KIB": "1024"}, "ARGON2_MEMORY_KIB"),
        ({"SHRE_ENV": "staging"}, "SHRE_ENV"),
        ({"RETENTION_YEARS": "payslip"}, "RETENTION_YEARS"),
        ({"RETENTION_YEARS": "payslips=10"}, "RETENTION_YEARS"),
        ({"RETENTION_YEARS": "medical=0"}, "RETENTION_YEARS"),
        ({"RETENTION_YEARS": "tax=ten"}, "RETENTION_YEARS"),
        ({"EMPLOYEE_RETENTION_YEARS": "0"}, "EMPLOYEE_RETENTION_YEARS"),
    ],
)
def test_invalid_values_name_the_variable(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{variable}:"), message
    assert "\n" not in message


def test_retention_is_read_per_category(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().retention_years == {}  # nothing is purged by age unless asked
    assert load_settings().employee_retention_years is None
    monkeypatch.setenv("RETENTION_YEARS", " payslip=10, tax = 10 ,medical=3,")
    monkeypatch.setenv("EMPLOYEE_RETENTION_YEARS", "7")
    settings = load_settings()
    assert settings.retention_years == {"payslip": 10, "tax": 10, "medical": 3}
    assert settings.employee_retention_years == 7


def test_errors_never_echo_secret_values(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "tiny-" + secrets.token_hex(4)
    monkeypatch.setenv("JWT_SECRET", secret)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert secret not in str(info.value)


def test_production_refuses_missing_and_placeholder_secrets(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHRE_ENV", "production")
    with pytest.raises(SettingsError, match=r"^ENCRYPTION_KEY:"):
        load_settings()
    monkeypatch.setenv("ENCRYPTION_KEY", GOOD_KEY)
    with pytest.raises(SettingsError, match=r"^JWT_SECRET:"):
        load_settings()
    monkeypatch.setenv("JWT_SECRET", "change-me-to-a-long-random-string")
    with pytest.raises(SettingsError, match=r"^JWT_SECRET:"):
        load_settings()
    monkeypatch.setenv("JWT_SECRET", GOOD_JWT)
    settings = load_settings()
    assert settings.is_production
    assert settings.dev_secrets_generated == ()
    assert not (clean_env / "var" / "keys").exists()


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set()
    assert documented - expected == set()


def test_cli_stops_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in {f.upper() for f in Settings.model_fields}
    }
    env["ENCRYPTION_KEY"] = "c2hvcnQ="
    result = subprocess.run(
        [sys.executable, "-m", "shre", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shre: invalid setting ENCRYPTION_KEY:")


@given(st.binary(min_size=32, max_size=32).filter(lambda b: b != bytes(32)))
def test_any_32_byte_key_round_trips(raw: bytes) -> None:
    assert decode_master_key(base64.b64encode(raw).decode()) == raw


@given(st.binary(max_size=64).filter(lambda b: len(b) != 32))
def test_keys_of_other_lengths_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        decode_master_key(base64.b64encode(raw).decode())
