"""`GET /audit?format=csv|xlsx`: every event the list would show (its filters and sort,
not a page) as a file, administrators only; exporting the log is itself one audited
`audit.export` event per file (which that file does not hold); a row limit; text a
spreadsheet would run written as text."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.audit.chain import SHOWN_COLUMNS
from shre.auditing.schemas import AuditEventOut
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import AUDIT, EVENT_COLUMNS, clock, counts, events, new_events, write
from tests.support.exports import (
    assert_exports_match_list,
    check_attachment,
    exported,
    read_csv,
    read_xlsx,
)

EXPORT = "audit.export"
COLUMNS = list(EVENT_COLUMNS)
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
COVERED = [uuid.UUID(int=1), uuid.UUID(int=2)]


@pytest.fixture
async def log(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """Events of three days besides the admin's creation and sign-in."""
    with clock(monkeypatch, T0):
        await write(
            runtime,
            2,
            "employee.read_sensitive",
            target_type="employee",
            target_id="e-1",
            fields=["salary", "ssn"],
        )
    with clock(monkeypatch, T0 + timedelta(days=1)):
        await write(runtime, 1, "employee.list", target_type="employee", target_ids=COVERED)
    with clock(monkeypatch, T0 + timedelta(days=2)):
        await write(runtime, 3, "keys.rotate", target_type="master_key", target_id="ab12cd34")


async def test_the_files_hold_the_list_with_its_filters_and_sort(
    client: httpx.AsyncClient, admin: Account, log: None
) -> None:
    for params in (
        {"action": "employee.*"},
        {"target_type": "employee", "sort": "seq"},
        {"target_id": str(COVERED[1])},
        {"since": (T0 + timedelta(days=1)).isoformat(), "action": "keys.rotate"},
        {"actor_id": str(admin.id), "sort": "action"},
        {"action": "nothing.here"},
    ):
        items = await assert_exports_match_list(client, AUDIT, admin.headers, COLUMNS, **params)
        assert (items == []) == ("nothing.here" in params.values()), params
    _, rows = read_csv(await exported(client, AUDIT, admin.headers, action="employee.*"))
    assert [r["action"] for r in rows] == ["employee.list"] + ["employee.read_sensitive"] * 2
    assert rows[0]["target_ids"] == f'["{COVERED[0]}","{COVERED[1]}"]'
    assert rows[1]["fields"] == '["salary","ssn"]'
    assert rows[1]["at"] == "2026-01-01T12:00:00Z"
    _, cells = read_xlsx(await exported(client, AUDIT, admin.headers, "xlsx", action="keys.*"))
    assert {c["at"].value for c in cells} == {datetime(2026, 1, 3, 12, 0)}  # UTC
    for file_format in ("csv", "xlsx"):
        response = await exported(client, AUDIT, admin.headers, file_format, page_size=1)
        check_attachment(response, "audit", file_format)
    _, rows = read_csv(await exported(client, AUDIT, admin.headers, target_type="employee"))
    assert len(rows) == 3  # not a page


async def test_exporting_the_log_is_audited_and_not_in_its_own_file(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime, log: None
) -> None:
    before = await counts(runtime)
    listed = await assert_exports_match_list(client, AUDIT, admin.headers, COLUMNS)
    assert EXPORT not in {item["action"] for item in listed}
    assert await new_events(runtime, before) == Counter({EXPORT: 2})
    as_csv, as_xlsx = (await events(runtime, EXPORT))[-2:]
    assert (as_csv.actor_id, as_csv.actor_role) == (admin.id, "admin")
    assert (as_csv.target_type, as_csv.target_id) == ("audit_event", f"csv:{len(listed)}")
    assert sorted(as_csv.fields) == sorted(COLUMNS)
    # The second file holds the first export's event; the first does not hold its own.
    assert as_xlsx.target_id == f"xlsx:{len(listed) + 1}"
    _, rows = read_csv(await exported(client, AUDIT, admin.headers, action=EXPORT))
    assert [r["target_id"] for r in rows] == [as_xlsx.target_id, as_csv.target_id]


@pytest.mark.parametrize("role", [Role.HR, Role.MANAGER, Role.EMPLOYEE])
async def test_only_admins_export_the_log(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime, role: Role
) -> None:
    caller = await accounts.signed_in(role)
    before = await counts(runtime)
    listing = assert_problem(await client.get(AUDIT, headers=caller.headers), 403, "admin_only")
    for file_format in ("csv", "xlsx"):
        response = await exported(client, AUDIT, caller.headers, file_format)
        assert assert_problem(response, 403, "admin_only") == listing
    assert await new_events(runtime, before) == Counter()
    assert_problem(await exported(client, AUDIT, {}), 401)


async def test_bad_queries_are_refused_as_the_list_does(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for params in (
        {"sort": "client_ip"},
        {"action": "auth.%"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        {"format": "json"},
    ):
        listing = await client.get(AUDIT, params=params, headers=admin.headers)
        response = await exported(client, AUDIT, admin.headers, **params)
        if "format" not in params:
            assert assert_problem(response, 422) == assert_problem(listing, 422)
        else:
            assert_problem(listing, 422)


async def test_text_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, accounts: Accounts, admin: Account, runtime: Runtime
) -> None:
    # What a client writes into the log is an id of A-Z a-z 0-9 . _ : - (no "=", "+" or
    # "@"), but it may start with "-": a request id, here, and a target's id.
    email = "late@example.com"
    await accounts.create(Role.EMPLOYEE, email)
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong password"},
        headers={"X-Request-ID": "-2-cmd:calc"},
    )
    assert_problem(response, 401)
    await write(runtime, 1, "test.risky", target_id="-1:A1")
    _, rows = read_csv(await exported(client, AUDIT, admin.headers, sort="seq"))
    failed, risky = rows[-2:]
    assert (failed["action"], failed["request_id"]) == ("auth.login_failed", "'-2-cmd:calc")
    assert (risky["action"], risky["target_id"]) == ("test.risky", "'-1:A1")
    _, cells = read_xlsx(await exported(client, AUDIT, admin.headers, "xlsx"))
    by_action = {row["action"].value: row for row in cells}
    request_id = by_action["auth.login_failed"]["request_id"]
    assert (request_id.value, request_id.data_type) == ("-2-cmd:calc", "s")
    assert by_action["test.risky"]["target_id"].value == "-1:A1"


class TestRowLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"export_max_rows": 3}

    async def test_more_rows_than_the_limit_is_422_and_no_file(
        self, client: httpx.AsyncClient, admin: Account, runtime: Runtime, log: None
    ) -> None:
        before = await counts(runtime)
        for file_format in ("csv", "xlsx"):
            problem = assert_problem(
                await exported(client, AUDIT, admin.headers, file_format), 422, "export_too_large"
            )
            assert "3" in problem["detail"]
        assert await new_events(runtime, before) == Counter()
        _, rows = read_csv(await exported(client, AUDIT, admin.headers, action="keys.rotate"))
        assert len(rows) == 3


def test_the_api_shows_an_event_as_the_chain_does() -> None:
    """`AuditEventOut` (the API's events, their list export) and `shown` (an access
    export's audit.json) show the same columns, in one order."""
    assert tuple(AuditEventOut.model_fields) == SHOWN_COLUMNS == EVENT_COLUMNS
