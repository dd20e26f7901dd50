"""Probes for the lists' exports (`format=csv|xlsx`): files read back with the csv module
and openpyxl, and compared cell by cell with the list the same caller gets."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from openpyxl import load_workbook

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def exported(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    file_format: str = "csv",
    **params: Any,
) -> httpx.Response:
    return await client.get(path, params={"format": file_format, **params}, headers=headers)


async def listed(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of the list (one page of 500) for this caller."""
    response = await client.get(path, params={"page_size": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    items: list[dict[str, Any]] = page["items"]
    return items


def read_csv(response: httpx.Response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_xlsx(response: httpx.Response) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and the rows' cells (openpyxl cells: value, data_type, number_format)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows()]
    header = [str(cell.value) for cell in rows[0]]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def as_csv(value: Any) -> str:
    """A list's JSON value as the CSV writes it: a list as its JSON array, text that
    looks like a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _timestamp(value: str) -> datetime | None:
    if "T" not in value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def check_cell(cell: Any, value: Any, name: str) -> None:
    """An XLSX cell holds the list's JSON value, typed: a time as a date in UTC (to the
    millisecond), a date as a date, a list as its JSON array, text as text."""
    if value is None:
        assert cell.value is None, name
    elif isinstance(value, bool | int):
        assert cell.value == value, name
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        assert (cell.value, cell.data_type) == (text, "s"), name
    elif (moment := _timestamp(value)) is not None:
        utc = moment.astimezone(UTC).replace(tzinfo=None)
        assert abs(cell.value - utc) < timedelta(milliseconds=1), name
        assert cell.number_format == "yyyy-mm-dd hh:mm:ss", name
    elif name.endswith(("_on", "_date")):
        assert cell.value.date() == date.fromisoformat(value), name
        assert cell.number_format == "yyyy-mm-dd", name
    else:
        assert (cell.value, cell.data_type) == (value, "s"), name


def check_attachment(response: httpx.Response, name: str, file_format: str) -> None:
    today = datetime.now(UTC).date()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{name}-{today:%Y%m%d}.{file_format}"'
    )
    assert response.headers["cache-control"] == "no-store"


async def assert_exports_match_list(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    columns: list[str],
    **params: Any,
) -> list[dict[str, Any]]:
    """The CSV and the XLSX export hold the list's items for this caller and these
    filters and sort, in its order: a header of the item's field names, then each item's
    values. The list is read before each file (an export adds an event to the audit log,
    which that file does not hold). Returns the items listed before the CSV."""
    items = await listed(client, path, headers, **params)
    header, rows = read_csv(await exported(client, path, headers, "csv", **params))
    assert header == columns
    assert rows == [{name: as_csv(item[name]) for name in columns} for item in items]
    again = await listed(client, path, headers, **params)
    header, cells = read_xlsx(await exported(client, path, headers, "xlsx", **params))
    assert header == columns
    assert len(cells) == len(again)
    for row, item in zip(cells, again, strict=True):
        for name in columns:
            check_cell(row[name], item[name], name)
    return items
