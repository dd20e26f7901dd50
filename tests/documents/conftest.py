"""Documents fixtures: a SeaweedFS server like the storage tests' (one per session and
directory), and settings that put the app's files on it (`tests.support.s3_app`)."""

from tests.support.s3_app import on_s3, s3_server, storage_backend

__all__ = ["on_s3", "s3_server", "storage_backend"]
