"""Pure logic, property-tested: the streaming multipart reader however the body is cut
into chunks, byte ranges, the type sniffer (ZIP directories included), text extraction
and its bounds."""

from __future__ import annotations

import asyncio
import io
import threading
import time
import zipfile
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shre.documents import extract
from shre.documents.errors import RangeNotSatisfiable
from shre.documents.multipart import FormField, FormFile, FormReader
from shre.documents.ranges import parse_range
from shre.documents.search import fold, words
from shre.documents.sniff import DOCX, XLSX, sniff, zip_members
from shre.kit.errors import InvalidInput, UnsupportedMediaType
from tests.support.documents import cyclic_pdf, docx_with_text, pdf_with_text, xlsx_with_text

BOUNDARY = "----shre7MA4YWxkTrZu0gW"


def form_body(fields: list[tuple[str, str]], filename: str, payload: bytes) -> bytes:
    out = bytearray()
    for name, value in fields:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    out += payload + f"\r\n--{BOUNDARY}--\r\n".encode()
    return bytes(out)


async def pieces(data: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    last = 0
    for cut in sorted({min(c, len(data)) for c in cuts}):
        yield data[last:cut]
        last = cut
    yield data[last:]


async def read_form(body: bytes, cuts: list[int]) -> tuple[list[tuple[str, str]], bytes, str]:
    fields: list[tuple[str, str]] = []
    reader = FormReader(pieces(body, cuts), f"multipart/form-data; boundary={BOUNDARY}")
    async for part in reader:
        if isinstance(part, FormField):
            fields.append((part.name, part.value))
        else:
            assert isinstance(part, FormFile)
            data = b"".join([c async for c in part.chunks])
            return fields, data, part.filename
    raise AssertionError("no file part")


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=4),
    payload=st.binary(max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_multipart_reader_is_independent_of_chunking(
    values: list[str], payload: bytes, cuts: list[int]
) -> None:
    fields = [(f"f{n}", v.replace("\r", "")) for n, v in enumerate(values)]
    body = form_body(fields, "scan.pdf", payload + b"\r\n--" + BOUNDARY[:-3].encode())
    got_fields, got, filename = asyncio.run(read_form(body, cuts))
    assert got_fields == fields
    assert got == payload + b"\r\n--" + BOUNDARY[:-3].encode()  # a near-boundary is data
    assert filename == "scan.pdf"


def test_multipart_reader_refuses_damage() -> None:
    good = form_body([("category", "other")], "a.pdf", b"data")
    for broken in (good[:-10], good.replace(b"Content-Disposition", b"X-Nothing", 1)):
        with pytest.raises(InvalidInput):
            asyncio.run(read_form(broken, []))
    with pytest.raises(UnsupportedMediaType):
        FormReader(pieces(good, []), "application/json")


@settings(max_examples=300)
@given(size=st.integers(0, 5000), start=st.integers(0, 6000), end=st.integers(0, 6000))
def test_ranges_match_the_rfc(size: int, start: int, end: int) -> None:
    header = f"bytes={start}-{end}"
    if end < start or start >= size:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(header, size)
    else:
        assert parse_range(header, size) == (start, min(end, size - 1))
    suffix = f"bytes=-{end}"
    if end == 0 or size == 0:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(suffix, size)
    else:
        assert parse_range(suffix, size) == (max(0, size - end), size - 1)


async def sniffed(data: bytes, filename: str = "x.bin") -> tuple[str, bytes]:
    result = await sniff(pieces(data, list(range(0, len(data), 7000))), filename)
    return result.content_type, b"".join([c async for c in result.chunks])


async def test_office_packages_are_checked_at_the_end() -> None:
    docx = docx_with_text("hello")
    assert await sniffed(docx) == (DOCX, docx)
    assert await sniffed(xlsx_with_text("a"), "sheet.xlsx") == (XLSX, xlsx_with_text("a"))
    # ZIP64 directories (as written by large archives) are understood too.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        with archive.open("[Content_Types].xml", "w", force_zip64=True) as part:
            part.write(b"<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert (await sniffed(buffer.getvalue()))[0] == DOCX
    names = zip_members(docx)
    assert "word/document.xml" in names
    # A workbook that says it is a document (by its name) is refused, not mislabelled.
    with pytest.raises(UnsupportedMediaType, match="Excel"):
        await sniffed(_late_workbook(), "report.docx")


def _late_workbook() -> bytes:
    """A workbook whose `xl/` parts come only after the first 64 KiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        # Filler that cannot spell a member name: random bytes would hold "xl/" in one
        # run of about 250, and the early guess would then (rightly) say Excel.
        archive.writestr("docProps/thumbnail.jpeg", b"\xff\xd8" + b"\x00" * 70_000)
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


async def test_text_and_binaries() -> None:
    assert (await sniffed("naïve café\n".encode(), "a.csv"))[0] == "text/csv; charset=utf-8"
    assert (await sniffed(b""))[0] == "text/plain; charset=utf-8"
    split_euro = "€" * 5000  # multi-byte characters cut across chunks stay valid
    assert (await sniffed(split_euro.encode()))[1] == split_euro.encode()
    with pytest.raises(UnsupportedMediaType, match="ELF"):
        await sniffed(b"\x7fELF\x02\x01\x01\x00" + bytes(100), "invoice.pdf")
    with pytest.raises(UnsupportedMediaType):
        await sniffed("é".encode()[:1])  # a cut UTF-8 sequence at the very end


async def test_extraction() -> None:
    assert "Hello extraction" in await extract.extract_text(
        pdf_with_text("Hello extraction"), "application/pdf"
    )
    assert "Zürich" in await extract.extract_text(docx_with_text("Grüße aus Zürich"), DOCX)
    assert "crumpet" in await extract.extract_text(xlsx_with_text("crumpet"), XLSX)
    assert words("Grüße, GRÜSSE and Ünïcode_42") == ["grusse", "and", "unicode_42"]
    assert fold("Ångström") == "angstrom"
    # A page tree that refers to itself: an error, promptly, never a hang.
    started = time.monotonic()
    with pytest.raises(Exception, match="cyclic"):
        await extract.extract_text(cyclic_pdf(), "application/pdf")
    assert time.monotonic() - started < 2


async def test_extraction_is_bounded_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The time-out answers while the extraction is still running: the request does not
    wait for the thread (no wall-clock bound: the extraction runs until released)."""
    release = threading.Event()
    finished = threading.Event()

    def stuck(data: bytes, content_type: str, deadline: float) -> str:
        release.wait(30)
        finished.set()
        return "too late"

    monkeypatch.setattr(extract, "_extract", stuck)
    try:
        with pytest.raises(TimeoutError):
            await extract.extract_text(b"%PDF-", "application/pdf", seconds=0.1)
        assert not finished.is_set()
    finally:
        release.set()
