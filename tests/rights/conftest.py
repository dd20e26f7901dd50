"""Rights fixtures: files on local storage or on S3 (a bucket per test), the same as the
documents tests' (`tests.support.s3_app`)."""

from tests.support.s3_app import on_s3, s3_server, storage_backend

__all__ = ["on_s3", "s3_server", "storage_backend"]
