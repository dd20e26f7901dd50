"""Storage failures. Infrastructure errors, not domain errors: the documents service maps
them to problems (TooLarge -> 413, InvalidRange -> 416, InvalidExpiry -> 422,
StorageUnavailable -> 503, ObjectNotFound -> 404 or 500 when the database says it
exists). Messages never carry file contents or key material."""

from __future__ import annotations

from shre.crypto.errors import DecryptionFailed, UnknownKeyId


class StorageError(Exception):
    """Base of every storage failure."""


class InvalidKey(StorageError, ValueError):
    """An object key that is not a well-formed generated key (see `validate_key`)."""


class InvalidContentType(StorageError, ValueError):
    """A content type that is not a plain `type/subtype[; param=value]` header value."""


class InvalidExpiry(StorageError, ValueError):
    """A download-link lifetime outside 1..PRESIGN_MAX_SECONDS."""


class TooLarge(StorageError):
    """The upload passed the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"upload exceeds the limit of {limit} bytes; nothing was stored")
        self.limit = limit


class ObjectNotFound(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object at {key}")
        self.key = key


class InvalidRange(StorageError):
    """The requested byte range starts at or past the end of the object (HTTP 416)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable for an object of {size} bytes")
        self.size = size


class StorageUnavailable(StorageError):
    """The backend cannot be reached or refused the request (after botocore's retries)."""


class CorruptObject(StorageError, DecryptionFailed):
    """A locally stored file failed authentication: tampered, truncated, reordered, moved
    to another key, or not a shre file at all. Never returned as data."""


class WrongDataKey(StorageError, UnknownKeyId):
    """The file is sealed under another data key than the one given."""


class SignedUrlInvalid(StorageError):
    """A local download link that was altered, is malformed, or was signed by a key this
    process does not hold."""


class SignedUrlExpired(SignedUrlInvalid):
    """A local download link past its expiry."""
