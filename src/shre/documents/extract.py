"""Text of a document for the full-text index: PDF (pypdf), DOCX and XLSX (their XML,
read straight from the ZIP), plain text and CSV.

Extraction runs in a worker thread and is bounded every way a hostile file could push:
the input size (the caller does not read more than `max_bytes`), the pages of a PDF, the
decompressed size of an XML part, the text kept, and the time (checked between pages;
the caller also stops waiting). At most `MAX_CONCURRENT` extractions run at once, in
threads of their own limiter, so a file that still manages to stall a thread cannot take
the threads that storage and the database need.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import re
import time
import weakref
import zipfile
from collections.abc import Callable

import anyio
import structlog
from anyio import to_thread

from shre.documents.sniff import CSV, DOCX, PDF, TEXT, XLSX

log = structlog.get_logger("shre.documents")

MAX_PAGES = 300
MAX_XML_BYTES = 32 * 1024 * 1024
MAX_TEXT_CHARS = 2_000_000
MAX_SECONDS = 10.0
MAX_CONCURRENT = 2
EXTRACTABLE = frozenset({PDF, DOCX, XLSX, TEXT, CSV})
_WORD_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|<w:(?:p|br|tab)[\s/>]")
_CELL_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


class ExtractionTimeout(Exception):
    pass


def _capacity() -> anyio.CapacityLimiter:
    """The extraction threads' limiter of the running event loop (one per loop: a limiter
    belongs to the loop it was first used in)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(MAX_CONCURRENT)
    return limiter


async def extract_text(data: bytes, content_type: str, *, seconds: float | None = None) -> str:
    """The document's text (possibly empty); ExtractionTimeout, or the parser's error for
    a damaged file (the caller indexes nothing then)."""
    seconds = MAX_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    with anyio.fail_after(seconds):
        return await to_thread.run_sync(
            _extract, data, content_type, deadline, limiter=_capacity(), abandon_on_cancel=True
        )


def _extract(data: bytes, content_type: str, deadline: float) -> str:
    def check_time() -> None:
        if time.monotonic() > deadline:
            raise ExtractionTimeout

    if content_type == PDF:
        text = _pdf(data, check_time)
    elif content_type == DOCX:
        text = _word(data)
    elif content_type == XLSX:
        text = _excel(data)
    elif content_type in (TEXT, CSV):
        text = data.decode("utf-8", errors="replace")
    else:
        return ""
    return text[:MAX_TEXT_CHARS]


def _pdf(data: bytes, check_time: Callable[[], None]) -> str:
    from pypdf import PdfReader

    # pypdf logs every oddity of a damaged file as a warning; one line from us is enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        return ""
    parts: list[str] = []
    kept = 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PAGES or kept >= MAX_TEXT_CHARS:
            break
        check_time()
        text = page.extract_text() or ""
        parts.append(text)
        kept += len(text)
    return "\n".join(parts)


def _zip_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            info = archive.getinfo(name)
        except KeyError:
            return b""
        with archive.open(info) as part:
            return part.read(MAX_XML_BYTES)  # a ZIP bomb stops here


def _word(data: bytes) -> str:
    xml = _zip_part(data, "word/document.xml")
    out: list[str] = []
    for match in _WORD_TEXT.finditer(xml):
        if match.group(1) is None:
            out.append(" ")  # paragraph, line break or tab: a word boundary
        else:
            out.append(html.unescape(match.group(1).decode("utf-8", errors="replace")))
    return "".join(out)


def _excel(data: bytes) -> str:
    shared = _zip_part(data, "xl/sharedStrings.xml")
    return " ".join(
        html.unescape(m.group(1).decode("utf-8", errors="replace"))
        for m in _CELL_TEXT.finditer(shared)
    )
