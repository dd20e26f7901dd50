"""`GET /users?format=csv|xlsx`: every user the list would show (its filters and sort,
not a page) as a file, administrators only, one audited `user.export` event per file,
a row limit, and text a spreadsheet would run written as text."""

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
from tests.support.exports import (
    assert_exports_match_list,
    check_attachment,
    exported,
    read_csv,
    read_xlsx,
)
from tests.support.users import USERS, create_user, new_employee, user_url

EXPORT = "user.export"
# The list item's fields, in its order: the file's header.
COLUMNS = [
    "id",
    "email",
    "full_name",
    "role",
    "is_active",
    "employee_id",
    "created_at",
    "last_login_at",
]
PEOPLE = [
    {"email": "carol@example.com", "full_name": "Walter Brown", "role": "hr"},
    {"email": "bruno@example.com", "full_name": "Xena Cole", "role": "manager"},
    {"email": "dana@example.org", "full_name": "Victor Ellis", "role": "employee"},
    {"email": "evan@example.net", "full_name": "Yusuf Dahl", "role": "hr"},
    {"email": "fay@example.com", "full_name": "Uma Fox", "role": "employee"},
]


@pytest.fixture
async def people(client: httpx.AsyncClient, admin: Account) -> list[dict[str, Any]]:
    """Five users besides the admin; the first is linked to an employee, the last inactive."""
    created = [await create_user(client, admin, **person) for person in PEOPLE]
    linked = await client.patch(
        user_url(created[0]["id"]),
        json={"employee_id": await new_employee(client, admin)},
        headers=admin.headers,
    )
    assert linked.status_code == 200, linked.text
    off = await client.patch(
        user_url(created[-1]["id"]), json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200, off.text
    return created


async def test_the_files_hold_the_list_with_its_filters_and_sort(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    for params in (
        {},
        {"role": "hr", "sort": "-full_name"},
        {"q": "example.com", "sort": "created_at"},
        {"is_active": "false"},
        {"role": "employee", "is_active": "true", "sort": "-email"},
        {"q": "nobody"},
    ):
        items = await assert_exports_match_list(client, USERS, admin.headers, COLUMNS, **params)
        assert ("q" in params and "nobody" in params["q"]) == (items == []), params
    everyone = await assert_exports_match_list(client, USERS, admin.headers, COLUMNS)
    assert len(everyone) == len(people) + 1
    for file_format in ("csv", "xlsx"):
        response = await exported(client, USERS, admin.headers, file_format)
        check_attachment(response, "users", file_format)
    _, rows = read_csv(await exported(client, USERS, admin.headers, role="hr"))
    assert sorted(r["full_name"] for r in rows) == ["Walter Brown", "Yusuf Dahl"]
    assert {r["is_active"] for r in rows} == {"true"}
    # A page does not narrow an export.
    _, rows = read_csv(await exported(client, USERS, admin.headers, page=2, page_size=1))
    assert len(rows) == len(people) + 1


async def test_one_audited_event_per_file_with_format_and_rows(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]], runtime: Runtime
) -> None:
    before = await counts(runtime)
    read_csv(await exported(client, USERS, admin.headers, role="hr"))
    read_xlsx(await exported(client, USERS, admin.headers, "xlsx"))
    assert await new_events(runtime, before) == Counter({EXPORT: 2})
    as_csv, as_xlsx = (await events(runtime, EXPORT))[-2:]
    assert (as_csv.actor_id, as_csv.actor_role) == (admin.id, "admin")
    assert (as_csv.target_type, as_csv.target_id) == ("user", "csv:2")
    assert as_xlsx.target_id == f"xlsx:{len(people) + 1}"
    assert sorted(as_csv.fields) == sorted(COLUMNS)
    assert as_csv.target_ids == []


async def test_who_may_not_list_users_may_not_export_them(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    before = await counts(runtime)
    for role in (Role.HR, Role.MANAGER, Role.EMPLOYEE):
        caller = await accounts.signed_in(role)
        listing = assert_problem(await client.get(USERS, headers=caller.headers), 403)
        for file_format in ("csv", "xlsx"):
            response = await exported(client, USERS, caller.headers, file_format)
            assert assert_problem(response, 403, "admin_only") == listing
    assert_problem(await exported(client, USERS, {}), 401)
    assert EXPORT not in await new_events(runtime, before)


async def test_text_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, admin: Account
) -> None:
    name = '=HYPERLINK("http://x","y")'
    await create_user(client, admin, full_name=name, email="risky@example.com")
    _, [row] = read_csv(await exported(client, USERS, admin.headers, q="risky"))
    assert row["full_name"] == "'" + name
    _, [cells] = read_xlsx(await exported(client, USERS, admin.headers, "xlsx", q="risky"))
    assert (cells["full_name"].value, cells["full_name"].data_type) == (name, "s")


async def test_an_unknown_format_or_sort_is_refused_as_the_list_does(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for bad in ("pdf", "CSV", ""):
        problem = assert_problem(await exported(client, USERS, admin.headers, bad), 422)
        assert [e["field"] for e in problem["errors"]] == ["format"]
    assert_problem(
        await exported(client, USERS, admin.headers, sort="password"), 422, "invalid_sort"
    )


class TestRowLimit:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"export_max_rows": 3}

    async def test_more_rows_than_the_limit_is_422_and_no_file(
        self,
        client: httpx.AsyncClient,
        admin: Account,
        people: list[dict[str, Any]],
        runtime: Runtime,
    ) -> None:
        before = await counts(runtime)
        for file_format in ("csv", "xlsx"):
            problem = assert_problem(
                await exported(client, USERS, admin.headers, file_format), 422, "export_too_large"
            )
            assert "3" in problem["detail"]
        assert await new_events(runtime, before) == Counter()
        # Narrowed by a filter, it fits.
        _, rows = read_csv(await exported(client, USERS, admin.headers, role="employee"))
        assert sorted(r["full_name"] for r in rows) == ["Uma Fox", "Victor Ellis"]
