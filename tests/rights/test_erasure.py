"""Erasure of a former employee on local storage and on S3 (SeaweedFS): the files of every
version gone from the backend, the record pseudonymised, the figures unchanged, the user
account ended; the access export before (everything, decrypted) and after (what is
left). Failures of a backend are test_failures.py's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import EVENT_FIELDS, verify
from tests.support.imports import csv_bytes, post_import
from tests.support.rights import (
    export,
    figures,
    former_employee,
    read_json,
    stored_keys,
    url,
)


@pytest.fixture
def settings_overrides(on_s3: dict[str, Any]) -> dict[str, Any]:
    return on_s3


async def _dump(runtime: Runtime, *tables: str) -> str:
    """Every row of the tables as text: what the database holds."""
    out = []
    async with runtime.engine.connect() as conn:
        for table in tables:
            rows = await conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed names
            out.extend(repr(tuple(row)) for row in rows)
    return "\n".join(out)


async def test_erasure_deletes_the_files_and_pseudonymises_the_record(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    storage_backend: str,
) -> None:
    person = await former_employee(client, admin, accounts)
    assert (await stored_keys(runtime, person.id))[storage_backend]
    before = await figures(client, admin.headers)

    # The access export before: the record decrypted, its history, every version, the audit.
    archive = await export(client, admin.headers, person.id)
    record = read_json(archive, "employee.json")
    employee = record["employee"]
    for name in ("first_name", "email", "ssn", "bank_account", "home_address", "phone"):
        assert employee[name] == person.values[name]
    assert employee["salary"] == person.values["raised_salary"]
    salaries = [c for c in record["history"] if c["field"] == "salary"]
    assert salaries[-1]["old_value"] == person.values["salary"]
    assert salaries[-1]["new_value"] == person.values["raised_salary"]
    assert record["user_account"]["email"] == person.user_email
    files = {n: archive.read(n) for n in archive.namelist() if n.startswith("documents/")}
    assert len(files) == 3
    for document_id, versions in person.documents.items():
        for number, content in enumerate(versions, start=1):
            [name] = [n for n in files if n.startswith(f"documents/{document_id}/v{number}-")]
            assert files[name] == content
    audit = read_json(archive, "audit.json")
    actions = {e["action"] for e in audit}
    assert {"employee.create", "document.upload", "employee.terminate", "user.create"} <= actions
    # Each event as the API shows it, its time as the chain writes it.
    assert all(set(e) == EVENT_FIELDS and e["at"].endswith("Z") for e in audit)

    response = await client.post(
        url(person.id, "/erase"),
        json={"reason": "Access and erasure request"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["state"] == "erased"
    assert done["erased_at"]
    assert done["erasure_requested_at"]
    assert done["documents_deleted"] == 2
    assert done["objects_deleted"] == 3
    assert done["legal_hold"] is None

    # Gone from the backend itself (the bucket's listing, the files on disk).
    assert await stored_keys(runtime, person.id) == {
        b: [] for b in (await stored_keys(runtime, person.id))
    }
    if storage_backend == "local":
        root = Path(runtime.settings.upload_dir)
        assert not (root / "employees" / person.id).exists()
    else:
        listing = runtime.storages.get("s3")
        assert [o async for o in listing.iter_objects("employees/")] == []
    documents = await client.get(
        "/api/v1/documents", params={"employee_id": person.id}, headers=admin.headers
    )
    assert documents.json()["total"] == 0

    # Pseudonymised; the dates, department and job title kept; the figures unchanged.
    shown = (await client.get(url(person.id), headers=admin.headers)).json()
    short = person.id.replace("-", "")
    assert shown["first_name"] == "Erased"
    assert shown["last_name"] == f"#{short[:8]}"
    assert shown["email"] == f"erased-{short}@erased.invalid"
    assert shown["employee_number"] == f"erased-{short[:24]}"
    assert shown["phone"] is None
    assert shown["location"] is None
    assert shown["salary"] is None
    assert shown["home_address"] is None
    assert shown["department_id"] == person.department_id
    assert shown["job_title"] == "Analyst"
    assert shown["hire_date"] == "2020-01-01"
    assert shown["status"] == "terminated"
    assert shown["termination_date"]
    assert datetime.fromisoformat(shown["erased_at"]) == datetime.fromisoformat(done["erased_at"])
    assert shown["erasure_reason"] == "Access and erasure request"
    assert await figures(client, admin.headers) == before

    # Nothing of the person is left in the records, the history, the users or the audit
    # log: only the salary history's ciphertext, which no key opens any more.
    held = await _dump(runtime, "employees", "employee_history", "users", "audit_events")
    for name, value in person.values.items():
        if name not in {"salary", "raised_salary", "salary_currency"}:
            assert value not in held, name

    # The user account is ended: its tokens refused, its sign-in gone.
    assert (await client.get("/api/v1/me", headers=person.user_headers)).status_code == 401
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": person.user_email, "password": "correct horse battery staple"},
    )
    assert login.status_code == 401

    # The export after: the pseudonym and dates, no documents, no sensitive value.
    after = await export(client, admin.headers, person.id)
    assert [n for n in after.namelist() if n.startswith("documents/")] == []
    left = read_json(after, "employee.json")
    assert left["employee"]["first_name"] == "Erased"
    assert left["employee"]["ssn"] is None
    assert left["documents"] == []
    assert left["user_account"]["is_active"] is False
    assert left["user_account"]["email"].endswith("@erased.invalid")
    text_after = after.read("employee.json").decode()
    for name, value in person.values.items():
        if name != "salary_currency":
            assert value not in text_after, name
    actions = [e["action"] for e in read_json(after, "audit.json")]
    assert "employee.erase" in actions
    assert "employee.access_export" in actions

    # Asking again answers the state, changing nothing.
    again = await client.post(
        url(person.id, "/erase"), json={"reason": "again"}, headers=admin.headers
    )
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "erased"
    assert again.json()["objects_deleted"] == 0
    assert again.json()["erasure_reason"] == "Access and erasure request"
    # And the record is never written again: that would bring back what was erased.
    for change in ({"phone": "+44 20 7946 0000"}, {"first_name": "Grace"}):
        refused = await client.patch(url(person.id), json=change, headers=admin.headers)
        assert_problem(refused, 409, "erased")
    assert_problem(await client.delete(url(person.id), headers=admin.headers), 409, "erased")
    assert (await client.get(url(person.id), headers=admin.headers)).json()["phone"] is None
    # Nor by an import: a row that would change the record names it, and nothing is written.
    rows = [[shown["employee_number"], "Grace"]]
    imported = await post_import(
        client, admin.headers, csv_bytes(rows, header=["employee_number", "first_name"])
    )
    refused = assert_problem(imported, 422, "import_invalid")
    assert [(e["row"], e["field"]) for e in refused["errors"]] == [(2, "row")]
    assert "erased" in refused["errors"][0]["message"]
    unchanged = [[shown["employee_number"], "Erased"]]  # the file as an export writes it
    same = await post_import(
        client, admin.headers, csv_bytes(unchanged, header=["employee_number", "first_name"])
    )
    assert same.status_code == 200, same.text
    assert same.json()["unchanged"] == 1
    assert (await verify(runtime)).ok
