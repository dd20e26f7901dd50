"""Document compliance, and every report as a CSV and an XLSX file (the same numbers as
its JSON, an audited export)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.analytics import build_history, build_pay
from tests.support.audit import events
from tests.support.documents import DOCS, uploaded
from tests.support.employees import create, employee_body, sign_in, url
from tests.support.exports import check_attachment, read_csv, read_xlsx

COMPLIANCE = "/api/v1/analytics/documents"


async def _employee(client: httpx.AsyncClient, admin: Account, number: str, **extra: Any) -> str:
    body = employee_body(number, f"{number.lower()}@docs.example", **extra)
    return str((await create(client, admin, body))["id"])


async def _document(
    client: httpx.AsyncClient, admin: Account, who: str, category: str, expires: date | None
) -> str:
    fields = {} if expires is None else {"expires_on": expires.isoformat()}
    doc = await uploaded(
        client, admin.headers, b"a document", category=category, employee_id=who, **fields
    )
    return str(doc["id"])


async def test_compliance_counts_expiries_and_who_misses_a_required_category(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    today = date.today()
    x = await _employee(client, admin, "C-1")
    y = await _employee(client, admin, "C-2")
    z = await _employee(client, admin, "C-3", manager_id=x)
    gone = await _employee(client, admin, "C-4")
    await _document(client, admin, x, "contract", None)
    await _document(client, admin, x, "identity", today + timedelta(days=10))
    await _document(client, admin, x, "certificate", today + timedelta(days=45))
    await _document(client, admin, x, "certificate", today + timedelta(days=200))
    await _document(client, admin, y, "contract", today - timedelta(days=5))
    deleted = await _document(client, admin, z, "identity", today + timedelta(days=80))
    response = await client.delete(f"{DOCS}/{deleted}", headers=admin.headers)
    assert response.status_code == 204
    await _document(client, admin, gone, "contract", today - timedelta(days=1))
    response = await client.patch(
        url(gone),
        json={"status": "terminated", "termination_date": "2024-01-01"},
        headers=admin.headers,
    )
    assert response.status_code == 200

    body = (await client.get(COMPLIANCE, headers=admin.headers)).json()
    assert body["as_of"] == today.isoformat()
    assert (body["expired"], body["expiring_30"], body["expiring_60"], body["expiring_90"]) == (
        1,  # y's contract (the one who left is not counted)
        1,  # x's identity, in 10 days
        2,  # and x's certificate, in 45
        2,  # z's identity (80 days) was deleted
    )
    assert body["required_categories"] == ["contract", "identity"]
    assert body["missing_by_category"] == [
        {"category": "contract", "count": 1},
        {"category": "identity", "count": 2},
    ]
    assert body["missing_total"] == 3
    assert [(m["employee_number"], m["category"]) for m in body["missing"]] == [
        ("C-3", "contract"),
        ("C-2", "identity"),
        ("C-3", "identity"),
    ]
    limited = (await client.get(COMPLIANCE, params={"limit": 2}, headers=admin.headers)).json()
    # The first category's in full, then the next's up to the limit.
    assert [(m["employee_number"], m["category"]) for m in limited["missing"]] == [
        ("C-3", "contract"),
        ("C-2", "identity"),
    ]
    assert limited["missing_total"] == 3

    # A manager sees their reporting line: x and z.
    manager = await sign_in(accounts, Role.MANAGER, "x@docs.example", x)
    mine = (await client.get(COMPLIANCE, headers=manager)).json()
    assert [(m["employee_number"], m["category"]) for m in mine["missing"]] == [
        ("C-3", "contract"),
        ("C-3", "identity"),
    ]
    assert mine["expired"] == 0
    assert mine["expiring_60"] == 2

    # An upload is seen at once (the cached figures follow the documents).
    await _document(client, admin, z, "contract", None)
    again = (await client.get(COMPLIANCE, headers=admin.headers)).json()
    assert again["missing_total"] == 2


@pytest.mark.parametrize(
    "settings_overrides",
    [{"required_document_categories": "contract,medical"}],
)
async def test_the_required_categories_come_from_the_settings(
    client: httpx.AsyncClient, admin: Account
) -> None:
    person = await _employee(client, admin, "R-1")
    await _document(client, admin, person, "identity", None)
    body = (await client.get(COMPLIANCE, headers=admin.headers)).json()
    assert body["required_categories"] == ["contract", "medical"]
    assert body["missing_total"] == 2


REPORTS = {
    "headcount": ({"from": "2024-12", "to": "2025-06"}, "series"),
    "turnover": ({"from": "2025-01", "to": "2025-06"}, "series"),
    "tenure": ({}, "buckets"),
    "salary-bands": ({"group_by": "department"}, "bands"),
    "documents": ({}, "missing"),
}


@pytest.mark.parametrize("report", sorted(REPORTS))
async def test_every_report_exports_the_same_numbers_as_csv_and_xlsx(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, report: str
) -> None:
    await (build_pay if report == "salary-bands" else build_history)(client, admin)
    params, rows_key = REPORTS[report]
    path = f"/api/v1/analytics/{report}"
    shown = (await client.get(path, params=params, headers=admin.headers)).json()
    expected = shown[rows_key]
    assert expected
    for file_format in ("csv", "xlsx"):
        response = await client.get(
            path, params={**params, "format": file_format}, headers=admin.headers
        )
        check_attachment(response, report, file_format)
        header, rows = read_csv(response) if file_format == "csv" else read_xlsx(response)
        if report == "turnover":
            trailing = rows.pop()
            value = trailing["rate"] if file_format == "csv" else trailing["rate"].value
            assert float(value) == shown["rate_12m"]
        assert len(rows) == len(expected)
        for row, item in zip(rows, expected, strict=True):
            for name in header:
                cell = row[name] if file_format == "csv" else row[name].value
                want = item.get(name)
                if want is None:
                    assert cell in ("", None), (name, cell)
                elif isinstance(want, (int, float)) and not isinstance(want, bool):
                    assert float(cell) == float(want), (name, cell, want)
                else:
                    assert str(cell) == str(want), (name, cell, want)
    exported = await events(runtime, "analytics.export")
    assert [e.target_id for e in exported] == [
        f"{report}:csv:{len(expected) + (report == 'turnover')}",
        f"{report}:xlsx:{len(expected) + (report == 'turnover')}",
    ]
    if report == "salary-bands":
        assert {"salary", "salary_currency"} <= set(exported[0].fields)


async def test_an_employee_cannot_export_a_report(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    employee = await sign_in(accounts, Role.EMPLOYEE, "e@files.example")
    for report in REPORTS:
        response = await client.get(
            f"/api/v1/analytics/{report}", params={"format": "csv"}, headers=employee
        )
        assert response.status_code == 403
    assert await events(runtime, "analytics.export") == []
