"""Reading a file twice (`Sheet.again`): a CSV file is parsed again; an XLSX workbook is
read once, and its second reading gives what the first one did, from the text it kept."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import Workbook

from shre.imports import reading
from shre.imports.reading import Formula, Number, Sheet, open_sheet, value_of
from tests.support.imports import csv_bytes

HEADER = ["employee_number", "first_name", "job_title", "hire_date", "salary", "phone"]


def workbook(rows: list[list[Any]], *, epoch_1904: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if epoch_1904:
        book.epoch = datetime(1904, 1, 1)
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet["E2"].number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def values(sheet: Sheet) -> list[tuple[int, list[Any]]]:
    """Each row's cells as the schema takes them (a date as its ISO text, which the
    schema reads as the same date)."""
    return [
        (
            number,
            [
                _iso(None if column is None else value_of(column, raw, sheet.epoch))
                for column, raw in zip(sheet.columns, cells, strict=False)
            ],
        )
        for number, cells in sheet.rows
    ]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


TRICKY: list[list[Any]] = [
    ["E1", 'Anne "Nan", the 1st', "Line one\nline two", date(2020, 1, 15), 85000.5, 41446000],
    ["E2", "'=not a formula", "  padded  ", 43839, 61000, "+41 44 000"],
    [],  # a blank row: kept as one
    ["E4", "Zoë, Ørsted; 日本", None, datetime(2021, 3, 1), "70000.25", None],
]


def test_xlsx_second_reading_is_the_first_from_its_kept_text() -> None:
    first = open_sheet(workbook(TRICKY))
    read_first = values(first)
    again = first.again()
    assert values(again) == read_first
    assert read_first[0][1][3:] == ["2020-01-15", "85000.50", "41446000"]
    assert read_first[1][1][1:4] == ["'=not a formula", "  padded  ", "2020-01-09"]
    assert [number for number, _ in read_first] == [2, 3, 4, 5]
    assert values(again.again()) == read_first  # and a third time (stored employees)
    _, cells = next(first.again().rows)
    assert cells[4] == "85000.50"  # the kept text, not the workbook's number


def test_xlsx_1904_dates_are_kept_as_dates() -> None:
    first = open_sheet(workbook([["E1", "A", "B", 43839, 1, 2]], epoch_1904=True))
    read_first = values(first)
    assert read_first[0][1][3] == (date(1904, 1, 1) + timedelta(43839)).isoformat()
    assert values(first.again()) == read_first


def test_xlsx_read_again_when_a_cell_had_no_value() -> None:
    """A formula without a computed value keeps no text: the workbook is read again,
    and says so again (the check refused it; nothing is written)."""
    first = open_sheet(workbook([["E1", "A", "B", "2020-01-01", "=1+1", 2]]))
    list(first.rows)
    [(_, cells)] = list(first.again().rows)
    assert isinstance(cells[4], Formula)


def test_xlsx_read_again_when_its_text_is_over_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook stores a repeated text once, its replay once per cell: past the limit
    the replay lets its text go and the workbook is read again (slower, still right)."""
    rows = [[f"E{n}", "A" * 100, "B", "2020-01-01", 1, 2] for n in range(1, 200)]
    monkeypatch.setattr(reading, "REPLAY_MAX_BYTES", 4096)
    first = open_sheet(workbook(rows))
    read_first = values(first)
    assert values(first.again()) == read_first
    _, cells = next(first.again().rows)
    assert isinstance(cells[4], Number)  # as the workbook holds it, not kept text


def test_xlsx_read_again_before_the_first_reading_ended() -> None:
    first = open_sheet(workbook(TRICKY))
    next(first.rows)
    assert values(first.again()) == values(open_sheet(workbook(TRICKY)))


def test_csv_is_parsed_again() -> None:
    data = csv_bytes([["E1", "A", "B", "2020-01-01", "1.50", ""]], HEADER, delimiter=";")
    first = open_sheet(data)
    read_first = values(first)
    assert read_first == [(2, ["E1", "A", "B", "2020-01-01", "1.50", None])]
    assert values(first.again()) == read_first
