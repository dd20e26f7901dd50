"""GET /api/v1/directory: the staff directory a phone keeps offline — everyone not
terminated, directory fields only, paged by keyset, then only what changed in the
directory since a cursor (and who left it), never a change of a field it does not show."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shre.api.runtime import Runtime
from shre.employees.directory import FIELDS, LATE_COMMIT, Cursor
from shre.employees.models import Employee
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.employees import create, employee_body, sensitive_values, sign_in, url

DIRECTORY = "/api/v1/directory"


async def _people(client: httpx.AsyncClient, admin: Account, n: int) -> list[str]:
    ids = []
    for i in range(n):
        body = employee_body(
            f"D-{i}",
            f"d{i}@directory.example",
            first_name=f"Person{i}",
            phone=f"+41 44 000 00 0{i}",
            job_title="Engineer",
            **sensitive_values(i + 1),
        )
        ids.append(str((await create(client, admin, body))["id"]))
    return ids


async def _sync(
    client: httpx.AsyncClient, headers: dict[str, str], since: str | None = None, limit: int = 3
) -> tuple[list[dict[str, Any]], list[str], str, list[dict[str, Any]]]:
    """Page until complete: every item, every removed id, the last cursor, the pages."""
    items: list[dict[str, Any]] = []
    removed: list[str] = []
    pages = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if since is not None:
            params["since"] = since
        response = await client.get(DIRECTORY, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        items += page["items"]
        removed += page["removed"]
        since = page["cursor"]
        if page["complete"]:
            assert page["remaining"] == 0
            return items, removed, since, pages
        assert page["remaining"] > 0
        assert len(pages) < 50


async def _age(runtime: Runtime, latest: str | None = None) -> None:
    """Every directory change so far three hours old (`latest`'s one hour): what a later
    sync must not send again. (A complete sync's cursor stands LATE_COMMIT before its
    last change, so only `latest` is sent again.)"""
    now = datetime.now(UTC)
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Employee).values(directory_changed_at=now - timedelta(hours=3))
        )
        if latest is not None:
            await session.execute(
                update(Employee)
                .where(Employee.id == uuid.UUID(latest))
                .values(directory_changed_at=now - timedelta(hours=1))
            )


async def test_a_full_sync_pages_through_everyone_not_terminated_with_directory_fields_only(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    ids = await _people(client, admin, 7)
    gone = ids[6]
    assert (await client.delete(url(gone), headers=admin.headers)).status_code == 204
    staff = await sign_in(accounts, Role.EMPLOYEE, "d0@directory.example", ids[0])
    await _age(runtime)  # the leaver left an hour ago: no news to a phone syncing now

    items, removed, _, pages = await _sync(client, staff)
    # 6 people, 3 a page: the second page says complete
    assert [(len(p["items"]), p["remaining"], p["complete"]) for p in pages] == [
        (3, 3, False),
        (3, 0, True),
    ]
    assert sorted(i["id"] for i in items) == sorted(ids[:6])
    assert removed == []  # a first sync lists who is there

    # Someone who leaves while a phone makes its first sync is reported as having left.
    assert (await client.delete(url(ids[5]), headers=admin.headers)).status_code == 204
    _, removed, _, _ = await _sync(client, staff)
    assert removed == [ids[5]]
    for item in items:
        assert set(item) == set(FIELDS)  # no employment field, nothing sensitive
    text = str(pages)
    for i in range(7):
        for value in sensitive_values(i + 1).values():
            assert value not in text
    assert "Engineer" in text
    assert "+41 44 000 00 03" in text


async def test_an_incremental_sync_sends_only_directory_changes_and_who_left(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    a, b, c, d, e = await _people(client, admin, 5)
    staff = await sign_in(accounts, Role.EMPLOYEE, "d0@directory.example", a)
    await _age(runtime, latest=a)
    _, _, cursor, _ = await _sync(client, staff)

    async def patch(who: str, **changes: Any) -> None:
        response = await client.patch(url(who), json=changes, headers=admin.headers)
        assert response.status_code == 200, response.text

    await patch(a, phone="+41 79 111 11 11")  # a directory field, written in place
    await patch(b, job_title="Staff Engineer", department_id=None)  # the locked path
    await patch(c, salary="99000.00", date_of_birth="1990-01-01")  # not in the directory
    await patch(d, status="on_leave")  # an employment change: not in the directory
    await patch(b, job_title="Staff Engineer")  # the same value again: nothing shown changed
    assert (await client.delete(url(e), headers=admin.headers)).status_code == 204
    new = str((await create(client, admin, employee_body("D-9", "d9@directory.example")))["id"])

    items, removed, cursor, _ = await _sync(client, staff, cursor)
    assert sorted(i["id"] for i in items) == sorted([a, b, new])
    assert removed == [e]
    changed = {i["id"]: i for i in items}
    assert changed[a]["phone"] == "+41 79 111 11 11"
    assert changed[b]["job_title"] == "Staff Engineer"

    # Rehired: back in the directory.
    await patch(e, status="active", termination_date=None)
    items, removed, _, _ = await _sync(client, staff, cursor)
    assert e in {i["id"] for i in items}
    assert removed == []


async def test_a_change_committed_late_is_still_found(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    """A complete sync's cursor stands LATE_COMMIT before its last change: a change
    stamped a little earlier but committed after the sync read is met by the next."""
    first, second = await _people(client, admin, 2)
    staff = await sign_in(accounts, Role.EMPLOYEE, "d0@directory.example", first)
    _, _, cursor, _ = await _sync(client, staff)
    position = Cursor.decode(cursor)
    # `second` changed, stamped just after the cursor's instant (as a slow transaction
    # would stamp it before the last change the sync saw), committed now.
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Employee)
            .where(Employee.id == uuid.UUID(second))
            .values(location="Basel", directory_changed_at=position.at + LATE_COMMIT / 2)
        )
    items, _, again, _ = await _sync(client, staff, cursor)
    assert {i["id"]: i["location"] for i in items}.get(second) == "Basel"
    # Nothing new: asking again sends the same recent changes, with the same cursor.
    items_again, _, cursor_again, _ = await _sync(client, staff, again)
    assert cursor_again == again
    assert sorted(i["id"] for i in items_again) == sorted(i["id"] for i in items)


async def test_a_change_made_while_paging_is_not_skipped(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    ids = await _people(client, admin, 6)
    staff = await sign_in(accounts, Role.EMPLOYEE, "d0@directory.example", ids[0])
    await _age(runtime)
    first = (await client.get(DIRECTORY, params={"limit": 2}, headers=staff)).json()
    assert not first["complete"]
    seen = {i["id"] for i in first["items"]}
    # One already sent and one not yet sent change while the phone pages on.
    unseen = next(i for i in ids if i not in seen)
    for who in (next(iter(seen)), unseen):
        response = await client.patch(url(who), json={"location": "Bern"}, headers=admin.headers)
        assert response.status_code == 200
    items, _, _, _ = await _sync(client, staff, first["cursor"], limit=2)
    everyone = seen | {i["id"] for i in items}
    assert everyone == set(ids)
    bern = {i["id"] for i in items if i["location"] == "Bern"}
    assert bern == {next(iter(seen)), unseen}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "not-a-cursor"}, "since"),
        ({"since": "bm90fGE"}, "since"),  # base64 of "not|a"
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
    ],
)
async def test_bad_input_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, admin: Account, params: dict[str, Any], field: str
) -> None:
    response = await client.get(DIRECTORY, params=params, headers=admin.headers)
    body = assert_problem(response, 422)
    assert field in str(body["errors"])
    assert "not-a-cursor" not in response.text


async def test_the_directory_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    assert (await client.get(DIRECTORY)).status_code == 401


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_gets_the_same_directory_and_nothing_more(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, role: Role
) -> None:
    """CONTRACT.md §4: every role sees everyone's directory fields, and from this
    endpoint nobody gets more, staff included (no employment or sensitive field)."""
    ids = await _people(client, admin, 4)
    user = await sign_in(accounts, role, f"{role.value}@directory.example", ids[1])
    items, removed, _, _ = await _sync(client, user)
    assert sorted(i["id"] for i in items) == sorted(ids)
    assert removed == []
    assert all(set(item) == set(FIELDS) for item in items)
    reference, _, _, _ = await _sync(client, admin.headers)
    assert sorted(items, key=lambda i: i["id"]) == sorted(reference, key=lambda i: i["id"])
