"""`POST /api/v1/imports/employees`: upsert by employee number, all or nothing, every
row checked as the API checks a request; managers and departments by number and name
in any order; sensitive fields sealed as they arrive; one audited event."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events
from tests.support.employees import EMPLOYEES, EVERY_FIELD, raw_rows, sign_in
from tests.support.imports import HEADER, csv_bytes, person, post_import, xlsx_bytes

SENSITIVE_COLUMNS = ("salary", "ssn", "bank_account", "date_of_birth", "home_address")


async def everyone(client: httpx.AsyncClient, admin: Account) -> dict[str, dict[str, Any]]:
    response = await client.get(
        EMPLOYEES, params={"page_size": 500, **EVERY_FIELD}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return {e["employee_number"]: e for e in response.json()["items"]}


async def count(runtime: Runtime, table: str) -> int:
    async with runtime.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def test_creates_with_managers_after_their_reports_and_departments_by_name(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    # E00003 reports to E00002, who reports to E00001: listed bottom-up.
    rows = [person(3, "E00002"), person(2, "E00001"), person(1)]
    response = await post_import(client, admin.headers, csv_bytes(rows), create_departments=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    assert body["departments_created"] == 1
    assert body["errors"] == []
    assert body["error_count"] == 0
    assert body["preview"]["columns"] == HEADER
    assert body["preview"]["rows"][0] == person(3, "E00002")

    people = await everyone(client, admin)
    assert people["E00003"]["manager_id"] == people["E00002"]["id"]
    assert people["E00002"]["manager_id"] == people["E00001"]["id"]
    assert people["E00001"]["manager_id"] is None
    assert people["E00001"]["salary"] == "50001.50"
    assert people["E00001"]["ssn"] == "756-0001-01"
    assert people["E00001"]["home_address"] == "1 Bahnhofstrasse, Zürich"
    # The history and the headcount ledger as the API's creation writes them.
    history = await client.get(
        f"{EMPLOYEES}/{people['E00003']['id']}/history", headers=admin.headers
    )
    assert {c["field"] for c in history.json()} == {
        "job_title",
        "department_id",
        "manager_id",
        "status",
        "salary",
    }
    async with runtime.sessionmaker() as session:
        from shre.employees.headcount import HeadcountLedger

        assert await HeadcountLedger(session).differences() == {}


async def test_sealed_at_rest_and_one_audit_event_with_counts_only(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    rows = [person(1), person(2, "E00001")]
    response = await post_import(client, admin.headers, csv_bytes(rows), create_departments=True)
    assert response.status_code == 200, response.text
    stored = await raw_rows(runtime, "employees")
    history = await raw_rows(runtime, "employee_history")
    dump = repr(stored) + repr(history) + repr(await raw_rows(runtime, "audit_events"))
    for row in rows:
        for column in SENSITIVE_COLUMNS:
            assert row[HEADER.index(column)] not in dump, column
    assert all(r["dek_wrapped"] and r["ssn_index"] for r in stored)
    [event] = await events(runtime, "employee.import")
    assert event.target_id == "csv:2_created:0_updated:0_unchanged"
    assert event.outcome == "success"
    assert set(event.fields or []) == set(HEADER)
    assert not await events(runtime, "employee.create")  # one event for the file


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_upsert_counts_created_updated_unchanged(
    client: httpx.AsyncClient, admin: Account, kind: str
) -> None:
    """The file is read three times (check, new employees, stored ones): an XLSX
    workbook once, then from what its first reading kept."""
    encode, name = (csv_bytes, "p.csv") if kind == "csv" else (xlsx_bytes, "p.xlsx")
    first = [person(1), person(2, "E00001")]
    await post_import(client, admin.headers, encode(first), name, create_departments=True)
    before = await everyone(client, admin)
    changed = person(2, "E00001")
    changed[HEADER.index("salary")] = "61000.00"
    changed[HEADER.index("job_title")] = "Lead"
    again = [person(1), changed, person(3, "E00002")]
    response = await post_import(client, admin.headers, encode(again), name)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 1)
    after = await everyone(client, admin)
    assert after["E00001"] == before["E00001"]
    assert after["E00002"]["salary"] == "61000.00"
    assert after["E00002"]["job_title"] == "Lead"
    assert after["E00002"]["id"] == before["E00002"]["id"]
    history = await client.get(
        f"{EMPLOYEES}/{after['E00002']['id']}/history", headers=admin.headers
    )
    salaries = [c for c in history.json() if c["field"] == "salary"]
    assert [(c["old_value"], c["new_value"]) for c in salaries][-1] == ("50002.50", "61000.00")


async def test_effective_date_dates_a_stored_employees_changes(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """`effective_date` is when a row's changes take effect (as the API's update takes
    it); a new employee's history starts at the hire date, so a new row may not have one."""
    header = [*HEADER, "effective_date"]
    await post_import(client, admin.headers, csv_bytes([person(1)]), create_departments=True)
    raised = [*person(1), "2026-04-01"]
    raised[HEADER.index("salary")] = "52000.00"
    new = [*person(2), "2026-04-01"]
    refused = await post_import(client, admin.headers, csv_bytes([raised, new], header))
    body = assert_problem(refused, 422, "import_invalid")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "effective_date")]
    new[-1] = ""
    response = await post_import(client, admin.headers, csv_bytes([raised, new], header))
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    people = await everyone(client, admin)
    history = await client.get(
        f"{EMPLOYEES}/{people['E00001']['id']}/history", headers=admin.headers
    )
    [change] = [c for c in history.json() if c["field"] == "salary" and c["old_value"]]
    assert (change["new_value"], change["effective_date"]) == ("52000.00", "2026-04-01")
    # Only a date is one.
    raised[-1] = "April"
    wrong = await post_import(client, admin.headers, csv_bytes([raised], header))
    assert [e["field"] for e in assert_problem(wrong, 422, "import_invalid")["errors"]] == [
        "effective_date"
    ]


async def test_a_dry_run_writes_nothing(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    response = await post_import(
        client,
        admin.headers,
        csv_bytes([person(1), person(2)]),
        dry_run=True,
        create_departments=True,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert (body["created"], body["departments_created"]) == (2, 1)
    assert await count(runtime, "employees") == 0
    assert await count(runtime, "departments") == 0
    assert await count(runtime, "employee_history") == 0
    [event] = await events(runtime, "employee.import")
    assert event.target_id == "csv:dry_run:2_created:0_updated:0_unchanged"


async def test_one_bad_row_writes_nothing_and_names_row_and_field(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    rows = [person(n) for n in range(1, 6)]
    rows[3][HEADER.index("salary")] = "12,5"  # row 5 of the sheet
    response = await post_import(client, admin.headers, csv_bytes(rows), create_departments=True)
    body = assert_problem(response, 422, "import_invalid")
    assert body["error_count"] == 1
    [error] = body["errors"]
    assert (error["row"], error["field"]) == (5, "salary")
    assert "12,5" not in str(body["errors"]) + body["detail"]
    assert (body["created"], body["updated"]) == (0, 0)
    assert await count(runtime, "employees") == 0
    assert await count(runtime, "departments") == 0
    [event] = await events(runtime, "employee.import")
    assert (event.outcome, event.target_id) == ("failure", "csv:1_errors")
    # The same file as a dry run: 200, the error listed.
    dry = await post_import(
        client, admin.headers, csv_bytes(rows), dry_run=True, create_departments=True
    )
    assert dry.status_code == 200
    assert dry.json()["errors"][0]["row"] == 5


@pytest.mark.parametrize(
    ("change", "row", "field"),
    [
        ({"email": "p1@example.com"}, 3, "email"),  # the email of row 2
        ({"employee_number": "e00001"}, 3, "employee_number"),  # the number again
        ({"hire_date": "2020-13-01"}, 3, "hire_date"),
        ({"manager_employee_number": "E09999"}, 3, "manager_employee_number"),
        ({"manager_employee_number": "E00002"}, 3, "manager_employee_number"),  # self
        ({"department_name": "Nowhere"}, 3, "department_name"),
    ],
)
async def test_row_rules(
    client: httpx.AsyncClient, admin: Account, change: dict[str, str], row: int, field: str
) -> None:
    rows = [person(1, department=""), person(2, department="")]
    for name, value in change.items():
        rows[1][HEADER.index(name)] = value
    response = await post_import(client, admin.headers, csv_bytes(rows))
    body = assert_problem(response, 422, "import_invalid")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(row, field)]


async def test_cycles_are_refused_in_the_file_and_with_stored_employees(
    client: httpx.AsyncClient, admin: Account
) -> None:
    looped = [person(1, "E00003"), person(2, "E00001"), person(3, "E00002")]
    response = await post_import(client, admin.headers, csv_bytes(looped), create_departments=True)
    body = assert_problem(response, 422, "import_invalid")
    assert {e["field"] for e in body["errors"]} == {"manager_employee_number"}
    assert "cycle" in body["errors"][0]["message"]

    chain = [person(1), person(2, "E00001")]
    ok = await post_import(client, admin.headers, csv_bytes(chain), create_departments=True)
    assert ok.status_code == 200, ok.text
    # E00001 (stored, at the top) put under E00002 (stored, their report).
    header = ["employee_number", "manager_employee_number"]
    response = await post_import(client, admin.headers, csv_bytes([["E00001", "E00002"]], header))
    body = assert_problem(response, 422, "import_invalid")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "manager_employee_number")]


async def test_delimiters_and_encodings(client: httpx.AsyncClient, admin: Account) -> None:
    rows = [person(1), person(2, "E00001")]
    for n, (delimiter, encoding) in enumerate(
        [(";", "cp1252"), ("\t", "utf-16"), ("|", "utf-8-sig"), (",", "utf-8")]
    ):
        shifted = [person(10 * n + 1), person(10 * n + 2, f"E{10 * n + 1:05}")]
        content = csv_bytes(shifted, delimiter=delimiter, encoding=encoding)
        response = await post_import(client, admin.headers, content, create_departments=True)
        assert response.status_code == 200, (encoding, response.text)
        assert response.json()["created"] == 2
    people = await everyone(client, admin)
    assert people["E00001"]["home_address"] == "1 Bahnhofstrasse, Zürich"  # cp1252
    assert people["E00011"]["home_address"] == "11 Bahnhofstrasse, Zürich"  # UTF-16
    assert len(rows) == 2
    # Another code page: charset-normalizer's guess (on a few rows of names).
    names = [("Пётр", "Иванов"), ("Мария", "Смирнова"), ("Александр", "Кузнецов")]
    cyrillic = csv_bytes(
        [[f"E0900{i}", a, b, f"c{i}@example.com", "2020-01-01"] for i, (a, b) in enumerate(names)],
        HEADER[:5],
    )
    response = await post_import(client, admin.headers, cyrillic.decode().encode("cp1251"))
    assert response.status_code == 200, response.text
    assert (await everyone(client, admin))["E09000"]["first_name"] == "Пётр"


async def test_xlsx_with_5000_rows_formulas_and_serial_dates(
    client: httpx.AsyncClient, admin: Account
) -> None:
    header = ["employee_number", "first_name", "last_name", "email", "hire_date", "salary"]
    rows: list[list[Any]] = [
        [f"X{n:05}", f"F{n}", f"L{n}", f"x{n}@example.com", 43831 + n % 300, 40000 + n]
        for n in range(5000)
    ]
    rows[10][5] = "=40000+10"  # a formula: openpyxl writes it without a cached value
    content = xlsx_bytes(rows, header)
    response = await post_import(client, admin.headers, content, filename="p.xlsx", dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(12, "salary")]
    assert "formula" in body["errors"][0]["message"]
    rows[10][5] = 40010
    response = await post_import(client, admin.headers, xlsx_bytes(rows, header), filename="p.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 5000
    found = await client.get(
        EMPLOYEES, params={"q": "X00007", **EVERY_FIELD}, headers=admin.headers
    )
    [record] = found.json()["items"]
    assert record["hire_date"] == "2020-01-08"  # serial 43838
    assert record["salary"] == "40007"


async def test_file_errors(client: httpx.AsyncClient, admin: Account) -> None:
    unknown = csv_bytes([["E1", "x"]], ["employee_number", "shoe_size"])
    body = assert_problem(await post_import(client, admin.headers, unknown), 422, "unknown_column")
    assert "shoe_size" in body["detail"]
    no_header = csv_bytes([["E1"]], ["123-45-6789"])
    body = assert_problem(
        await post_import(client, admin.headers, no_header), 422, "missing_header"
    )
    assert "123-45-6789" not in body["detail"]
    broken = b"PK\x03\x04 not a workbook"
    assert_problem(await post_import(client, admin.headers, broken), 422, "unreadable_file")
    xls = b"\xd0\xcf\x11\xe0" + b"\0" * 100
    assert_problem(await post_import(client, admin.headers, xls), 422, "unreadable_file")
    missing = await client.post(
        "/api/v1/imports/employees", files={}, data={"dry_run": "true"}, headers=admin.headers
    )
    assert missing.status_code in (415, 422)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return getattr(request, "param", {})


@pytest.mark.parametrize(
    "settings_overrides", [{"import_max_rows": 3, "import_max_mb": 1}], indirect=True
)
async def test_limits(client: httpx.AsyncClient, admin: Account) -> None:
    four = csv_bytes([person(n) for n in range(4)])
    assert_problem(await post_import(client, admin.headers, four), 422, "too_many_rows")
    big = csv_bytes([person(1)]) + b"#" * (1024 * 1024)
    assert_problem(await post_import(client, admin.headers, big), 413)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.EMPLOYEE])
async def test_only_hr_and_admin(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime, role: Role
) -> None:
    headers = await sign_in(accounts, role, f"{role.value}@example.com")
    response = await post_import(client, headers, csv_bytes([person(1)]))
    assert_problem(response, 403)
    template = await client.get("/api/v1/imports/employees/template", headers=headers)
    assert_problem(template, 403)
    assert await count(runtime, "employees") == 0


async def test_hr_imports(client: httpx.AsyncClient, accounts: Accounts) -> None:
    headers = await sign_in(accounts, Role.HR, "hr@example.com")
    response = await post_import(client, headers, csv_bytes([person(1)]), create_departments=True)
    assert response.status_code == 200, response.text


def temp_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).iterdir())


async def test_no_file_reaches_the_disk(
    client: httpx.AsyncClient, admin: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real = tempfile.mkstemp

    def watched(*args: Any, **kwargs: Any) -> Any:
        made.append("mkstemp")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", watched)
    before = temp_files()
    content = xlsx_bytes([person(1), person(2, "E00001")])
    response = await post_import(
        client, admin.headers, content, filename="p.xlsx", create_departments=True
    )
    assert response.status_code == 200, response.text
    assert made == []
    assert temp_files() - before == set()


async def test_template(client: httpx.AsyncClient, admin: Account) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    response = await client.get("/api/v1/imports/employees/template", headers=admin.headers)
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.content))
    header = [c.value for c in next(workbook["Employees"].iter_rows())]
    assert "employee_number" in header
    assert "manager_employee_number" in header
    notes = {row[0]: row for row in workbook["Columns"].iter_rows(values_only=True)}
    assert "full_time" in str(notes["employment_type"][2])
    assert notes["hire_date"][1] == "yes"
    empty = await client.get(
        "/api/v1/imports/employees/template", params={"format": "csv"}, headers=admin.headers
    )
    assert empty.text.startswith("id,employee_number,")
    # The template imports as it is (no rows: nothing to do).
    back = await post_import(client, admin.headers, response.content, filename="t.xlsx")
    assert back.status_code == 200, back.text
    assert back.json()["created"] == 0
