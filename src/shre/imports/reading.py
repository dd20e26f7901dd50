"""Reading an import file: CSV (stdlib `csv`) or XLSX (openpyxl, read-only), row by row.

The file is held in memory (never written to disk: it may hold salaries) and read as a
stream of rows, so a pass over it keeps one row at a time; the service reads it twice
(check, then write: `Sheet.again`). A CSV file is parsed again; an XLSX workbook is not
(openpyxl takes 20 s for 100,000 rows): its first reading keeps each row's values as
text, as the API's JSON would carry them, in a CSV in memory (about the file's size as
CSV), which the second one reads.

CSV: a BOM says the encoding (UTF-8, UTF-16, UTF-32); else UTF-8 when the bytes are
UTF-8, else what charset-normalizer finds. The delimiter is the one of `, ; TAB |` that
splits the header row into the most known column names. XLSX: the first worksheet, its
cached values (a formula without one is a row error); numbers in date columns are Excel
serial dates. Cells become what the API's JSON would carry: text, or a date/number the
schema then checks; an empty cell is None.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import charset_normalizer
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from shre.imports.schemas import COLUMNS, DATE_COLUMNS
from shre.kit.errors import InvalidInput

DELIMITERS: Final = (",", ";", "\t", "|")
SAMPLE: Final = 64 * 1024  # bytes read to guess an encoding and the delimiter
ZIP_MAGIC: Final = b"PK\x03\x04"
OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # XLS (Excel 97-2003)
BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What our CSV export puts before text a spreadsheet would run as a formula
# (shre.kit.export.FORMULA_STARTS): taken off again here.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Words with accented letters in a Western text: at most this share of them, on average.
WESTERN_SHARE: Final = 0.5
_WORD = re.compile(r"[^\W\d_]+")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[\s>/]")
_PLACES = re.compile(r"\.(0+)")
KNOWN: Final = frozenset(COLUMNS)
# The most text an XLSX file's replay keeps (see `Replay`): a workbook's shared strings
# are stored once but kept once per cell here, so a small file could otherwise ask for
# gigabytes. 100,000 ordinary rows take about 21 MiB.
REPLAY_MAX_BYTES: Final = 64 * 1024 * 1024


class CellError(ValueError):
    """A cell that cannot become a value (its message never holds the value)."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell without a cached value (the file was never opened in a program
    that computes it)."""


@dataclass(frozen=True, slots=True)
class ErrorValue:
    code: str  # #DIV/0!, #N/A …


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric XLSX cell, with the decimals its format shows."""

    value: int | float
    places: int


Raw = str | int | float | bool | datetime | date | time | Number | Formula | ErrorValue | None


def unreadable(detail: str, code: str = "unreadable_file") -> InvalidInput:
    return InvalidInput(
        detail, code=code, errors=[{"field": "file", "location": "body", "message": detail}]
    )


@dataclass(slots=True)
class Sheet:
    """A file's header (the known column of each position; None: left out) and its data
    rows with their numbers as a spreadsheet shows them (the header is row 1)."""

    kind: str  # csv | xlsx
    columns: list[str | None]
    rows: Iterator[tuple[int, list[Raw]]]
    epoch: datetime | None = None  # XLSX: the workbook's date system
    reread: Callable[[], Sheet] | None = None

    def named(self) -> list[str]:
        return [c for c in self.columns if c is not None]

    def again(self) -> Sheet:
        """The same rows, read from the start again."""
        if self.reread is None:  # pragma: no cover - every reader sets it
            raise RuntimeError("this sheet cannot be read again")
        return self.reread()


class Replay:
    """An XLSX sheet's rows as read, their cells as `value_of` makes them (text, a date
    as YYYY-MM-DD, None as an empty field), kept as CSV text in memory for the second
    pass. Complete only when every row was read, every cell had a value and the text
    stayed within `limit` bytes: else (a row error, which writes nothing; or a file of
    more text) a second pass reads the workbook again."""

    def __init__(self, columns: list[str | None], epoch: datetime | None, limit: int) -> None:
        self.columns = columns
        self.epoch = epoch
        self.limit = limit
        self.buffer = io.BytesIO()
        self.text = io.TextIOWrapper(self.buffer, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text)
        self.complete = True
        self.ended = False

    def keep(self, number: int, cells: list[Raw]) -> None:
        if not self.complete:
            return
        out = self._texts(number, cells)
        if out is None or self.buffer.tell() > self.limit:
            self._give_up()
        else:
            self.writer.writerow(out)

    def _texts(self, number: int, cells: list[Raw]) -> list[Any] | None:
        """The row as kept (None: one of its cells keeps no text, so the check refuses
        the row; were it not to, the workbook is read again rather than guessed at)."""
        if any(raw is not None for raw in cells[len(self.columns) :]):
            return None  # a cell beyond the header
        out: list[Any] = [number]
        for column, raw in zip(self.columns, cells, strict=False):
            if column is None or raw is None:
                out.append("")
                continue
            try:
                value = value_of(column, raw, self.epoch)
            except CellError:
                return None
            if isinstance(value, date) and not isinstance(value, datetime):
                out.append(value.isoformat())
            elif isinstance(value, str):
                out.append(value)
            else:  # a time of day, a bool
                return None
        return out

    def _give_up(self) -> None:
        """Keep no more: the second pass reads the workbook again."""
        self.complete = False
        self.buffer = io.BytesIO()  # the text kept so far is let go
        self.text = io.TextIOWrapper(self.buffer, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text)

    def end(self) -> None:
        self.text.flush()
        self.ended = True

    def sheet(self, reread: Callable[[], Sheet]) -> Sheet | None:
        """The rows kept, as a sheet read again by `reread` (None: not all are kept)."""
        if not (self.ended and self.complete):
            return None
        text = io.TextIOWrapper(io.BytesIO(self.buffer.getbuffer()), encoding="utf-8", newline="")

        def rows() -> Iterator[tuple[int, list[Raw]]]:
            for number, *cells in csv.reader(text):
                yield int(number), [cell or None for cell in cells]

        return Sheet("xlsx", self.columns, rows(), self.epoch, reread)


def open_sheet(data: bytes) -> Sheet:
    """The file's header checked and its rows ready to read (422 for a file that is not a
    CSV or XLSX file, or whose header names an unknown column)."""
    if data.startswith(ZIP_MAGIC):
        return _xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise unreadable("XLS files are not supported: save the sheet as XLSX or CSV")
    return _csv(data)


# --- header --------------------------------------------------------------------------
def _header(cells: list[Any]) -> list[str | None]:
    names = [_header_name(c) for c in cells]
    if not any(n in KNOWN for n in names):
        raise unreadable(
            "The first row must be a header of field names (e.g. employee_number, "
            "first_name): none of its cells is one",
            code="missing_header",
        )
    unknown = [n for n in names if n and n not in KNOWN]
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise unreadable(f"Unknown column: {shown}", code="unknown_column")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise unreadable(f"Column {name!r} appears twice", code="duplicate_column")
        seen.add(name or "")
    if "employee_number" not in seen:
        raise unreadable("The file needs an employee_number column", code="missing_column")
    return [n or None for n in names]


def _header_name(cell: Any) -> str:
    return "" if cell is None else str(cell).strip().lower()


# --- CSV -----------------------------------------------------------------------------
def encoding_of(data: bytes) -> str:
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    if _is_utf8(data):
        return "utf-8"
    if _western(data[: SAMPLE * 4]):
        return "cp1252"
    best = charset_normalizer.from_bytes(data[: SAMPLE * 4]).best()
    if best is None:
        raise unreadable("The file is neither a CSV text file nor an XLSX workbook")
    return str(best.encoding)


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _western(sample: bytes) -> bool:
    """Whether the sample reads as Windows-1252 (what Excel writes on Western European
    systems): it decodes, and its letters are mostly ASCII, accented ones the exception
    (text of another script decoded so is mostly accented letters). charset-normalizer
    guesses poorly on short Latin text, which is most of what an import file holds."""
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    shares = [
        sum(not c.isascii() for c in word) / len(word)
        for word in _WORD.findall(text)
        if not word.isascii()
    ]
    return not shares or sum(shares) / len(shares) <= WESTERN_SHARE


def _delimiter(first_line: str) -> str:
    def known(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(_header_name(c) in KNOWN for c in cells), len(cells)

    return max(DELIMITERS, key=known)


def _csv(data: bytes) -> Sheet:
    encoding = encoding_of(data)
    sample = data[:SAMPLE].decode(encoding, errors="ignore").lstrip("\ufeff")
    delimiter = _delimiter(sample.splitlines()[0] if sample else "")
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        first = next(reader, [])
    except (csv.Error, UnicodeDecodeError):
        raise unreadable("The file's first row cannot be read as CSV") from None
    columns = _header(first)

    def rows() -> Iterator[tuple[int, list[Raw]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError):
                raise unreadable(
                    f"Row {number + 1} cannot be read (as CSV in {encoding})"
                ) from None
            number += 1
            yield number, [_csv_cell(c) for c in cells]

    return Sheet("csv", columns, rows(), reread=lambda: _csv(data))


def _csv_cell(text: str) -> str | None:
    if not text.strip():
        return None
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]  # our export's guard against formulas, taken off
    return text


# --- XLSX ----------------------------------------------------------------------------
def _xlsx(data: bytes) -> Sheet:
    """The first sheet's cached values; where it has formulas, also the formulas (a
    second reading of the sheet, in step with the first), to tell a formula without a
    cached value from an empty cell."""
    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = values.worksheets[0]
        formulas = None
        if _has_formulas(data, getattr(sheet, "_worksheet_path", "")):
            formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        cells = sheet.iter_rows()
        shadows = formulas.worksheets[0].iter_rows() if formulas is not None else None
        header = next(cells, ())
        if shadows is not None:
            next(shadows, ())
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, IndexError, OSError):
        raise unreadable("The file is not a readable XLSX workbook") from None
    columns = _header([c.value for c in header])
    replay = Replay(columns, values.epoch, REPLAY_MAX_BYTES)

    def rows() -> Iterator[tuple[int, list[Raw]]]:
        try:
            for number, row in enumerate(cells, 2):
                shadow = next(shadows, ()) if shadows is not None else ()
                formula = {i for i, f in enumerate(shadow) if getattr(f, "data_type", "") == "f"}
                read = [_xlsx_cell(c, i in formula) for i, c in enumerate(row)]
                replay.keep(number, read)
                yield number, read
            replay.end()
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            raise unreadable("The workbook's sheet cannot be read") from None
        finally:
            values.close()
            if formulas is not None:
                formulas.close()

    def again() -> Sheet:
        return replay.sheet(again) or _xlsx(data)

    return Sheet("xlsx", columns, rows(), values.epoch, again)


def _has_formulas(data: bytes, part: str) -> bool:
    """Whether the sheet's XML has a formula element at all (a scan for the tag, chunk
    by chunk; openpyxl reads the cells)."""
    tail = b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(part.lstrip("/")) as xml:
        while chunk := xml.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _xlsx_cell(cell: Any, formula: bool) -> Raw:
    value = getattr(cell, "value", None)
    kind = getattr(cell, "data_type", None)
    if value is None:
        return Formula() if formula else None
    if kind == "e":
        return ErrorValue(str(value))
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Number(value, _places(getattr(cell, "number_format", "") or ""))
    if isinstance(value, datetime | date | time):
        return value
    return str(value)


def _places(number_format: str) -> int:
    found = _PLACES.search(number_format)
    return len(found.group(1)) if found else 0


# --- cells as the schema takes them --------------------------------------------------
def value_of(column: str, raw: Raw, epoch: datetime | None) -> Any:
    """A cell as the API's JSON would carry it: text, a date, None (raises CellError)."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, Formula):
        raise CellError("a formula without a computed value: open and save the file in Excel")
    if isinstance(raw, ErrorValue):
        raise CellError(f"the cell holds an error ({raw.code[:16]})")
    if isinstance(raw, bool):
        return raw  # the schema refuses it where it is no value
    if isinstance(raw, Number):
        if column in DATE_COLUMNS:
            return _serial_date(raw.value, epoch)
        return number_text(raw.value, raw.places)
    if isinstance(raw, datetime):
        return raw.date() if raw.time() == time(0) else raw
    if isinstance(raw, date):
        return raw
    raise CellError("a time of day is no value here")


def _serial_date(value: int | float, epoch: datetime | None) -> Any:
    try:
        day = from_excel(value, epoch) if epoch is not None else from_excel(value)
    except (ValueError, OverflowError, TypeError):
        raise CellError("a number that is no date") from None
    if isinstance(day, datetime):
        return day.date() if day.time() == time(0) else day
    if isinstance(day, date):
        return day
    raise CellError("a number that is no date")


def number_text(value: int | float, places: int) -> str:
    """A number as written in plain notation, with the decimals its cell's format shows
    (85000.5 formatted 0.00 is "85000.50"), so that amounts keep their scale."""
    try:
        amount = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    except InvalidOperation:
        raise CellError("not a number") from None
    if not amount.is_finite():
        raise CellError("not a number")
    if amount == amount.to_integral_value() and places == 0:
        return str(int(amount))
    text = format(amount, "f")
    decimals = len(text.partition(".")[2])
    if decimals < places:
        text = (text if "." in text else text + ".") + "0" * (places - decimals)
    return text


def preview_text(raw: Raw) -> str | None:
    """A cell as the preview shows it: its text as read, before any check."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, Formula):
        return "(formula)"
    if isinstance(raw, ErrorValue):
        return raw.code[:16]
    if isinstance(raw, Number):
        try:
            return number_text(raw.value, raw.places)
        except CellError:
            return None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, datetime) and raw.time() == time(0):
        return raw.date().isoformat()
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    return str(raw)
