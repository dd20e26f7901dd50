"""HTTP-level helpers shared by routers: ETags and If-Match, JSON bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from starlette.responses import Response

from shre.kit.errors import PreconditionFailed

MAX_VERSION = 2**31 - 1  # the largest a version column (INTEGER) holds
_VERSION_TAG_BYTES = 16 + 4  # AES-SIV's synthetic IV, then the 4-byte version sealed
_VIEW_TAG_BYTES = 16


class ETags:
    """Entity tags that reveal nothing the body does not (a version counter would tell
    anyone who may read a record that it changed, and how often, whatever they see of it).

    - `for_version`: for a caller who sees every field of the record. The version sealed
      with AES-SIV (deterministic authenticated encryption), bound to the record's kind
      and id: stable while the record is, opaque to the client, and turned back into the
      version by this server only — so If-Match still names the versions a change may
      apply to (and a change can still be one `UPDATE … WHERE version IN (…)`).
    - `for_view`: for a caller who sees part of a record. A keyed hash (HMAC-SHA256) of
      the view as sent: it changes when what they see changes, never otherwise. Such a
      caller may change nothing, so no If-Match ever needs to be read back from it.

    The key is derived from the master key: a rotation changes every tag (clients read
    again before their next change)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 96:
            raise ValueError("ETags takes 96 bytes of key")
        self._siv = AESSIV(key[:64])
        self._mac_key = key[64:]

    def for_version(self, kind: str, record: uuid.UUID, version: int) -> str:
        sealed = self._siv.encrypt(version.to_bytes(4, "big"), [kind.encode(), record.bytes])
        return _quoted(sealed)

    def for_view(self, kind: str, record: uuid.UUID, view: Mapping[str, Any]) -> str:
        canonical = orjson.dumps(view, option=orjson.OPT_SORT_KEYS, default=_json_default)
        mac = hmac.new(self._mac_key, kind.encode() + record.bytes + canonical, hashlib.sha256)
        return _quoted(mac.digest()[:_VIEW_TAG_BYTES])

    def versions(self, if_match: str | None, kind: str, record: uuid.UUID) -> frozenset[int] | None:
        """The versions of the record a client's If-Match allows a change of; None: any
        (no header, or "*": last write wins). A tag that is not one of ours for this
        record allows none. If-Match uses the strong comparison (RFC 9110 §13.1.1), so a
        weak tag never matches."""
        if if_match is None:
            return None
        versions: set[int] = set()
        for tag in (t.strip() for t in if_match.split(",")):
            if tag == "*":
                return None
            version = self._version_in(tag, kind, record)
            if version is not None:
                versions.add(version)
        return frozenset(versions)

    def _version_in(self, tag: str, kind: str, record: uuid.UUID) -> int | None:
        if len(tag) != 2 + _B64_LENGTH or tag[0] != '"' or tag[-1] != '"':
            return None
        try:
            sealed = base64.urlsafe_b64decode(tag[1:-1] + "=")
            raw = self._siv.decrypt(sealed, [kind.encode(), record.bytes])
        except (ValueError, InvalidTag):
            return None
        version = int.from_bytes(raw, "big")
        return version if version <= MAX_VERSION else None

    def precondition(self, if_match: str | None, kind: str, record: uuid.UUID) -> Precondition:
        return Precondition(self, if_match, kind, record)


_B64_LENGTH = len(base64.urlsafe_b64encode(bytes(_VERSION_TAG_BYTES)).rstrip(b"="))


def _quoted(raw: bytes) -> str:
    return '"' + base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + '"'


@dataclass(frozen=True, slots=True)
class Precondition:
    """A request's If-Match, for one record (what a service checks before a change)."""

    etags: ETags
    if_match: str | None
    kind: str
    record: uuid.UUID

    def versions(self) -> frozenset[int] | None:
        return self.etags.versions(self.if_match, self.kind, self.record)

    def check(self, version: int) -> None:
        """Raise 412 when the client's If-Match names another version (no header: last
        write wins)."""
        versions = self.versions()
        if versions is None or version in versions:
            return
        raise PreconditionFailed(
            "The record changed since you read it; reload and try again", code="stale_etag"
        )


def check_if_match(precondition: Precondition | None, version: int) -> None:
    """`precondition.check(version)`; None (a caller outside HTTP, e.g. a command): none."""
    if precondition is not None:
        precondition.check(version)


def if_match_versions(precondition: Precondition | None) -> frozenset[int] | None:
    return None if precondition is None else precondition.versions()


def _json_default(value: Any) -> str:
    # Decimals as strings with their scale ("85000.50"), as pydantic writes them.
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def json_bytes(content: Any) -> bytes:
    """JSON as every hot read path writes it (orjson; UUIDs and Decimals as strings)."""
    return orjson.dumps(content, default=_json_default)


class JSONBytes(Response):
    """A JSON response serialised once by orjson, for hot read paths: the service's view
    dicts hold only what the caller may see, so there is nothing left for a response
    model to filter, and validating every item again would cost more than the query."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)
