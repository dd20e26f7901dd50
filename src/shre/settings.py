"""All configuration of shre: one pydantic-settings class, read once and passed down.

Every variable of CONTRACT.md §3 lives here (and in `.env.example`). Invalid values stop
the start with a one-line message naming the variable (see `SettingsError`).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shre.kit.files import private_dirs

# Values shipped in .env.example or docs: never acceptable in production.
DEV_PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "dev",
        "dev-secret",
        "secret",
        "change-me-to-a-long-random-string",
    }
)
MIN_JWT_SECRET_LENGTH = 32
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming the variable."""


def decode_master_key(value: str) -> bytes:
    """Decode a 32-byte base64 master key, refusing short, malformed or all-zero keys."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64 (generate one with: openssl rand -base64 32)") from exc
    if len(raw) != 32:
        raise ValueError(
            f"must decode to 32 bytes, got {len(raw)} (generate one with: openssl rand -base64 32)"
        )
    if raw == bytes(32):
        raise ValueError("must not be all zero bytes")
    return raw


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
    )

    # --- service ---
    shre_env: Literal["development", "production"] = "development"
    shre_host: str = "127.0.0.1"
    shre_port: int = Field(default=8000, ge=1, le=65535)
    shre_workers: int = Field(default=1, ge=1, le=64)
    # Proxies whose X-Forwarded-For / -Proto are trusted for the client address (comma list,
    # or * behind a trusted ingress). Others' headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    # How long an idle connection is kept open for the client's next request. Longer than
    # the idle timeout of the proxy in front (60 s for most), so the proxy never sends a
    # request on a connection the server is closing; a user who reads, thinks and clicks
    # again keeps the connection too.
    keep_alive_timeout_seconds: int = Field(default=75, ge=1, le=3600)
    shre_var_dir: Path = Path("var")
    shre_admin_email: str = "admin@example.com"
    shre_admin_password: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Error reports go to Sentry when set (shre.observability.errors); off otherwise.
    sentry_dsn: SecretStr | None = None
    # Traces go by OTLP/HTTP to this collector (e.g. http://otel-collector:4318) when set
    # (shre.observability.tracing); off otherwise.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = Field(default="shre", min_length=1, max_length=200)
    # Prometheus metrics at /metrics (off: nothing counted per request, /metrics is 404).
    metrics_enabled: bool = True
    # When set, GET /metrics needs `Authorization: Bearer <it>`.
    metrics_token: SecretStr | None = None
    # `shre serve` verifies the audit chain this often (seconds; 0: never), its outcome
    # a metric (shre.monitor). With Redis, once per interval for the whole deployment.
    audit_verify_interval_seconds: int = Field(default=900, ge=0, le=7 * 24 * 3600)

    # --- admission (per worker process; shre.api.admission) ---
    # Requests at work at once; more wait their turn, up to ADMISSION_QUEUE of them and
    # ADMISSION_TIMEOUT_MS each; any other is answered 503 with Retry-After at once. The
    # queue is long enough for a burst of arriving users (a worker accepts every waiting
    # connection at once, shre.api.protocol); the timeout bounds the wait.
    max_concurrent_requests: int = Field(default=64, ge=1, le=10_000)
    admission_queue: int = Field(default=1024, ge=0, le=100_000)
    admission_timeout_ms: int = Field(default=1000, ge=1, le=60_000)
    # The Retry-After of those 503s (the shortest: it grows with the connections refused,
    # shre.api.admission.Pacer); a connection that asks again sooner gets its next 503
    # only once that time is over.
    admission_retry_after_seconds: int = Field(default=2, ge=1, le=60)

    # --- database ---
    database_url: str = "sqlite+aiosqlite:///var/shre.db"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # How long a request waits for a free connection (the pool's queue) before it is
    # answered 503 `database_unavailable` with Retry-After.
    database_pool_timeout_ms: int = Field(default=2000, ge=1, le=120_000)
    database_echo: bool = False
    # How long a request may wait for any lock (PostgreSQL: a row another request is
    # changing, the reporting line's lock) before it fails with 503 and Retry-After,
    # instead of piling up behind a stuck transaction. Commands (`shre ...`) wait.
    database_lock_timeout_ms: int = Field(default=3000, ge=10, le=60000)

    # --- cache (seed variables) ---
    redis_enabled: bool = False
    redis_host: str = "localhost"
    redis_port: int = Field(default=6379, ge=1, le=65535)
    redis_password: SecretStr | None = None
    redis_db: int = Field(default=0, ge=0, le=15)
    cache_ttl: int = Field(default=3600, ge=1)
    cache_enabled: bool = True
    redis_socket_timeout_ms: int = Field(default=250, ge=10, le=30_000)
    # The worker's connections to Redis: a request waits for one (at most
    # REDIS_POOL_TIMEOUT_MS) rather than fail over to the database. Unset: one per
    # request the worker admits at once (MAX_CONCURRENT_REQUESTS), and 8 more for the
    # work beside requests.
    redis_max_connections: int | None = Field(default=None, ge=1, le=10_000)
    redis_pool_timeout_ms: int = Field(default=1000, ge=1, le=60_000)
    cache_memory_max_entries: int = Field(default=10_000, ge=1)
    cache_local_mb: int = Field(default=16, ge=0, le=4096)
    cache_ttl_employees: int = Field(default=300, ge=1)
    cache_ttl_documents: int = Field(default=600, ge=1)
    cache_ttl_users: int = Field(default=900, ge=1)
    cache_ttl_department_stats: int = Field(default=1800, ge=1)

    # --- files (seed variables + additions) ---
    s3_enabled: bool = False
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_sse: Literal["AES256", "aws:kms"] = "AES256"
    s3_kms_key_id: str | None = None
    s3_retry_mode: Literal["standard", "adaptive"] = "standard"
    s3_max_attempts: int = Field(default=5, ge=1, le=20)
    s3_multipart_chunk_mb: int = Field(default=8, ge=5, le=512)
    upload_dir: Path = Path("var/uploads")
    max_upload_mb: int = Field(default=50, ge=1, le=10240)
    document_retention_days: int = Field(default=30, ge=0, le=3650)

    # --- secrets ---
    encryption_key: SecretStr | None = None
    encryption_old_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    jwt_secret: SecretStr | None = None

    # --- auth ---
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=30, le=24 * 3600)
    refresh_token_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, le=90 * 24 * 3600)
    # A sign-in session's absolute lifetime: refreshing never takes it past this many
    # seconds after the sign-in; then the user signs in again.
    refresh_session_max_seconds: int = Field(default=30 * 24 * 3600, ge=300, le=365 * 24 * 3600)
    login_max_failures_per_account: int = Field(default=10, ge=1)
    login_max_failures_per_address: int = Field(default=100, ge=1)
    login_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    argon2_time_cost: int = Field(default=ARGON2_MIN_TIME_COST, ge=ARGON2_MIN_TIME_COST)
    argon2_memory_kib: int = Field(default=ARGON2_MIN_MEMORY_KIB, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    max_json_body_kb: int = Field(default=1024, ge=1, le=65536)
    # Most rows one export (`GET /employees?format=csv|xlsx`) may hold: an XLSX file is
    # built in memory before it is sent.
    export_max_rows: int = Field(default=100_000, ge=1, le=1_000_000)
    # Bulk import (`POST /imports/employees`, `shre import employees`): the largest file and
    # the most rows one import may hold (all of them are written in one transaction).
    import_max_mb: int = Field(default=100, ge=1, le=2048)
    import_max_rows: int = Field(default=200_000, ge=1, le=2_000_000)

    # --- retention (data subject rights) ---
    # Years a document of a category is kept after its upload before `shre documents
    # purge` (and the daily purge job) deletes it, every version; comma-separated
    # `category=years` in the environment, e.g. `payslip=10,tax=10,medical=3`. A category
    # not named is kept until it is deleted. A legal hold on the employee overrides it.
    retention_years: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # Years after their termination date a former employee's record is erased (as
    # `POST /employees/{id}/erase`) by the daily job; unset: never (the default).
    employee_retention_years: int | None = Field(default=None, ge=1, le=100)

    # --- analytics ---
    # Document categories every current employee must have (GET /analytics/documents
    # lists who misses one); comma-separated in the environment.
    required_document_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["contract", "identity"]
    )

    # --- background jobs ---
    # Run the job queue's worker inside every serving process (no `shre worker` needed).
    # Unset: on with SQLite (the embedded default, whose queue lives in the process), off
    # with PostgreSQL (run `shre worker` replicas).
    jobs_in_process: bool | None = None
    # Attempts a job gets before it is left failed for an admin to retry, and the first
    # wait between two (doubled after each failure).
    job_max_attempts: int = Field(default=5, ge=1, le=100)
    job_retry_wait_seconds: int = Field(default=5, ge=1, le=3600)
    # A running job whose worker sent no heartbeat for this long (it was killed, or its
    # machine went away) is handed to another worker.
    job_stalled_after_seconds: int = Field(default=60, ge=2, le=24 * 3600)

    # --- notifications (e-mail) ---
    # The mail server the reminders go through; unset: nothing is sent.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # starttls (port 587), ssl (implicit TLS, port 465) or none (a relay on this host).
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_from: str = Field(default="shre <no-reply@localhost>", min_length=3, max_length=320)
    # Documents expiring within this many days (or expired) are in the daily reminders.
    reminder_days: int = Field(default=30, ge=1, le=365)
    # Where people open the web app (for links in messages), e.g. https://hr.example.com.
    public_url: str | None = None

    # --- AI (the `ai` extra: `pip install 'shre[ai]'`) ---
    # Suggest documents' categories with the classifier, search by meaning, attrition
    # risk. Every model runs in shre's processes, offline. On without the extra
    # installed, the features say they are off (GET /api/v1/admin/ai) and nothing else
    # changes.
    shre_ai: bool = False
    # The classifier is retrained (daily, or when an admin asks) once hr has reviewed at
    # least this many documents' categories (confirmed or corrected), and again with each
    # new review.
    ai_retrain_min_labels: int = Field(default=20, ge=5, le=100_000)

    # --- audit log ---
    # Events older than this are removed by `shre audit prune` (default: seven years).
    audit_retention_days: int = Field(default=2555, ge=1, le=36500)
    # How long writing an audit event may wait for the chain's lock (PostgreSQL) before
    # the request fails with 503.
    audit_lock_timeout_ms: int = Field(default=3000, ge=10, le=60000)

    @field_validator("encryption_key")
    @classmethod
    def _check_master_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            decode_master_key(value.get_secret_value())
            return value
        return None

    @field_validator("required_document_categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("required_document_categories")
    @classmethod
    def _check_categories(cls, value: list[str]) -> list[str]:
        from shre.policy import DOCUMENT_CATEGORIES  # the one list of categories

        unknown = sorted(set(value) - set(DOCUMENT_CATEGORIES))
        if unknown:
            raise ValueError(
                f"unknown document categories {', '.join(unknown)}; "
                f"the categories are {', '.join(DOCUMENT_CATEGORIES)}"
            )
        return list(dict.fromkeys(value))

    @field_validator("retention_years", mode="before")
    @classmethod
    def _split_retention(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        years: dict[str, object] = {}
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            category, sep, number = part.partition("=")
            if not sep:
                raise ValueError(f"{part!r} is not category=years (e.g. payslip=10)")
            years[category.strip()] = number.strip()
        return years

    @field_validator("retention_years")
    @classmethod
    def _check_retention(cls, value: dict[str, int]) -> dict[str, int]:
        from shre.policy import DOCUMENT_CATEGORIES

        unknown = sorted(set(value) - set(DOCUMENT_CATEGORIES))
        if unknown:
            raise ValueError(
                f"unknown document categories {', '.join(unknown)}; "
                f"the categories are {', '.join(DOCUMENT_CATEGORIES)}"
            )
        short = sorted(c for c, years in value.items() if not 1 <= years <= 100)
        if short:
            raise ValueError(f"retention of {', '.join(short)} must be 1 to 100 years")
        return value

    @field_validator("encryption_old_keys", mode="before")
    @classmethod
    def _split_old_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("encryption_old_keys")
    @classmethod
    def _check_old_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            decode_master_key(key.get_secret_value())
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _check_jwt_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_JWT_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_JWT_SECRET_LENGTH} characters")
        return value

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _check_otlp_endpoint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from urllib.parse import urlsplit

        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("must be an http(s) URL (e.g. http://otel-collector:4318)")
        return value

    @field_validator("sentry_dsn")
    @classmethod
    def _check_sentry_dsn(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.username:
            raise ValueError("must be a Sentry DSN (https://<key>@<host>/<project>)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(e.g. postgresql+asyncpg://user@host:5432/db)"
            )
        return value

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.s3_enabled and not self.s3_bucket:
            raise ValueError("S3_BUCKET: must be set when S3_ENABLED=true")
        if self.s3_sse == "aws:kms" and self.s3_enabled and not self.s3_kms_key_id:
            raise ValueError("S3_KMS_KEY_ID: must be set when S3_SSE=aws:kms")
        if self.s3_enabled and bool(self.s3_access_key_id) != bool(self.s3_secret_access_key):
            raise ValueError(
                "S3_SECRET_ACCESS_KEY: set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, "
                "or neither (to use the default AWS credential chain)"
            )
        if self.shre_env == "production":
            self._check_production()
        return self

    def _check_production(self) -> None:
        if self.encryption_key is None:
            raise ValueError(
                "ENCRYPTION_KEY: must be set in production (generate: openssl rand -base64 32)"
            )
        jwt = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if jwt.lower() in DEV_PLACEHOLDER_SECRETS:
            raise ValueError("JWT_SECRET: must be set to a random secret in production")
        if self.shre_admin_password is not None and self.shre_admin_password.get_secret_value() in (
            DEV_PLACEHOLDER_SECRETS | {"admin", "password", "admin12345678"}
        ):
            raise ValueError("SHRE_ADMIN_PASSWORD: a placeholder password is refused in production")

    _dev_secrets: tuple[str, ...] = PrivateAttr(default=())

    # --- derived values ---
    @property
    def dev_secrets_generated(self) -> tuple[str, ...]:
        """Which secrets load_settings filled in from var/keys (development only)."""
        return self._dev_secrets

    @property
    def is_production(self) -> bool:
        return self.shre_env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_jobs_in_process(self) -> bool:
        return self.is_sqlite if self.jobs_in_process is None else self.jobs_in_process

    @property
    def keys_dir(self) -> Path:
        return self.shre_var_dir / "keys"

    def master_key(self) -> bytes:
        if self.encryption_key is None:
            raise SettingsError("ENCRYPTION_KEY: not set")
        return decode_master_key(self.encryption_key.get_secret_value())

    def jwt_key(self) -> str:
        if self.jwt_secret is None:
            raise SettingsError("JWT_SECRET: not set")
        return self.jwt_secret.get_secret_value()


def _field_env_name(loc: tuple[int | str, ...]) -> str:
    return str(loc[0]).upper() if loc else "settings"


def format_validation_error(exc: ValidationError) -> str:
    """One line naming the first bad variable, never echoing its value (it may be a secret)."""
    first = exc.errors(include_input=False, include_url=False)[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["loc"]:
        return f"{_field_env_name(first['loc'])}: {message}"
    return message


def _dev_secret(path: Path, make: str) -> str:
    """Read or create (0600) a development secret under var/keys."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(make + "\n")
    return make


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment and `.env`; raise SettingsError on bad input.

    In development, missing secrets are generated once into `var/keys` (mode 0600) so the
    embedded setup works with no configuration; `dev_secrets_generated` lists them.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(format_validation_error(exc)) from None
    generated: list[str] = []
    if settings.encryption_key is None and not settings.is_production:
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        value = _dev_secret(settings.keys_dir / "encryption_key", key)
        try:
            decode_master_key(value)
        except ValueError as exc:
            raise SettingsError(f"ENCRYPTION_KEY (from {settings.keys_dir}): {exc}") from None
        settings.encryption_key = SecretStr(value)
        generated.append("ENCRYPTION_KEY")
    if settings.jwt_secret is None and not settings.is_production:
        value = _dev_secret(settings.keys_dir / "jwt_secret", secrets.token_urlsafe(48))
        settings.jwt_secret = SecretStr(value)
        generated.append("JWT_SECRET")
    settings._dev_secrets = tuple(generated)
    return settings
