"""What an upload really is, decided from its bytes (never from its name or the client's
Content-Type), against the allowlist: PDF, PNG, JPEG, DOCX, XLSX, plain text and CSV.

The type is decided from the first bytes, before anything is stored (storage needs it up
front); what can only be checked later is checked as the bytes stream past: text must be
UTF-8 without NUL bytes throughout, and a ZIP must turn out to be an Office Open XML
document (its central directory, at the very end, lists `[Content_Types].xml` and
`word/document.xml` or `xl/workbook.xml`, and no macros). A check that fails raises
`UnsupportedMediaType` from inside the stream, so the storage upload aborts and keeps
nothing.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

import puremagic

from shre.kit.errors import UnsupportedMediaType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain; charset=utf-8"
CSV = "text/csv; charset=utf-8"
ALLOWED = (PDF, PNG, JPEG, DOCX, XLSX, TEXT, CSV)

HEAD_BYTES = 64 * 1024  # enough to see the first members of a ZIP
ZIP_TAIL_BYTES = 1024 * 1024  # the central directory must fit in the last MiB
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_OOXML_MAIN = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}
_MACROS = ("vbaproject.bin", "vbadata.xml")


def refused(detail: str) -> UnsupportedMediaType:
    allowed = "PDF, PNG, JPEG, DOCX, XLSX, plain text (UTF-8) and CSV"
    return UnsupportedMediaType(f"{detail}; allowed: {allowed}", code="file_type_not_allowed")


def describe(head: bytes) -> str:
    """A name for what the bytes look like (for the refusal and the log), if known."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return "an unknown binary format"
    return matches[0].name if matches else "an unknown binary format"


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _ooxml_guess(head: bytes, filename: str) -> str:
    """DOCX or XLSX from the member names among the first local headers (Office writes the
    main parts early), else from the filename; the central directory confirms it."""
    word, excel = head.find(b"word/"), head.find(b"xl/")
    if word >= 0 and (excel < 0 or word < excel):
        return DOCX
    if excel >= 0:
        return XLSX
    return XLSX if _extension(filename) == "xlsx" else DOCX


def zip_members(tail: bytes) -> list[str]:
    """Member names from the central directory at the end of a ZIP; refused when there
    is none or it does not fit in `tail`."""
    eocd = tail.rfind(_EOCD, max(0, len(tail) - 22 - 65535))
    if eocd < 0 or len(tail) - eocd < 22:
        raise refused("the ZIP archive has no central directory")
    entries, cd_size = struct.unpack_from("<HI", tail, eocd + 10)
    cd_end = eocd
    if eocd >= 20 and tail[eocd - 20 : eocd - 16] == _ZIP64_LOCATOR:
        cd_end = eocd - 20 - 56  # the ZIP64 end record sits between directory and end
        if cd_end < 0 or tail[cd_end : cd_end + 4] != b"PK\x06\x06":
            raise refused("the ZIP archive's directory is damaged")
        (cd_size,) = struct.unpack_from("<Q", tail, cd_end + 40)
    start = cd_end - cd_size
    if start < 0:
        raise refused("the ZIP archive's directory is too large or damaged")
    names: list[str] = []
    position = start
    while position < cd_end:
        if tail[position : position + 4] != _CENTRAL or position + 46 > cd_end:
            raise refused("the ZIP archive's directory is damaged")
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", tail, position + 28)
        raw = tail[position + 46 : position + 46 + name_len]
        names.append(raw.decode("utf-8", errors="replace"))
        position += 46 + name_len + extra_len + comment_len
    if entries != 0xFFFF and entries != len(names):
        raise refused("the ZIP archive's directory is damaged")
    return names


def check_ooxml(content_type: str, names: list[str]) -> None:
    lowered = {n.lower() for n in names}
    if "[content_types].xml" not in lowered:
        raise refused("a ZIP archive that is not a Word or Excel document")
    if any(n.rsplit("/", 1)[-1] in _MACROS for n in lowered):
        raise refused("an Office document with macros")
    main = _OOXML_MAIN[content_type]
    if main not in lowered:
        other = next((t for t, m in _OOXML_MAIN.items() if m in lowered), None)
        if other is not None:
            kind = "an Excel workbook" if other == XLSX else "a Word document"
            raise refused(f"{kind} that does not start like one")
        raise refused("an Office Open XML package that is neither a Word nor an Excel document")


@dataclass(frozen=True, slots=True)
class Sniffed:
    content_type: str
    chunks: AsyncIterator[bytes]  # the whole stream, checked as it passes


async def sniff(stream: AsyncIterable[bytes], filename: str) -> Sniffed:
    """Read the first bytes of `stream`, decide the content type (415 when not allowed),
    and return it with the full stream, whose remaining checks run as it is read."""
    source = stream.__aiter__()
    head = bytearray()
    ended = False
    while len(head) < HEAD_BYTES:
        try:
            head += await source.__anext__()
        except StopAsyncIteration:
            ended = True
            break
    first = bytes(head)
    for signature, content_type in _SIGNATURES:
        if first.startswith(signature):
            return Sniffed(content_type, _passthrough(first, source, ended))
    if first.startswith(_ZIP) or first.startswith(_EMPTY_ZIP):
        content_type = _ooxml_guess(first, filename)
        return Sniffed(content_type, _ooxml(first, source, ended, content_type))
    text_type = CSV if _extension(filename) == "csv" else TEXT
    _check_text_start(first)
    return Sniffed(text_type, _text(first, source, ended))


def _check_text_start(head: bytes) -> None:
    """Fail fast on an obvious binary (an executable named .pdf, say)."""
    if b"\x00" in head:
        raise refused(f"this file looks like {describe(head)}")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        raise refused(f"this file looks like {describe(head)}") from None


async def _passthrough(
    head: bytes, source: AsyncIterator[bytes], ended: bool
) -> AsyncIterator[bytes]:
    if head:
        yield head
    if not ended:
        async for chunk in source:
            yield chunk


async def _text(head: bytes, source: AsyncIterator[bytes], ended: bool) -> AsyncIterator[bytes]:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    async for chunk in _passthrough(head, source, ended):
        if b"\x00" in chunk:
            raise refused("a text file with NUL bytes (a binary file)")
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError:
            raise refused("a text file that is not valid UTF-8") from None
        yield chunk
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refused("a text file that is not valid UTF-8") from None


async def _ooxml(
    head: bytes, source: AsyncIterator[bytes], ended: bool, content_type: str
) -> AsyncIterator[bytes]:
    tail = bytearray()
    async for chunk in _passthrough(head, source, ended):
        tail += chunk
        if len(tail) > 2 * ZIP_TAIL_BYTES:
            del tail[: len(tail) - ZIP_TAIL_BYTES]
        yield chunk
    # The last chunk has gone to storage but the upload is not complete until this
    # generator ends: raising here still aborts it.
    check_ooxml(content_type, zip_members(bytes(tail[-ZIP_TAIL_BYTES:])))
