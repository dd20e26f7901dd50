"""HTTP `Range: bytes=...` requests for downloads (RFC 9110 §14)."""

from __future__ import annotations

import re

from shre.documents.errors import RangeNotSatisfiable

_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None for the whole file.

    One range is honoured; a list of ranges is answered with the whole file (allowed, and
    simpler than multipart/byteranges), as is a unit other than bytes. A malformed or
    unsatisfiable bytes range is 416.
    """
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    if "," in spec:
        return None
    match = _SPEC.match(spec)
    if match is None or (not match.group(1) and not match.group(2)):
        raise RangeNotSatisfiable(size)
    first, last = match.group(1), match.group(2)
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if end < start or start >= size:
        raise RangeNotSatisfiable(size)
    return start, min(end, size - 1)
