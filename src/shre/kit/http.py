"""HTTP-level helpers shared by routers: ETags and If-Match."""

from __future__ import annotations

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
