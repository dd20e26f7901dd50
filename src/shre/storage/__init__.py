"""Document files on S3 (or an S3-compatible store) or the local disk.

    storage = create_storage(settings)                   # once, in the app's runtime
    key = object_key(employee.id, document.id, version)  # never from user input
    info = await storage.upload_file(key, chunks, "application/pdf", data_key=dek)
    async with await storage.get_file(key, data_key=dek, start=0, end=1023) as stream:
        async for chunk in stream: ...
    url = await storage.get_presigned_url(key, 300, filename="contract.pdf")

S3Storage keeps objects under server-side encryption; LocalStorage encrypts each file
under the owning employee's data key (chunked AES-256-GCM), so destroying that key
shreds the files too. See base.Storage for the contract of every method.
"""

from shre.storage.base import ListedObject, ObjectInfo, ObjectStream, SignedLink, Storage
from shre.storage.errors import (
    CorruptObject,
    InvalidContentType,
    InvalidExpiry,
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageError,
    StorageUnavailable,
    TooLarge,
    WrongDataKey,
)
from shre.storage.factory import create_storage
from shre.storage.keys import (
    PRESIGN_DEFAULT_SECONDS,
    PRESIGN_MAX_SECONDS,
    ObjectKeyParts,
    check_expires_in,
    content_disposition,
    object_key,
    parse_object_key,
    safe_filename,
    validate_key,
)
from shre.storage.stores import BACKENDS, Backend, StorageSet

__all__ = [
    "BACKENDS",
    "PRESIGN_DEFAULT_SECONDS",
    "PRESIGN_MAX_SECONDS",
    "Backend",
    "CorruptObject",
    "InvalidContentType",
    "InvalidExpiry",
    "InvalidKey",
    "InvalidRange",
    "ListedObject",
    "ObjectInfo",
    "ObjectKeyParts",
    "ObjectNotFound",
    "ObjectStream",
    "SignedLink",
    "SignedUrlExpired",
    "SignedUrlInvalid",
    "Storage",
    "StorageError",
    "StorageSet",
    "StorageUnavailable",
    "TooLarge",
    "WrongDataKey",
    "check_expires_in",
    "content_disposition",
    "create_storage",
    "object_key",
    "parse_object_key",
    "safe_filename",
    "validate_key",
]
