"""Bulk import probes: files built in memory (CSV in any encoding and delimiter, XLSX
with openpyxl) and posted to `POST /api/v1/imports/employees`."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import httpx
from openpyxl import Workbook

IMPORTS = "/api/v1/imports/employees"
TEMPLATE = "/api/v1/imports/employees/template"
HEADER = [
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "hire_date",
    "job_title",
    "department_name",
    "manager_employee_number",
    "salary",
    "salary_currency",
    "ssn",
    "bank_account",
    "date_of_birth",
    "home_address",
]


def person(n: int, manager: str = "", department: str = "Engineering") -> list[str]:
    """A valid row of HEADER for person `n` (distinct sensitive values per person)."""
    return [
        f"E{n:05}",
        f"First{n}",
        f"Last{n}",
        f"p{n}@example.com",
        "2020-01-15",
        "Engineer",
        department,
        manager,
        f"{50000 + n}.50",
        "EUR",
        f"756-{n:04}-{n % 97:02}",
        f"CH93 0076 2011 6238 {n:04}",
        "1990-04-01",
        f"{n} Bahnhofstrasse, Zürich",
    ]


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str] = HEADER,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def post_import(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    filename: str = "people.csv",
    **flags: bool,
) -> httpx.Response:
    data = {name: "true" if value else "false" for name, value in flags.items()}
    return await client.post(
        IMPORTS, files={"file": (filename, content)}, data=data, headers=headers
    )
