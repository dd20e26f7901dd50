"""HTTP-level helpers shared by routers: ETags and If-Match."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

from shre.kit.errors import PreconditionFailed

MAX_VERSION = 2**31 - 1  # the largest a version column (INTEGER) holds


def etag_for(version: int) -> str:
    return f'"{version}"'


def if_match_versions(if_match: str | None) -> frozenset[int] | None:
    """The versions the client's If-Match allows a change of; None: any (no header, or
    "*": last write wins). A tag that is not one of ours (`etag_for`) allows none: If-Match
    uses the strong comparison (RFC 9110 §13.1.1), so a weak tag never matches."""
    if if_match is None:
        return None
    versions: set[int] = set()
    for tag in (t.strip() for t in if_match.split(",")):
        if tag == "*":
            return None
        inner = tag[1:-1] if len(tag) > 2 and tag[0] == tag[-1] == '"' else ""
        # A version is a 32-bit column: a longer number is no version of ours.
        if inner.isascii() and inner.isdigit() and len(inner) <= 10:
            version = int(inner)
            if version <= MAX_VERSION and etag_for(version) == tag:
                versions.add(version)
    return frozenset(versions)


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 412 when the client's If-Match names another version (no header: last write wins)."""
    versions = if_match_versions(if_match)
    if versions is None or version in versions:
        return
    raise PreconditionFailed(
        "The record changed since you read it; reload and try again", code="stale_etag"
    )


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
