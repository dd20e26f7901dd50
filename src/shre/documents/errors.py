"""The documents' own problems, and the mapping of storage failures to them.

Storage errors are infrastructure errors (`shre.storage.errors`); the service turns them
into these at its boundary, so routers and the problem handler see only DomainErrors."""

from __future__ import annotations

from shre.kit.errors import (
    DomainError,
    InvalidInput,
    PayloadTooLarge,
    ServiceUnavailable,
)
from shre.kit.errors import Gone as Gone  # where it was first defined: still importable here
from shre.storage import (
    CorruptObject,
    InvalidExpiry,
    InvalidRange,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    TooLarge,
    WrongDataKey,
)


class RangeNotSatisfiable(DomainError):
    status = 416
    title = "Range Not Satisfiable"

    def __init__(self, size: int) -> None:
        super().__init__(
            f"The requested range is not within the file's {size} bytes",
            code="range_not_satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
        )


class StoredFileError(DomainError):
    """The database says the file exists, but storage cannot give it back intact: a 500
    problem that names the failure, never any of the file's bytes."""

    status = 500
    title = "Internal Server Error"


def key_destroyed() -> Gone:
    return Gone(
        "The data key of this document's owner was destroyed; its files are unrecoverable",
        code="key_destroyed",
    )


def from_storage(exc: StorageError, *, size: int | None = None) -> DomainError:
    """The problem a storage failure is answered with."""
    if isinstance(exc, TooLarge):
        return PayloadTooLarge(
            f"The file exceeds the upload limit of {exc.limit // (1024 * 1024)} MB; "
            "nothing was stored",
            code="file_too_large",
        )
    if isinstance(exc, InvalidRange):
        return RangeNotSatisfiable(exc.size if size is None else size)
    if isinstance(exc, InvalidExpiry):
        return InvalidInput(
            str(exc),
            code="invalid_expires_in",
            errors=[{"field": "expires_in", "location": "query", "message": str(exc)}],
        )
    if isinstance(exc, StorageUnavailable):
        return ServiceUnavailable("File storage is unavailable; try again", code="storage_down")
    if isinstance(exc, ObjectNotFound):
        return StoredFileError("The document's file is missing from storage", code="file_missing")
    if isinstance(exc, CorruptObject | WrongDataKey):
        return StoredFileError(
            "The stored file failed its integrity check and was not sent", code="file_corrupt"
        )
    return StoredFileError("File storage failed", code="storage_error")
