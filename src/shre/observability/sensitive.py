"""The keys whose values never leave the process through a log line, a trace or an error
report: the record's sensitive fields (`shre.policy.SENSITIVE_FIELDS`), credentials and
the secrets of the settings. One list, read by every sink's scrubber."""

from __future__ import annotations

from typing import Final

from shre.policy import SENSITIVE_FIELDS

REDACTED: Final = "[redacted]"

SENSITIVE_KEYS: Final[frozenset[str]] = frozenset(
    {
        *SENSITIVE_FIELDS,
        "national_id",
        "password",
        "new_password",
        "current_password",
        "password_hash",
        "access_token",
        "refresh_token",
        "token",
        "authorization",
        "cookie",
        "set-cookie",
        "x-csrf-token",
        "secret",
        "api_key",
        "encryption_key",
        "encryption_old_keys",
        "jwt_secret",
        "metrics_token",
        "sentry_dsn",
        "redis_password",
        "s3_secret_access_key",
    }
)
