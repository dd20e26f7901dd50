"""`GET /employees?format=csv|xlsx`: every matching row (the list's filters, sort and
`fields`) as a file, read back here with the csv module and openpyxl; each role gets
what it may list; cells that a spreadsheet would run as formulas are text; one audited
`employee.export` event per file; rows read and written in batches; a row limit."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from shre.api.runtime import Runtime
from shre.employees import service as employee_service
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, events, new_events
from tests.support.database import statements_sent
from tests.support.employee_fields import DIRECTORY, EMPLOYMENT
from tests.support.employees import EMPLOYEES, create, employee_body
from tests.support.org import PEOPLE, build_org

EXPORT = "employee.export"
SALARY = {"salary", "salary_currency"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The order in which the API lists an employee's fields (and an export its columns).
ORDER = [
    "id",
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "department_id",
    "manager_id",
    "location",
    "employment_type",
    "status",
    "hire_date",
    "termination_date",
    "termination_reason",
    "salary",
    "salary_currency",
    "ssn",
    "bank_account",
    "date_of_birth",
    "home_address",
]


def read_csv(response: httpx.Response) -> tuple[list[str], list[dict[str, str]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def read_xlsx(response: httpx.Response) -> tuple[list[str], list[dict[str, Any]]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows()]
    header = [str(cell.value) for cell in rows[0]]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def as_csv(value: Any) -> str:
    """A list value as the CSV writes it (text that looks like a formula gets a ')."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(EMPLOYEES, params={"page_size": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def exported(
    client: httpx.AsyncClient, headers: dict[str, str], file_format: str = "csv", **params: Any
) -> httpx.Response:
    return await client.get(EMPLOYEES, params={"format": file_format, **params}, headers=headers)


# The columns each caller's export has (by default, and naming salary): the fields it may
# see of some record (anyone's, its own, a report's), among those the list shows.
COLUMNS = {
    "admin": DIRECTORY | EMPLOYMENT,
    "hr": DIRECTORY | EMPLOYMENT,
    "manager": DIRECTORY | EMPLOYMENT,
    "employee": DIRECTORY | EMPLOYMENT,  # of their own record
    "manager without record": DIRECTORY | EMPLOYMENT,  # of their reports (none here)
    "employee without record": DIRECTORY,
}


async def test_each_role_exports_what_it_may_list_as_csv(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    for caller, headers in org.callers.items():
        for fields, extra in (
            ("", set()),
            ("salary,salary_currency", {"salary", "salary_currency"}),
        ):
            params = {"fields": fields} if fields else {}
            response = await exported(client, headers, **params)
            header, rows = read_csv(response)
            sees_salary = caller in {"admin", "hr", "manager", "employee"}
            expected = COLUMNS[caller] | (extra if sees_salary else set())
            assert header == [name for name in ORDER if name in expected], (caller, fields)
            # The same rows, in the same order, as the list: each cell as the list has it,
            # empty where the list leaves the field out.
            items = await listed(client, headers, **params)
            assert [row["id"] for row in rows] == [item["id"] for item in items]
            for row, item in zip(rows, items, strict=True):
                assert row == {name: as_csv(item.get(name)) for name in header}, caller
            by_name = {org.name_of(row["id"]): row for row in rows}
            assert set(by_name) == set(PEOPLE)
    hr = org.callers["hr"]
    _, rows = read_csv(await exported(client, hr, fields="salary,salary_currency"))
    salaries = {org.name_of(row["id"]): row["salary"] for row in rows}
    assert salaries == {name: org.people[name]["salary"] for name in PEOPLE}
    # An employee sees their own salary and no one else's.
    _, rows = read_csv(await exported(client, org.callers["employee"], fields="salary"))
    assert {org.name_of(r["id"]): r["salary"] for r in rows if r["salary"]} == {
        "R2": org.people["R2"]["salary"]
    }
    assert all(r["status"] == "" for r in rows if org.name_of(r["id"]) != "R2")


async def test_xlsx_holds_the_same_rows_with_typed_cells(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    hr = org.callers["hr"]
    response = await exported(client, hr, "xlsx", fields="salary,date_of_birth", sort="-hire_date")
    header, rows = read_xlsx(response)
    expected = DIRECTORY | EMPLOYMENT | {"salary", "date_of_birth"}
    assert header == [name for name in ORDER if name in expected]
    items = await listed(client, hr, fields="salary,date_of_birth", sort="-hire_date")
    assert [row["id"].value for row in rows] == [item["id"] for item in items]
    for row, item in zip(rows, items, strict=True):
        for name in header:
            cell, value = row[name], item.get(name)
            if value is None:
                assert cell.value is None, name
            elif name in {"hire_date", "date_of_birth", "termination_date"}:
                assert cell.value.date() == date.fromisoformat(value), name
                assert cell.number_format == "yyyy-mm-dd"
            elif name == "salary":
                assert Decimal(str(cell.value)) == Decimal(value)
                assert cell.number_format == "0.00"  # the scale entered ("27231.25")
            else:
                assert (cell.value, cell.data_type) == (value, "s"), name
    # Someone who may not see a field gets no column, or an empty cell, for it.
    header, rows = read_xlsx(await exported(client, org.callers["employee"], "xlsx"))
    assert "salary" not in header
    assert {org.name_of(r["id"].value) for r in rows if r["status"].value} == {"R2"}


async def test_filters_and_sort_apply_and_the_response_is_an_attachment(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    hr = org.callers["hr"]
    for params in (
        {"status": "active", "sort": "-hire_date"},
        {"department_id": org.departments["A"], "sort": "employee_number"},
        {"q": "lastr", "sort": "-last_name"},
        {"manager_id": org.id("T")},
        {"ssn": org.people["R1"]["ssn"]},
        {"status": "terminated"},
    ):
        header, rows = read_csv(await exported(client, hr, **params))
        items = await listed(client, hr, **params)
        assert [r["id"] for r in rows] == [i["id"] for i in items], params
        assert header[0] == "id"
    for file_format in ("csv", "xlsx"):
        response = await exported(client, hr, file_format)
        today = datetime.now(UTC).date()
        assert response.headers["content-disposition"] == (
            f'attachment; filename="employees-{today:%Y%m%d}.{file_format}"'
        )
        assert response.headers["cache-control"] == "no-store"
    for bad in ({"format": "pdf"}, {"format": "CSV"}, {"format": "csv", "fields": "nope"}):
        problem = assert_problem(await client.get(EMPLOYEES, params=bad, headers=hr), 422)
        assert [e["field"] for e in problem["errors"]] == [
            next(iter(bad.keys() - {"format"}), "format")
        ]
    assert_problem(await exported(client, org.callers["employee"], ssn="1"), 403, "hr_only")
    assert_problem(await exported(client, {}), 401)


async def test_text_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, admin: Account
) -> None:
    risky = {
        "first_name": '=HYPERLINK("http://x")',
        "last_name": "@SUM(A1:A9)",
        "job_title": "-2+3",
        "location": "+cmd|' /C calc'!A0",
        "phone": "+41 44 000 00 01",
        "termination_reason": "\t=1+1",
    }
    await create(client, admin, employee_body("E1", "risky@example.com", **risky))
    _, [row] = read_csv(await exported(client, admin.headers))
    for name, value in risky.items():
        assert row[name] == "'" + value, name
    _, [cells] = read_xlsx(await exported(client, admin.headers, "xlsx"))
    for name, value in risky.items():
        assert (cells[name].value, cells[name].data_type) == (value, "s"), name


async def test_one_audited_event_per_export_naming_columns_format_and_count(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    org = await build_org(client, admin, accounts)
    before = await counts(runtime)
    header, _ = read_csv(await exported(client, org.callers["hr"], fields="salary"))
    read_xlsx(await exported(client, org.callers["employee without record"], "xlsx", q="lastr"))
    # An export is audited whatever it holds (directory fields only, too), and is the
    # only event: the file's salaries are in its fields, not in a second read event.
    assert await new_events(runtime, before) == Counter({EXPORT: 2})
    by_hr, by_staff = (await events(runtime, EXPORT))[-2:]
    assert (by_hr.actor_role, by_hr.target_type, by_hr.target_id) == ("hr", "employee", "csv:5")
    assert sorted(by_hr.fields) == sorted(header)
    assert "salary" in by_hr.fields
    assert by_hr.target_ids == []
    assert (by_staff.actor_role, by_staff.target_id) == ("employee", "xlsx:2")  # LastR1, 2
    assert set(by_staff.fields) == DIRECTORY


async def asgi_get(
    app: FastAPI, path: str, query: bytes, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """The ASGI messages the app sends for a GET (httpx's transport joins the body's)."""
    messages: list[dict[str, Any]] = []

    requested = False
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if requested:  # the client stays: wait until the app stops listening
            await never.wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    return messages


async def test_rows_are_read_and_sent_in_batches(
    app: FastAPI,
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = await build_org(client, admin, accounts)
    monkeypatch.setattr(employee_service, "EXPORT_BATCH", 2)
    hr = org.callers["hr"]
    query = b"format=csv&fields=ssn"
    with statements_sent(runtime) as sent:
        messages = await asgi_get(app, EMPLOYEES, query, hr)
    # The header, then one body message per batch (2 + 2 + 1 rows), as each is written.
    chunks = [m["body"] for m in messages if m["type"] == "http.response.body"]
    assert [chunk.count(b"\r\n") for chunk in chunks if chunk] == [1, 2, 2, 1]
    loads = [s for s in sent if re.search(r"FROM employees\s+WHERE employees.id IN", s)]
    assert len(loads) == 3, sent
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert {org.name_of(r["id"]): r["ssn"] for r in rows} == {
        name: org.people[name]["ssn"] for name in PEOPLE
    }


class TestRowLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"export_max_rows": 3}

    async def test_more_rows_than_the_limit_is_422_and_no_file(
        self, client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
    ) -> None:
        org = await build_org(client, admin, accounts)
        before = await counts(runtime)
        for file_format in ("csv", "xlsx"):
            problem = assert_problem(
                await exported(client, org.callers["hr"], file_format), 422, "export_too_large"
            )
            assert "3" in problem["detail"]
        assert await new_events(runtime, before) == Counter()  # nothing was exported
        # Narrowed by a filter, it fits.
        _, rows = read_csv(await exported(client, org.callers["hr"], manager_id=org.id("T")))
        assert {org.name_of(r["id"]) for r in rows} == {"M", "O"}
