"""XLSX files built in memory with openpyxl's write-only workbook, never on disk.

openpyxl's write-only worksheet streams its rows into a temporary file, which its
writer then copies into the archive. An export may hold salaries, which must never
reach a disk in clear: here the worksheet streams into its own entry of the archive
(compressed as it goes) and the archive into memory. That takes two of openpyxl's
internals (the worksheet's `_writer`, and `ExcelWriter.write_worksheet`), which
tests/kit/test_xlsx.py holds to this behaviour.

Cells are written as values, never formulas: a string is a string even when it starts
with "=" (formula injection); characters XML cannot carry become U+FFFD. Excel has no
time zones: an aware datetime is written in UTC (to the millisecond, Excel's precision).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The one worksheet's part: the writer numbers worksheets from 1.
SHEET_PART = "xl/worksheets/sheet1.xml"
MAX_CELL_TEXT = 32_767  # Excel's limit for a cell's text


class _SheetAlreadyWritten(ExcelWriter):
    """openpyxl's writer, but the worksheet is in the archive already (streamed there)."""

    def write_worksheet(self, ws: Any) -> None:
        ws._rels = ws._writer._rels
        self.manifest.append(ws)


class XlsxSheet:
    """One worksheet of rows, written as they are appended; `finish()` gives the file."""

    def __init__(self, title: str) -> None:
        self._buffer = BytesIO()
        self._archive = ZipFile(self._buffer, "w", ZIP_DEFLATED, allowZip64=True)
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title)
        self._entry = self._archive.open(SHEET_PART, "w", force_zip64=True)
        # Set before the first row: the sheet would otherwise open a temporary file.
        self._sheet._writer = WorksheetWriter(self._sheet, out=self._entry)
        self._sheet._writer.write_top()

    def append(self, values: Iterable[Any]) -> None:
        self._sheet.append([self._cell(value) for value in values])

    def _cell(self, value: Any) -> Cell | None:
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            value = str(value)
        if isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)[:MAX_CELL_TEXT]
            cell = WriteOnlyCell(self._sheet, text)
            cell.data_type = "s"  # openpyxl takes a leading "=" for a formula
            return cell
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        cell = WriteOnlyCell(self._sheet, value)
        if isinstance(value, Decimal):
            # The amount's own scale, as the API writes it ("85000.50", not 85000.5).
            places = max(0, -int(value.as_tuple().exponent))
            cell.number_format = "0." + "0" * places if places else "0"
        elif isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        return cell

    def finish(self) -> bytes:
        """The whole file (the sheet takes no more rows)."""
        self._sheet.close()
        self._entry.close()
        _SheetAlreadyWritten(self._workbook, self._archive).save()  # closes the archive
        return self._buffer.getvalue()
