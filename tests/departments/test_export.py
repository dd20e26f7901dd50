"""`GET /departments?format=csv|xlsx`: every department the list would show (its q and
parent_id filters and sort, not a page) as a file, for every role (every role lists
departments), one audited `department.export` event per file, a row limit, and text a
spreadsheet would run written as text."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, events, new_events
from tests.support.departments import DEPARTMENTS, create_department
from tests.support.exports import (
    assert_exports_match_list,
    check_attachment,
    exported,
    read_csv,
    read_xlsx,
)

EXPORT = "department.export"
COLUMNS = ["id", "name", "parent_id", "description", "created_at", "updated_at"]
NAMES = ["delta", "Bravo", "echo", "Alpha", "charlie"]


@pytest.fixture
async def departments(client: httpx.AsyncClient, admin: Account) -> dict[str, dict[str, Any]]:
    """Five departments; "charlie" and "echo" are children of "Alpha"."""
    made = {
        name: await create_department(client, admin, name, description=f"About {name}")
        for name in NAMES
    }
    for child in ("charlie", "echo"):
        moved = await client.patch(
            f"{DEPARTMENTS}/{made[child]['id']}",
            json={"parent_id": made["Alpha"]["id"]},
            headers=admin.headers,
        )
        assert moved.status_code == 200, moved.text
        made[child] = moved.json()
    return made


async def test_the_files_hold_the_list_with_its_filters_and_sort_for_every_role(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    departments: dict[str, dict[str, Any]],
) -> None:
    alpha = departments["Alpha"]["id"]
    for role in Role:
        caller = admin if role is Role.ADMIN else await accounts.signed_in(role)
        for params in (
            {},
            {"parent_id": alpha},
            {"q": "a", "sort": "-name"},
            {"sort": "created_at"},
            {"q": "zulu"},
        ):
            items = await assert_exports_match_list(
                client, DEPARTMENTS, caller.headers, COLUMNS, **params
            )
            assert (items == []) == ("zulu" in params.values()), params
    _, rows = read_csv(await exported(client, DEPARTMENTS, admin.headers, parent_id=alpha))
    assert sorted(r["name"] for r in rows) == ["charlie", "echo"]
    assert {r["parent_id"] for r in rows} == {alpha}
    _, rows = read_csv(await exported(client, DEPARTMENTS, admin.headers, page_size=1))
    assert [r["name"] for r in rows] == sorted(NAMES, key=str.lower)  # not a page
    for file_format in ("csv", "xlsx"):
        response = await exported(client, DEPARTMENTS, admin.headers, file_format)
        check_attachment(response, "departments", file_format)
    assert_problem(await exported(client, DEPARTMENTS, {}), 401)
    assert_problem(await exported(client, DEPARTMENTS, admin.headers, sort="size"), 422)
    assert_problem(await exported(client, DEPARTMENTS, admin.headers, "ods"), 422)


async def test_one_audited_event_per_file_with_format_and_rows(
    client: httpx.AsyncClient,
    accounts: Accounts,
    departments: dict[str, dict[str, Any]],
    runtime: Runtime,
) -> None:
    employee = await accounts.signed_in(Role.EMPLOYEE)
    before = await counts(runtime)
    alpha = departments["Alpha"]["id"]
    read_csv(await exported(client, DEPARTMENTS, employee.headers, parent_id=alpha))
    read_xlsx(await exported(client, DEPARTMENTS, employee.headers, "xlsx"))
    assert await new_events(runtime, before) == Counter({EXPORT: 2})
    as_csv, as_xlsx = (await events(runtime, EXPORT))[-2:]
    assert (as_csv.actor_id, as_csv.actor_role) == (employee.id, "employee")
    assert (as_csv.target_type, as_csv.target_id) == ("department", "csv:2")
    assert as_xlsx.target_id == f"xlsx:{len(NAMES)}"
    assert sorted(as_csv.fields) == sorted(COLUMNS)


async def test_text_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, admin: Account
) -> None:
    risky = {"name": "=1+2", "description": "@SUM(A1:A9)"}
    await create_department(client, admin, **risky)
    _, [row] = read_csv(await exported(client, DEPARTMENTS, admin.headers))
    assert {name: row[name] for name in risky} == {n: "'" + v for n, v in risky.items()}
    _, [cells] = read_xlsx(await exported(client, DEPARTMENTS, admin.headers, "xlsx"))
    for name, value in risky.items():
        assert (cells[name].value, cells[name].data_type) == (value, "s"), name


class TestRowLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"export_max_rows": 2}

    async def test_more_rows_than_the_limit_is_422_and_no_file(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        departments: dict[str, dict[str, Any]],
        runtime: Runtime,
    ) -> None:
        before = await counts(runtime)
        for file_format in ("csv", "xlsx"):
            problem = assert_problem(
                await exported(client, DEPARTMENTS, admin.headers, file_format),
                422,
                "export_too_large",
            )
            assert "2" in problem["detail"]
        assert await new_events(runtime, before) == Counter()
        # At the limit, it fits.
        alpha = departments["Alpha"]["id"]
        _, rows = read_csv(await exported(client, DEPARTMENTS, admin.headers, parent_id=alpha))
        assert len(rows) == 2
