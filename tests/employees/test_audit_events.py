"""Every employee read that returns a sensitive field is one audit event per request
(names of employees and fields, never values); every change and refused change is one
too; a read whose event cannot be written is not answered."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, events, new_events, verify
from tests.support.employees import EMPLOYEES, SENSITIVE, create, employee_body

READ = "employee.read_sensitive"


async def bearer(accounts: Accounts, role: Role, email: str, **extra: Any) -> dict[str, str]:
    await accounts.create(role, email, **extra)
    return {"Authorization": f"Bearer {(await accounts.login(email))['access_token']}"}


async def test_sensitive_reads_are_one_event_per_request(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    people = [
        await create(client, admin, employee_body(f"E{i}", f"e{i}@example.com", **SENSITIVE))
        for i in range(3)
    ]
    hr = await accounts.signed_in(Role.HR)
    before = await counts(runtime)
    record = await client.get(f"{EMPLOYEES}/{people[0]['id']}", headers=hr.headers)
    assert record.json()["salary"] == SENSITIVE["salary"]
    page = await client.get(
        EMPLOYEES, params={"page_size": 500, "fields": "salary"}, headers=hr.headers
    )
    assert len(page.json()["items"]) == 3
    assert await new_events(runtime, before) == Counter({READ: 2})
    one, listed = (await events(runtime, READ))[-2:]
    assert one.target_type == "employee"
    assert one.target_id == people[0]["id"]
    # A record's default leaves out the national ID and bank account: so does its event.
    assert set(one.fields) == set(SENSITIVE) - {"ssn", "bank_account"}
    assert one.actor_id == hr.id
    assert one.actor_role == "hr"
    assert listed.target_id is None
    assert sorted(listed.target_ids) == sorted(p["id"] for p in people)
    assert listed.fields == ["salary"]  # only what the page carried
    revealed = await client.get(
        f"{EMPLOYEES}/{people[0]['id']}", params={"fields": "ssn"}, headers=hr.headers
    )
    assert revealed.json()["ssn"] == SENSITIVE["ssn"]
    assert set((await events(runtime, READ))[-1].fields) == set(SENSITIVE) - {"bank_account"}

    # Only a response that carries a sensitive value is an audited read: hr's list pages
    # by default (no sensitive field), anyone's reads of what they may not see.
    before = await counts(runtime)
    default = await client.get(EMPLOYEES, params={"page_size": 500}, headers=hr.headers)
    assert not default.json()["items"][0].keys() & set(SENSITIVE)
    reports = await client.get(f"{EMPLOYEES}/{people[0]['id']}/reports", headers=hr.headers)
    assert reports.status_code == 200
    assert await new_events(runtime, before) == Counter()

    # Callers who see no sensitive field leave no read event, even when they name one; a
    # person reading their own salary does (on their record, or a page that names it).
    staff = await bearer(accounts, Role.EMPLOYEE, "staff@example.com", employee_id=people[1]["id"])
    before = await counts(runtime)
    await client.get(f"{EMPLOYEES}/{people[0]['id']}", headers=staff)
    await client.get(EMPLOYEES, headers=staff)  # everyone's directory, own record included
    await client.get(f"{EMPLOYEES}/{people[0]['id']}", params={"fields": "ssn"}, headers=staff)
    assert await new_events(runtime, before) == Counter()
    listed_own = await client.get(EMPLOYEES, params={"fields": "salary"}, headers=staff)
    assert [e.get("salary") for e in listed_own.json()["items"]].count(SENSITIVE["salary"]) == 1
    assert await new_events(runtime, before) == Counter({READ: 1})
    own = (await events(runtime, READ))[-1]
    assert own.target_ids == [people[1]["id"]]
    assert own.actor_role == "employee"

    # History with salary entries is a sensitive read too.
    before = await counts(runtime)
    history = await client.get(f"{EMPLOYEES}/{people[2]['id']}/history", headers=hr.headers)
    assert any(entry["field"] == "salary" for entry in history.json())
    assert await new_events(runtime, before) == Counter({READ: 1})
    assert (await events(runtime, READ))[-1].fields == ["salary"]
    assert (await verify(runtime)).ok


async def test_changes_and_refusals_are_recorded_without_values(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    before = await counts(runtime)
    ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
    # The create returns the sensitive values it stored: a read in the same transaction.
    assert await new_events(runtime, before) == Counter({"employee.create": 1, READ: 1})
    created = (await events(runtime, "employee.create"))[-1]
    assert created.target_id == ada["id"]
    assert {"salary", "ssn", "last_name", "hire_date"} <= set(created.fields)

    before = await counts(runtime)
    url = f"{EMPLOYEES}/{ada['id']}"
    changed = await client.patch(url, json={"salary": "91000.00"}, headers=admin.headers)
    assert changed.status_code == 200
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert await new_events(runtime, before) == Counter(
        {"employee.update": 1, READ: 1, "employee.terminate": 1}
    )
    assert (await events(runtime, "employee.update"))[-1].fields == ["salary"]

    # A person may change their own phone, not their salary: the refusal is recorded.
    own = await bearer(accounts, Role.EMPLOYEE, "ada-user@example.com", employee_id=ada["id"])
    before = await counts(runtime)
    refused = await client.patch(url, json={"salary": "1000000.00"}, headers=own)
    assert_problem(refused, 403)
    assert await new_events(runtime, before) == Counter({"employee.update": 1})
    denied = (await events(runtime, "employee.update"))[-1]
    assert (denied.outcome, denied.fields, denied.actor_role) == ("denied", ["salary"], "employee")

    async with runtime.engine.connect() as conn:
        stored = repr((await conn.execute(text("SELECT * FROM audit_events"))).all())
    for value in (*SENSITIVE.values(), "91000.00", "1000000.00", "123456789"):
        if len(value) > 3:
            assert value not in stored, value
    assert (await verify(runtime)).ok


class TestFailClosed:
    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"audit_lock_timeout_ms": 300}

    async def test_a_sensitive_read_that_cannot_be_audited_is_not_answered(
        self, client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com", **SENSITIVE))
        hr = await accounts.signed_in(Role.HR)
        staff = await accounts.signed_in(Role.EMPLOYEE)
        async with runtime.engine.connect() as holder:
            await holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            for url, fields in ((f"{EMPLOYEES}/{ada['id']}", "ssn"), (EMPLOYEES, "ssn")):
                response = await client.get(url, params={"fields": fields}, headers=hr.headers)
                assert_problem(response, 503, "audit_unavailable")
                assert SENSITIVE["ssn"] not in response.text
            # An export always is an event: no file without it, whoever asks.
            for headers in (staff.headers, hr.headers):
                response = await client.get(EMPLOYEES, params={"format": "csv"}, headers=headers)
                assert_problem(response, 503, "audit_unavailable")
            # Reads without sensitive fields need no event: still answered.
            assert (await client.get(EMPLOYEES, headers=staff.headers)).status_code == 200
            assert (await client.get(EMPLOYEES, headers=hr.headers)).status_code == 200
            await holder.rollback()
        assert (
            await client.get(
                f"{EMPLOYEES}/{ada['id']}", params={"fields": "ssn"}, headers=hr.headers
            )
        ).json()["ssn"] == SENSITIVE["ssn"]
