"""`shre export employees` and `shre import employees`: a round trip through a file
into an empty database gives the same records (sensitive fields, managers, departments
and ids included); the import's dry run and refusals as the API's."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from shre.api.runtime import Runtime
from shre.employees.cache import ALL_NAMESPACES
from shre.employees.headcount import HeadcountLedger as Ledger
from shre.settings import Settings
from tests.support.accounts import Account
from tests.support.audit import events
from tests.support.cli import command_env, invoke
from tests.support.employees import (
    EMPLOYEES,
    EVERY_FIELD,
    create,
    create_department,
    employee_body,
    execute,
    sensitive_values,
)
from tests.support.imports import csv_bytes, person

NAMES = ("T", "M", "R1", "R2", "O")
MANAGERS = {"T": None, "M": "T", "R1": "M", "R2": "R1", "O": "T"}


async def organisation(client: httpx.AsyncClient, admin: Account) -> None:
    departments = {
        "A": await create_department(client, admin, "Engineering"),
        "B": await create_department(client, admin, "Sales & Ops"),
    }
    ids: dict[str, str] = {}
    for n, name in enumerate(NAMES, start=1):
        manager = MANAGERS[name]
        extra: dict[str, Any] = {}
        if name == "R2":
            extra = {"status": "terminated", "termination_date": "2024-05-31"}
        body = employee_body(
            f"E-{name}",
            f"{name.lower()}@example.com",
            first_name=f"First{name}",
            last_name=f"=Last{name}",  # text a spreadsheet would run as a formula
            phone=f"+41 44 000 00 0{n}",
            job_title=f"Title {name}",
            location=None if name == "O" else f"Office {name}",
            department_id=departments["B" if name == "O" else "A"],
            manager_id=None if manager is None else ids[manager],
            employment_type="part_time" if name == "O" else "full_time",
            hire_date=f"201{n}-0{n}-1{n}",
            termination_reason=f"- note {name}",
            **extra,
            **sensitive_values(n),
        )
        if name == "O":
            body["salary"] = "85000.50"
        ids[name] = (await create(client, admin, body))["id"]


async def no_employees(runtime: Runtime) -> None:
    """Every employee and department gone (accounts and the audit log stay)."""
    for sql in (
        "DELETE FROM employee_history",
        "DELETE FROM headcount_events",
        "DELETE FROM pay_cells",
        "UPDATE employees SET manager_id = NULL",
        "DELETE FROM employees",
        "DELETE FROM departments",
    ):
        await execute(runtime, sql)
    await runtime.cache.invalidate(*ALL_NAMESPACES)


async def records(client: httpx.AsyncClient, admin: Account) -> dict[str, dict[str, Any]]:
    """Every record, every field, with its department's name in place of its id."""
    response = await client.get(
        EMPLOYEES, params={"page_size": 500, **EVERY_FIELD}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    departments = await client.get("/api/v1/departments", headers=admin.headers)
    names = {d["id"]: d["name"] for d in departments.json()["items"]}
    out = {}
    for record in response.json()["items"]:
        record["department_id"] = names.get(record["department_id"])
        out[record["employee_number"]] = record
    return out


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
async def test_round_trip_into_an_empty_database(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_format: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    environment = command_env(settings, tmp_path / "var")
    await organisation(client, admin)
    before = await records(client, admin)
    assert len(before) == 5
    path = tmp_path / f"people.{file_format}"
    exported = await invoke(
        environment, "export", "employees", "--format", file_format, "--output", str(path)
    )
    assert exported.exit_code == 0, exported.output
    assert path.stat().st_mode & 0o077 == 0  # the operator's alone
    [event] = await events(runtime, "employee.export")
    assert (event.actor_role, event.target_id) == ("system", f"{file_format}:5")

    await no_employees(runtime)
    imported = await invoke(environment, "import", "employees", str(path), "--create-departments")
    assert imported.exit_code == 0, imported.output
    assert "5 employees were created" in imported.output
    assert await records(client, admin) == before
    [event] = await events(runtime, "employee.import")
    assert event.actor_role == "system"
    async with runtime.sessionmaker() as session:
        assert await Ledger(session).differences() == {}
    assert event.target_id == f"{file_format}:5_created:0_updated:0_unchanged"

    # The same file again changes nothing.
    again = await invoke(environment, "import", "employees", str(path))
    assert again.exit_code == 0, again.output
    assert "0 employees were created, 0 updated, 5 unchanged" in again.output


async def test_csv_export_to_standard_output(
    client: httpx.AsyncClient,
    admin: Account,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    await organisation(client, admin)
    result = await invoke(command_env(settings, tmp_path / "var"), "export", "employees")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["employee_number"] for r in rows] == ["E-M", "E-O", "E-R1", "E-R2", "E-T"]
    by_number = {r["employee_number"]: r for r in rows}
    assert by_number["E-M"]["manager_employee_number"] == "E-T"
    assert by_number["E-O"]["department_name"] == "Sales & Ops"
    assert by_number["E-O"]["salary"] == "85000.50"
    assert by_number["E-T"]["last_name"] == "'=LastT"  # no formula for a spreadsheet
    xlsx = await invoke(
        command_env(settings, tmp_path / "var"), "export", "employees", "--format", "xlsx"
    )
    assert xlsx.exit_code == 2  # needs --output
    assert load_workbook  # the XLSX round trip above reads it back through the import


async def test_import_dry_run_and_refusals(
    client: httpx.AsyncClient,
    admin: Account,
    runtime: Runtime,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    environment = command_env(settings, tmp_path / "var")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([person(1), person(2, "E00001")]))
    dry = await invoke(
        environment, "import", "employees", str(good), "--dry-run", "--create-departments"
    )
    assert dry.exit_code == 0, dry.output
    assert "2 employees would be created" in dry.output
    bad_rows = [person(1), person(2, "E00001")]
    bad_rows[1][4] = "yesterday"  # hire_date
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(bad_rows))
    refused = await invoke(environment, "import", "employees", str(bad), "--create-departments")
    assert refused.exit_code == 1
    assert "row 3, hire_date:" in refused.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(b"employee_number,shoe_size\nE1,44\n")
    unknown_result = await invoke(environment, "import", "employees", str(unknown))
    assert unknown_result.exit_code == 1
    assert "shoe_size" in unknown_result.output
    response = await client.get(EMPLOYEES, headers=admin.headers)
    assert response.json()["total"] == 0
    assert len(await events(runtime, "employee.import")) == 2  # the dry run, the refusal
