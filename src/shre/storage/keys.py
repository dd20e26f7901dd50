"""Object keys, content types, download names and link lifetimes: the checks both backends
share. Keys are generated from ids (`object_key`), never built from user-supplied names."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from shre.storage.errors import InvalidContentType, InvalidExpiry, InvalidKey

MAX_KEY_BYTES = 1024
# One path segment of a generated key. A leading dot is refused, which keeps every key
# apart from LocalStorage's temporary files (".<name>.<random>.tmp").
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]*")
_TCHARS = r"[A-Za-z0-9!#$&^_.+-]+"  # an RFC 9110 token
_CONTENT_TYPE = re.compile(
    rf"{_TCHARS}/{_TCHARS}(?:\s*;\s*{_TCHARS}=(?:{_TCHARS}|\"[^\"\\\x00-\x1f\x7f]*\"))*",
)
MAX_CONTENT_TYPE = 255

PRESIGN_DEFAULT_SECONDS = 300
PRESIGN_MAX_SECONDS = 3600


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative object key; raise InvalidKey otherwise.

    Refused: empty, absolute (`/x`), backslashes, NUL or other control characters, empty
    segments (`a//b`, trailing `/`), `.` and `..` segments, and any segment outside
    `[A-Za-z0-9][A-Za-z0-9._=-]*` (so no spaces, drive letters or non-ASCII names).
    """
    if not isinstance(key, str) or not key:
        raise InvalidKey("object key must be a non-empty string")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(f"object key is longer than {MAX_KEY_BYTES} bytes")
    if "\x00" in key:
        raise InvalidKey("object key contains a NUL byte")
    if "\\" in key:
        raise InvalidKey("object key contains a backslash")
    if any(unicodedata.category(ch) == "Cc" for ch in key):
        raise InvalidKey("object key contains a control character")
    if key.startswith("/"):
        raise InvalidKey("object key must be relative, not an absolute path")
    for segment in key.split("/"):
        if segment == "":
            raise InvalidKey("object key has an empty path segment")
        if segment in {".", ".."}:
            raise InvalidKey("object key contains a '.' or '..' segment")
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKey(f"object key segment {segment[:40]!r} has characters not allowed")
    return key


def _as_uuid(value: uuid.UUID | str, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidKey(f"{what} must be a UUID") from None


def object_key(
    employee_id: uuid.UUID | str | None, document_id: uuid.UUID | str, version: int
) -> str:
    """The storage key of one version of a document:
    `employees/{employee_id}/documents/{document_id}/v{version}`, or
    `company/documents/{document_id}/v{version}` for a document of no employee."""
    doc = _as_uuid(document_id, "document_id")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidKey("version must be an integer >= 1")
    if employee_id is None:
        return f"company/documents/{doc}/v{version}"
    return f"employees/{_as_uuid(employee_id, 'employee_id')}/documents/{doc}/v{version}"


@dataclass(frozen=True, slots=True)
class ObjectKeyParts:
    employee_id: uuid.UUID | None
    document_id: uuid.UUID
    version: int


_PARSE = re.compile(
    r"(?:employees/(?P<employee>[0-9a-f-]{36})|company)"
    r"/documents/(?P<document>[0-9a-f-]{36})/v(?P<version>[1-9][0-9]{0,8})"
)


def parse_object_key(key: str) -> ObjectKeyParts:
    """The ids in a key made by `object_key` (the local download route needs them to find
    the document and its owner's data key); InvalidKey for anything else."""
    match = _PARSE.fullmatch(key)
    if match is None:
        raise InvalidKey("not a document object key")
    employee = match["employee"]
    parts = ObjectKeyParts(
        employee_id=_as_uuid(employee, "employee_id") if employee else None,
        document_id=_as_uuid(match["document"], "document_id"),
        version=int(match["version"]),
    )
    if object_key(parts.employee_id, parts.document_id, parts.version) != key:
        raise InvalidKey("not a canonical document object key")
    return parts


def validate_content_type(content_type: str) -> str:
    """A MIME type as stored and later sent in `Content-Type` (no header injection)."""
    if (
        not isinstance(content_type, str)
        or len(content_type) > MAX_CONTENT_TYPE
        or not _CONTENT_TYPE.fullmatch(content_type)
    ):
        raise InvalidContentType("content type must look like type/subtype[; name=value]")
    return content_type


def check_expires_in(expires_in: int, maximum: int = PRESIGN_MAX_SECONDS) -> int:
    """Download links live 1..maximum seconds; anything else is InvalidExpiry (a ValueError
    the API answers with 422)."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise InvalidExpiry("expires_in must be an integer number of seconds")
    if not 1 <= expires_in <= maximum:
        raise InvalidExpiry(f"expires_in must be between 1 and {maximum} seconds")
    return expires_in


def safe_filename(filename: str) -> str:
    """The last path component of a client-supplied name, without control characters,
    at most 255 characters; "download" when nothing is left."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        return "download"
    return name[:255]


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """`Content-Disposition` with the real name (RFC 6266 / RFC 8187): an ASCII fallback in
    `filename=` and the UTF-8 name in `filename*=UTF-8''...`."""
    if disposition not in {"attachment", "inline"}:
        raise ValueError("disposition must be 'attachment' or 'inline'")
    name = safe_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join("_" if ch in '"\\%' or not ch.isprintable() else ch for ch in ascii_name)
    fallback = fallback.strip() or "download"
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
