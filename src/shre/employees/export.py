"""The employee list as a file: `GET /employees?format=csv|xlsx` (CONTRACT.md §4).

The rows come from `EmployeeService.export` in batches (what the caller may see, as the
list shows it). CSV is streamed as each batch is written; XLSX is a zip whose directory
comes last, so it is built in memory (`shre.kit.xlsx`, never a file on disk) in a worker
thread, a batch at a time, and sent once whole.
"""

from __future__ import annotations

import asyncio
import csv
import io
import weakref
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import anyio
from anyio import to_thread
from starlette.responses import Response, StreamingResponse

from shre.kit import xlsx

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
MEDIA_TYPES: Final = {"csv": CSV_MEDIA_TYPE, "xlsx": xlsx.MEDIA_TYPE}
# A spreadsheet reads a cell starting so as a formula (CSV injection, OWASP): such text
# gets a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Workbooks are built in worker threads, one thread at a time per event loop: CPU work
# kept off the loop, without taking every core from the requests.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def filename(file_format: str, today: date | None = None) -> str:
    day = today or datetime.now(UTC).date()
    return f"employees-{day:%Y%m%d}.{file_format}"


async def export_response(
    file_format: str, columns: Sequence[str], batches: AsyncIterator[list[dict[str, Any]]]
) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="{filename(file_format)}"',
        "Cache-Control": "no-store",
    }
    if file_format == "csv":
        return StreamingResponse(
            csv_chunks(columns, batches), media_type=CSV_MEDIA_TYPE, headers=headers
        )
    content = await xlsx_file(columns, batches)
    return Response(content, media_type=xlsx.MEDIA_TYPE, headers=headers)


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


async def csv_chunks(
    columns: Sequence[str], batches: AsyncIterator[list[dict[str, Any]]]
) -> AsyncIterator[bytes]:
    """A header row of the API's field names, then one chunk per batch of rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    yield _take(out)
    async for views in batches:
        writer.writerows([csv_text(view.get(name)) for name in columns] for view in views)
        yield _take(out)


def _take(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


async def xlsx_file(columns: Sequence[str], batches: AsyncIterator[list[dict[str, Any]]]) -> bytes:
    sheet = xlsx.XlsxSheet("Employees")
    sheet.append(columns)
    limiter = _builder()
    async for views in batches:
        rows = [[view.get(name) for name in columns] for view in views]
        await to_thread.run_sync(_append_all, sheet, rows, limiter=limiter)
    return await to_thread.run_sync(sheet.finish, limiter=limiter)


def _append_all(sheet: xlsx.XlsxSheet, rows: list[list[Any]]) -> None:
    for row in rows:
        sheet.append(row)


def _builder() -> anyio.CapacityLimiter:
    """The workbook threads' limiter of the running event loop (a limiter belongs to one)."""
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(1)
    return limiter
