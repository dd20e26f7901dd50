"""HTTP-level helpers shared by routers: ETags and If-Match."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

from shre.kit.errors import PreconditionFailed


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int) -> None:
    """Raise 412 when the client's If-Match names another version (no header: last write wins)."""
    if if_match is None:
        return
    # If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" in candidates or etag_for(version) in candidates:
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
