"""Both backends side by side: the configured one, and the other on demand.

Each document version records which backend holds it, so versions stay readable while
`shre storage migrate` moves them (and after S3_ENABLED is flipped, before the rest is
moved). New files always go to the configured backend (`primary`).
"""

from __future__ import annotations

from typing import Literal

from shre.settings import Settings
from shre.storage.base import Storage
from shre.storage.errors import StorageUnavailable

Backend = Literal["local", "s3"]
BACKENDS: tuple[Backend, ...] = ("local", "s3")


class StorageSet:
    def __init__(self, settings: Settings, primary: Storage) -> None:
        self._settings = settings
        self.primary = primary
        self._others: dict[str, Storage] = {}

    def configured(self, backend: str) -> bool:
        """Whether `backend` can be reached with the settings (S3 needs S3_BUCKET)."""
        if backend == self.primary.backend or backend == "local":
            return True
        return backend == "s3" and bool(self._settings.s3_bucket)

    def get(self, backend: str) -> Storage:
        """The storage of `backend`; StorageUnavailable when it is not configured."""
        if backend == self.primary.backend:
            return self.primary
        found = self._others.get(backend)
        if found is not None:
            return found
        if backend == "local":
            from shre.storage.local import LocalStorage

            found = LocalStorage.from_settings(self._settings)
        elif backend == "s3":
            if not self._settings.s3_bucket:
                raise StorageUnavailable("files on S3 need S3_BUCKET (and its credentials)")
            from shre.storage.s3 import S3Storage

            found = S3Storage.from_settings(self._settings)
        else:
            raise ValueError(f"unknown storage backend {backend!r}")
        self._others[backend] = found
        return found

    async def aclose(self) -> None:
        """Close the backends this set opened (the primary belongs to the runtime)."""
        others, self._others = self._others, {}
        for storage in others.values():
            await storage.aclose()
