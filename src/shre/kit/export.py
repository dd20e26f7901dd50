"""A list as a file: `GET /<list>?format=csv|xlsx` (CONTRACT.md §4).

A service finds the matching ids in the list's order (at most EXPORT_MAX_ROWS + 1, so a
file too large is refused before anything is read: `check_size`), records its
`<domain>.export` event (target "<format>:<rows>": `export_target`), and hands back the
columns and the rows in batches (`in_batches`). The router answers with `export_response`: CSV
is streamed as each batch is written; XLSX is a zip whose directory comes last, so it
is built in memory (`shre.kit.xlsx`, never a file on disk) in a worker thread, a batch
at a time, and sent once whole.

A cell holds what the list's JSON holds: text as it is, numbers, dates and ids as the
JSON writes them, `true`/`false`, a list as its JSON array. In CSV, text a spreadsheet
would run as a formula gets a leading apostrophe; XLSX cells are typed values, never
formulas (dates and times as dates, in UTC).
"""

from __future__ import annotations

import asyncio
import csv
import enum
import io
import json
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Literal, Protocol, TypeVar

import anyio
from anyio import to_thread
from pydantic import Field
from pydantic_core import to_jsonable_python
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from shre.kit import xlsx
from shre.kit.errors import InvalidInput

T = TypeVar("T")
Row = dict[str, Any]
Batches = AsyncIterator[list[Row]]
FileFormat = Literal["csv", "xlsx"]
# A list's `format` query parameter.
FormatParam = Annotated[
    FileFormat | None,
    Field(
        description="Every matching row (not a page) as a file with a header row of field "
        "names; an audited export, at most EXPORT_MAX_ROWS rows",
    ),
]
CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
MEDIA_TYPES: Final = {"csv": CSV_MEDIA_TYPE, "xlsx": xlsx.MEDIA_TYPE}
# The list route's 200 answers: its JSON page, or one of the files.
FILE_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {media: {} for media in MEDIA_TYPES.values()}}
}
BATCH: Final = 500  # rows an export reads and writes at a time
# A spreadsheet reads a cell starting so as a formula (CSV injection, OWASP): such text
# gets a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
# Workbooks are built in worker threads, one thread at a time per event loop: CPU work
# kept off the loop, without taking every core from the requests.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def check_size(rows: int, max_rows: int) -> None:
    """422 `export_too_large` when the matches (read up to `max_rows` + 1) are too many."""
    if rows > max_rows:
        raise InvalidInput(
            f"An export holds at most {max_rows} rows: narrow it with filters",
            code="export_too_large",
        )


def export_target(file_format: str, rows: int) -> str:
    """The export event's target: the format and the number of rows ("csv:1234"; the ids
    of a file of 100,000 rows would not fit an event)."""
    return f"{file_format}:{rows}"


async def in_batches(
    ids: Sequence[Any],
    load: Callable[[Sequence[Any]], Awaitable[list[T]]],
    shape: Callable[[T], Row],
    *,
    after: Callable[[], None] | None = None,
) -> Batches:
    """The rows of `ids`, `BATCH` at a time: loaded (in that order), shaped as the list
    shows them; `after` runs once a batch is written (to let its rows go)."""
    for start in range(0, len(ids), BATCH):
        rows = await load(ids[start : start + BATCH])
        yield [shape(row) for row in rows]
        if after is not None:
            after()


def filename(name: str, file_format: str, today: date | None = None) -> str:
    day = today or datetime.now(UTC).date()
    return f"{name}-{day:%Y%m%d}.{file_format}"


F_co = TypeVar("F_co", covariant=True)
F_contra = TypeVar("F_contra", contravariant=True)
F = TypeVar("F")


class ListQuery(Protocol[F_co]):
    """What an export takes of a list's query: its sort and its filters."""

    @property
    def sort(self) -> str | None: ...

    def filters(self) -> F_co: ...


class Exporter(Protocol[F_contra]):
    """A service whose list can be exported (its `export` checks, audits and reads)."""

    async def export(
        self,
        actor: Any,
        sort: str | None,
        filters: F_contra,
        *,
        file_format: str,
        max_rows: int,
    ) -> tuple[Sequence[str], Batches]: ...


async def list_file(
    request: Request,
    name: str,
    actor: Any,
    service: Exporter[F],
    params: ListQuery[F],
    file_format: str,
) -> Response:
    """The list `name` as a file: every row the list's query matches (EXPORT_MAX_ROWS at
    the most), as `service.export` gives them to `actor`."""
    columns, batches = await service.export(
        actor,
        params.sort,
        params.filters(),
        file_format=file_format,
        max_rows=request.app.state.runtime.settings.export_max_rows,
    )
    return await export_response(name, file_format, columns, batches)


async def export_response(
    name: str, file_format: str, columns: Sequence[str], batches: Batches
) -> Response:
    """The file of list `name` ("employees": employees-20250131.csv, sheet "Employees")."""
    headers = {
        "Content-Disposition": f'attachment; filename="{filename(name, file_format)}"',
        "Cache-Control": "no-store",
    }
    if file_format == "csv":
        return StreamingResponse(
            csv_chunks(columns, batches), media_type=CSV_MEDIA_TYPE, headers=headers
        )
    content = await xlsx_file(name.capitalize(), columns, batches)
    return Response(content, media_type=xlsx.MEDIA_TYPE, headers=headers)


def _json_text(value: Any) -> str:
    return json.dumps(to_jsonable_python(value), ensure_ascii=False, separators=(",", ":"))


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple | dict):
        text = _json_text(value)
    else:
        text = str(to_jsonable_python(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


async def csv_chunks(columns: Sequence[str], batches: Batches) -> AsyncIterator[bytes]:
    """A header row of the API's field names, then one chunk per batch of rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    yield _take(out)
    async for rows in batches:
        writer.writerows([csv_text(row.get(name)) for name in columns] for row in rows)
        yield _take(out)


def _take(out: io.StringIO) -> bytes:
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text.encode()


def xlsx_value(value: Any) -> Any:
    """A value as its cell takes it (`shre.kit.xlsx` types the rest)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | dict):
        return _json_text(value)
    return value


async def xlsx_file(title: str, columns: Sequence[str], batches: Batches) -> bytes:
    sheet = xlsx.XlsxSheet(title)
    sheet.append(columns)
    limiter = _builder()
    async for rows in batches:
        cells = [[xlsx_value(row.get(name)) for name in columns] for row in rows]
        await to_thread.run_sync(_append_all, sheet, cells, limiter=limiter)
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
