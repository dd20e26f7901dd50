"""`create_storage(settings)`: the one place that chooses the backend."""

from __future__ import annotations

import time
from collections.abc import Callable

from shre.settings import Settings
from shre.storage.base import Storage


def create_storage(settings: Settings, *, clock: Callable[[], float] = time.time) -> Storage:
    """S3Storage when S3_ENABLED, else LocalStorage under UPLOAD_DIR. Builds clients but
    does no I/O (readiness is `check()`); `clock` is for the local links' expiry."""
    if settings.s3_enabled:
        from shre.storage.s3 import S3Storage  # boto3 loads only when S3 is used

        return S3Storage.from_settings(settings)
    from shre.storage.local import LocalStorage

    return LocalStorage.from_settings(settings, clock=clock)
