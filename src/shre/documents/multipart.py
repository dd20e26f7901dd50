"""A streaming `multipart/form-data` reader over the raw request body.

Starlette's `request.form()` spools file parts to temporary files on disk: a document's
plaintext must never touch the disk, so uploads are parsed here with python-multipart's
push parser, and a file part is handed on as an async iterator of its bytes, as they
arrive. Text fields are small (capped) and collected in memory.

    async for part in FormReader(request.stream(), request.headers["content-type"]):
        if isinstance(part, FormField): ...
        else: await consume(part.chunks)   # before asking for the next part
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from shre.kit.errors import InvalidInput, UnsupportedMediaType

MAX_FIELD_BYTES = 16 * 1024
MAX_FIELDS = 64
# RFC 5987/8187 `filename*=UTF-8''...` (python-multipart reads only `filename`).
_EXTENDED_FILENAME = re.compile(r"filename\*\s*=\s*(?i:utf-8)''([^;\s]+)")


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    value: str


@dataclass(slots=True)
class FormFile:
    name: str
    filename: str
    content_type: str | None
    chunks: AsyncIterator[bytes]


def malformed(detail: str) -> InvalidInput:
    return InvalidInput(
        detail,
        code="invalid_multipart",
        errors=[{"field": "body", "location": "body", "message": detail}],
    )


def boundary_of(content_type: str | None) -> bytes:
    if not content_type:
        raise UnsupportedMediaType("Send the upload as multipart/form-data", code="not_multipart")
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise UnsupportedMediaType("Send the upload as multipart/form-data", code="not_multipart")
    boundary = options.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise malformed("multipart/form-data without a usable boundary")
    return boundary


def _text(raw: bytes) -> str:
    # Browsers send names in UTF-8 whatever RFC 7578 says about the header's charset.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class FormReader:
    """Yields the parts of a multipart body in order: `FormField`s, and `FormFile`s whose
    `chunks` must be read (or left) before the next part is asked for."""

    def __init__(self, body: AsyncIterable[bytes], content_type: str | None) -> None:
        self._body = body.__aiter__()
        self._events: deque[tuple[str, Any]] = deque()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._finished = False
        self._fields = 0
        self._parser = MultipartParser(
            boundary_of(content_type),
            {
                "on_part_begin": self._part_begin,
                "on_part_data": self._part_data,
                "on_part_end": lambda: self._events.append(("end", b"")),
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
            },
            max_header_count=8,
        )
        self._current: FormFile | None = None

    # --- parser callbacks (synchronous, called from write()) ---
    def _part_begin(self) -> None:
        self._headers = {}

    def _headers_finished(self) -> None:
        # The part's headers travel with the event: one write() may parse several parts.
        self._events.append(("headers", self._headers))
        self._headers = {}

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", bytes(data[start:end])))

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    # --- pulling events ---
    async def _next_event(self) -> tuple[str, Any] | None:
        while not self._events:
            if self._finished:
                return None
            try:
                chunk = await self._body.__anext__()
            except StopAsyncIteration:
                self._finished = True
                try:
                    self._parser.finalize()
                except MultipartParseError:
                    raise malformed("the multipart body is truncated") from None
                continue
            try:
                self._parser.write(chunk)
            except MultipartParseError:
                raise malformed("the multipart body is malformed") from None
        return self._events.popleft()

    def __aiter__(self) -> FormReader:
        return self

    async def __anext__(self) -> FormField | FormFile:
        if self._current is not None:
            # The previous file part was not read to its end: skip the rest of it.
            async for _ in self._current.chunks:
                pass
            self._current = None
        while True:
            event = await self._next_event()
            if event is None:
                raise StopAsyncIteration
            if event[0] == "headers":
                return await self._part(event[1])
            # data outside a part (preamble) or a stray end: nothing to return

    async def _part(self, headers: dict[bytes, bytes]) -> FormField | FormFile:
        disposition = headers.get(b"content-disposition", b"")
        kind, options = parse_options_header(disposition)
        if kind != b"form-data" or b"name" not in options:
            raise malformed("a part without Content-Disposition: form-data; name=...")
        name = _text(options[b"name"])
        filename = self._filename(disposition, options)
        if filename is not None:
            raw_type = headers.get(b"content-type")
            self._current = FormFile(
                name, filename, _text(raw_type) if raw_type else None, self._file_chunks()
            )
            return self._current
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise malformed(f"more than {MAX_FIELDS} form fields")
        value = bytearray()
        while (event := await self._next_event()) is not None and event[0] == "data":
            value += event[1]
            if len(value) > MAX_FIELD_BYTES:
                raise malformed(f"form field {name[:40]!r} is longer than {MAX_FIELD_BYTES} bytes")
        try:
            return FormField(name, value.decode("utf-8"))
        except UnicodeDecodeError:
            raise malformed(f"form field {name[:40]!r} is not UTF-8") from None

    @staticmethod
    def _filename(disposition: bytes, options: dict[bytes, bytes]) -> str | None:
        extended = _EXTENDED_FILENAME.search(disposition.decode("latin-1"))
        if extended is not None:
            return unquote(extended.group(1), encoding="utf-8", errors="replace")
        raw = options.get(b"filename")
        return None if raw is None else _text(raw)

    async def _file_chunks(self) -> AsyncIterator[bytes]:
        while (event := await self._next_event()) is not None:
            if event[0] != "data":
                return
            yield event[1]
        raise malformed("the multipart body ended inside a file")
