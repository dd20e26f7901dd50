"""End to end through the API: sensitive fields round-trip, are ciphertext at rest, are
searchable by blind index, and each role sees and changes only what CONTRACT.md §4 allows."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.employees import EMPLOYEES, REVEALED, SENSITIVE, create, employee_body


async def test_sensitive_fields_round_trip_and_are_ciphertext_at_rest(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    for name, value in SENSITIVE.items():
        assert ada[name] == value, name
    revealed = {"fields": ",".join(REVEALED)}
    fetched = (
        await client.get(f"{EMPLOYEES}/{ada['id']}", params=revealed, headers=admin.headers)
    ).json()
    assert {k: fetched[k] for k in SENSITIVE} == SENSITIVE

    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM employees"))).all()
    dump = repr(rows)
    for name, value in SENSITIVE.items():
        if name != "salary_currency":  # three letters: looked for as a whole column below
            assert value not in dump, name
    assert not any(SENSITIVE["salary_currency"] in row for row in rows)
    assert "123456789" not in dump

    found = await client.get(EMPLOYEES, params={"ssn": "123 45 6789"}, headers=admin.headers)
    assert [e["id"] for e in found.json()["items"]] == [ada["id"]]


async def test_roles_see_and_change_only_what_they_may(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com", **SENSITIVE))
    report = await create(
        client,
        admin,
        employee_body("E2", "report@example.com", manager_id=boss["id"], ssn="987654321"),
    )
    outsider = await create(client, admin, employee_body("E3", "out@example.com", ssn="555"))
    await accounts.create(Role.MANAGER, "mgr@example.com", employee_id=boss["id"])
    manager = {
        "Authorization": f"Bearer {(await accounts.login('mgr@example.com'))['access_token']}"
    }

    seen = (await client.get(f"{EMPLOYEES}/{report['id']}", headers=manager)).json()
    assert seen["status"] == "active"  # employment fields of the subtree
    assert "salary" not in seen
    assert "ssn" not in seen
    other = (await client.get(f"{EMPLOYEES}/{outsider['id']}", headers=manager)).json()
    assert "status" not in other  # outside the subtree: directory only
    assert other["email"] == "out@example.com"
    own = (await client.get(f"{EMPLOYEES}/{boss['id']}", headers=manager)).json()
    assert own["salary"] == SENSITIVE["salary"]

    assert_problem(
        await client.patch(f"{EMPLOYEES}/{boss['id']}", json={"salary": "1"}, headers=manager),
        403,
        "field_not_editable",
    )
    changed = await client.patch(
        f"{EMPLOYEES}/{boss['id']}", json={"phone": "+1 555", "bank_account": "X1"}, headers=manager
    )
    assert changed.status_code == 200, changed.text
    assert "bank_account" not in changed.json()  # only a read that names it returns it
    own = (
        await client.get(
            f"{EMPLOYEES}/{boss['id']}", params={"fields": "bank_account"}, headers=manager
        )
    ).json()
    assert own["bank_account"] == "X1"
    assert_problem(
        await client.get(EMPLOYEES, params={"ssn": "555"}, headers=manager), 403, "hr_only"
    )


async def test_reporting_line_and_termination(client: httpx.AsyncClient, admin: Account) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com"))
    report = await create(
        client, admin, employee_body("E2", "report@example.com", manager_id=boss["id"])
    )
    assert_problem(
        await client.patch(
            f"{EMPLOYEES}/{boss['id']}", json={"manager_id": report["id"]}, headers=admin.headers
        ),
        422,
        "manager_cycle",
    )
    subtree = await client.get(
        f"{EMPLOYEES}/{boss['id']}/reports", params={"depth": "all"}, headers=admin.headers
    )
    assert [e["id"] for e in subtree.json()] == [report["id"]]
    assert_problem(
        await client.post(
            EMPLOYEES, json=employee_body("E1", "x@example.com"), headers=admin.headers
        ),
        409,
        "employee_number_taken",
    )

    gone = await client.delete(
        f"{EMPLOYEES}/{report['id']}", params={"reason": "moved"}, headers=admin.headers
    )
    assert gone.status_code == 204
    kept = (await client.get(f"{EMPLOYEES}/{report['id']}", headers=admin.headers)).json()
    assert kept["status"] == "terminated"
    assert kept["termination_reason"] == "moved"
    assert kept["termination_date"] is not None


async def test_history_records_changes_with_salary_encrypted(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com"))
    ada = await create(
        client,
        admin,
        employee_body("E2", "ada@example.com", salary="50000.00", job_title="Engineer"),
    )
    raised = await client.patch(
        f"{EMPLOYEES}/{ada['id']}",
        json={
            "salary": "61000.25",
            "job_title": "Senior Engineer",
            "manager_id": boss["id"],
            "effective_date": "2024-04-01",
        },
        headers=admin.headers,
    )
    assert raised.status_code == 200, raised.text

    entries = (await client.get(f"{EMPLOYEES}/{ada['id']}/history", headers=admin.headers)).json()
    by_field = {(e["field"], e["new_value"]): e for e in entries}
    salary = by_field[("salary", "61000.25")]
    assert salary["old_value"] == "50000.00"
    assert salary["effective_date"] == "2024-04-01"
    assert salary["changed_by"] == str(admin.id)
    assert by_field[("job_title", "Senior Engineer")]["old_value"] == "Engineer"
    assert by_field[("manager_id", boss["id"])]["old_value"] is None
    assert ("salary", "50000.00") in by_field  # the starting salary, from creation

    async with runtime.engine.connect() as conn:
        dump = repr((await conn.execute(text("SELECT * FROM employee_history"))).all())
    assert "61000.25" not in dump
    assert "50000.00" not in dump

    # The manager sees the history of a report, without salaries; others get 404.
    await accounts.create(Role.MANAGER, "mgr@example.com", employee_id=boss["id"])
    tokens = await accounts.login("mgr@example.com")
    manager = {"Authorization": f"Bearer {tokens['access_token']}"}
    seen = (await client.get(f"{EMPLOYEES}/{ada['id']}/history", headers=manager)).json()
    assert {e["field"] for e in seen} == {"job_title", "manager_id", "status"}
    stranger = await accounts.signed_in(Role.EMPLOYEE)
    assert_problem(
        await client.get(f"{EMPLOYEES}/{ada['id']}/history", headers=stranger.headers), 404
    )
