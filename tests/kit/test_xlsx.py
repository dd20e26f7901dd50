"""XLSX files built in memory: openpyxl's write-only sheet never opens a temporary file
(an export may hold salaries), and what it writes reads back as written."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet import _writer

from shre.kit.xlsx import XlsxSheet


def test_a_sheet_is_built_without_a_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_disk(*_: Any, **__: Any) -> str:
        raise AssertionError("openpyxl opened a temporary file")

    monkeypatch.setattr(_writer, "create_temporary_file", no_disk)
    someone = uuid.uuid4()
    sheet = XlsxSheet("People")
    sheet.append(["id", "name", "salary", "born", "note"])
    rows = [
        [someone, "=1+2", Decimal("85000.50"), date(1990, 12, 10), None],
        [someone, "Zoë\x07", Decimal("7"), None, "x" * 40_000],
    ]
    for row in rows * 1000:  # more than openpyxl would keep in memory before writing
        sheet.append(row)
    book = load_workbook(io.BytesIO(sheet.finish()))
    ws = book["People"]
    values = list(ws.iter_rows(min_row=2, max_row=3))
    first, second = values
    assert [c.value for c in first[:2]] == [str(someone), "=1+2"]
    assert first[1].data_type == "s"  # text, not a formula
    assert (first[2].value, first[2].number_format) == (85000.5, "0.00")
    assert (first[3].value.date(), first[3].number_format) == (date(1990, 12, 10), "yyyy-mm-dd")
    assert first[4].value is None
    assert second[1].value == "Zoë\ufffd"  # no control character reaches the XML
    assert (second[2].value, second[2].number_format) == (7, "0")
    assert len(second[4].value) == 32_767  # a cell's text is cut at Excel's limit
    assert ws.max_row == 2001


def test_times_are_written_in_utc_without_a_zone() -> None:
    # Excel has no time zones (openpyxl refuses an aware datetime): the cell holds UTC.
    at = datetime(2026, 1, 1, 13, 30, 5, 250_000, tzinfo=ZoneInfo("Europe/Zurich"))
    sheet = XlsxSheet("Log")
    sheet.append([at, datetime(2026, 1, 2, 8, 0), True])
    ws = load_workbook(io.BytesIO(sheet.finish()))["Log"]
    aware, naive, flag = next(ws.iter_rows())
    assert (aware.value, aware.number_format) == (
        datetime(2026, 1, 1, 12, 30, 5, 250_000),
        "yyyy-mm-dd hh:mm:ss",
    )
    assert naive.value == datetime(2026, 1, 2, 8, 0)
    assert (flag.value, flag.data_type) == (True, "b")
