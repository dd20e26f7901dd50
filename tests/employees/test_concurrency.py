"""ETag / If-Match on employees, and concurrent writes: a stale or losing write changes
nothing, and two racing writers never both win."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from shre.api.runtime import Runtime
from shre.employees.models import Employee
from shre.policy import Role
from shre.settings import Settings
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events as audit_events
from tests.support.database import statements_sent
from tests.support.employees import (
    EMPLOYEES,
    EVERY_FIELD,
    create,
    employee_body,
    fetch,
    raw_rows,
    sign_in,
    snapshot,
    url,
)


def version_tag(runtime: Runtime, employee_id: Any, version: int) -> str:
    """The ETag of this version of the record, for a caller who sees all of it."""
    return runtime.etags.for_version("employee", uuid.UUID(str(employee_id)), version)


async def etag_of(client: httpx.AsyncClient, headers: dict[str, str], employee_id: Any) -> str:
    response = await client.get(url(employee_id), headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def test_if_match_guards_updates_and_termination(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", salary="1.00"))
    first = await etag_of(client, admin.headers, ada["id"])
    assert first == version_tag(runtime, ada["id"], 1)
    assert first != '"1"'  # the counter itself is not shown
    changed = await client.patch(
        url(ada["id"]), json={"job_title": "CTO"}, headers={**admin.headers, "If-Match": first}
    )
    assert changed.status_code == 200, changed.text
    second = changed.headers["ETag"]
    assert second != first
    assert await etag_of(client, admin.headers, ada["id"]) == second

    before = await snapshot(client, admin)
    for stale in (first, f"W/{second}", '"2"', second.strip('"'), f'{first}, "0"'):
        for changes in ({"job_title": "CEO"}, {"salary": "2.00"}, {"ssn": "1"}):
            response = await client.patch(
                url(ada["id"]), json=changes, headers={**admin.headers, "If-Match": stale}
            )
            assert_problem(response, 412, "stale_etag")
        response = await client.delete(url(ada["id"]), headers={**admin.headers, "If-Match": stale})
        assert_problem(response, 412, "stale_etag")
    assert await snapshot(client, admin) == before
    history = (await client.get(url(ada["id"], "/history"), headers=admin.headers)).json()
    assert [e["new_value"] for e in history if e["field"] == "job_title"] == ["CTO"]

    # A list holding the current tag, or "*", matches; no If-Match: last write wins.
    for tag in (f'"0", {second}', "*"):
        response = await client.patch(
            url(ada["id"]), json={"location": tag}, headers={**admin.headers, "If-Match": tag}
        )
        assert response.status_code == 200, response.text
    assert (
        await client.patch(url(ada["id"]), json={"location": "Oslo"}, headers=admin.headers)
    ).status_code == 200

    # Self-edit is guarded the same way.
    own = await sign_in(accounts, Role.EMPLOYEE, "self@example.com", ada["id"])
    tag = await etag_of(client, own, ada["id"])
    assert (
        await client.patch(url(ada["id"]), json={"phone": "1"}, headers={**own, "If-Match": tag})
    ).status_code == 200
    assert_problem(
        await client.patch(url(ada["id"]), json={"phone": "2"}, headers={**own, "If-Match": tag}),
        412,
        "stale_etag",
    )
    assert (await fetch(client, own, ada["id"]))["phone"] == "1"

    current = await etag_of(client, admin.headers, ada["id"])
    gone = await client.delete(url(ada["id"]), headers={**admin.headers, "If-Match": current})
    assert gone.status_code == 204
    assert (await fetch(client, admin.headers, ada["id"]))["status"] == "terminated"


async def test_concurrent_patches_with_the_same_etag_have_one_winner(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", salary="100.00"))
    for round_ in range(4):
        tag = await etag_of(client, admin.headers, ada["id"])
        bodies = [
            {"job_title": f"Title {round_}-{i}", "salary": f"{round_ + 1}{i}00.00"}
            for i in range(3)
        ]
        responses = await asyncio.gather(
            *(
                client.patch(url(ada["id"]), json=body, headers={**admin.headers, "If-Match": tag})
                for body in bodies
            )
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(200) == 1, [r.text for r in responses]
        for response in responses:
            if response.status_code != 200:
                assert response.status_code in {409, 412}, response.text
                assert_problem(response, response.status_code)
        winner = bodies[statuses.index(200)]
        now = await fetch(client, admin.headers, ada["id"])
        assert {k: now[k] for k in winner} == winner
        assert await etag_of(client, admin.headers, ada["id"]) == version_tag(
            runtime, ada["id"], round_ + 2
        )
    history = (await client.get(url(ada["id"], "/history"), headers=admin.headers)).json()
    assert len([e for e in history if e["field"] == "job_title"]) == 4  # winners only


async def test_concurrent_patches_without_if_match_all_apply_in_turn(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    """Without If-Match the caller asked for no precondition: on PostgreSQL each change
    waits for the one before it (the row is locked) and applies on top of it, none is
    refused; each is in the history. (SQLite, which has no row locks, may refuse the
    later ones with 409: nothing half-written either way.)"""
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    titles = [f"Title {i}" for i in range(6)]
    responses = await asyncio.gather(
        *(
            client.patch(url(ada["id"]), json={"job_title": t}, headers=admin.headers)
            for t in titles
        )
    )
    statuses = [r.status_code for r in responses]
    applied = [t for t, status in zip(titles, statuses, strict=True) if status == 200]
    if runtime.engine.dialect.name == "postgresql":
        assert statuses == [200] * len(titles), [r.text for r in responses]
    else:
        assert applied
        assert set(statuses) <= {200, 409}, [r.text for r in responses]
    now = await fetch(client, admin.headers, ada["id"])
    assert now["job_title"] in applied
    assert await etag_of(client, admin.headers, ada["id"]) == version_tag(
        runtime, ada["id"], 1 + len(applied)
    )
    history = (await client.get(url(ada["id"], "/history"), headers=admin.headers)).json()
    assert sorted(e["new_value"] for e in history if e["field"] == "job_title") == sorted(applied)


async def test_concurrent_creates_with_the_same_number_have_one_winner(
    client: httpx.AsyncClient, admin: Account
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                EMPLOYEES,
                json=employee_body("SAME", f"e{i}@example.com", ssn=f"{i}"),
                headers=admin.headers,
            )
            for i in range(3)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert assert_problem(response, 409)["code"] in {"employee_number_taken", "duplicate"}
    assert (await client.get(EMPLOYEES, headers=admin.headers)).json()["total"] == 1


async def test_concurrent_manager_changes_never_make_a_cycle(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A -> B and B -> A are each fine alone; racing, at most one may win."""
    for round_ in range(3):
        a = await create(client, admin, employee_body(f"A{round_}", f"a{round_}@example.com"))
        b = await create(client, admin, employee_body(f"B{round_}", f"b{round_}@example.com"))
        responses = await asyncio.gather(
            client.patch(url(a["id"]), json={"manager_id": b["id"]}, headers=admin.headers),
            client.patch(url(b["id"]), json={"manager_id": a["id"]}, headers=admin.headers),
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses[0] == 200, [r.text for r in responses]
        assert statuses[1] != 200, "both won: A and B now manage each other"
        loser = next(r for r in responses if r.status_code != 200)
        assert_problem(loser, 422, "manager_cycle")


async def test_joining_a_department_while_it_is_deleted_is_never_a_500(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Either the employee joins and the delete is refused (409), or the delete wins and
    the employee is refused (422 department_not_found); never both, never a 500."""
    ada = await create(client, admin, employee_body("E0", "ada@example.com"))
    for round_ in range(4):
        department = await client.post(
            "/api/v1/departments", json={"name": f"Dept {round_}"}, headers=admin.headers
        )
        department_id = department.json()["id"]
        if round_ % 2:
            join = client.patch(
                url(ada["id"]), json={"department_id": department_id}, headers=admin.headers
            )
        else:
            join = client.post(
                EMPLOYEES,
                json=employee_body(
                    f"E{round_ + 1}", f"e{round_}@example.com", department_id=department_id
                ),
                headers=admin.headers,
            )
        joined, deleted = await asyncio.gather(
            join, client.delete(f"/api/v1/departments/{department_id}", headers=admin.headers)
        )
        if joined.status_code in {200, 201}:
            assert_problem(deleted, 409)
        else:
            assert_problem(joined, 422, "department_not_found")
            assert deleted.status_code == 204, deleted.text


class TestChangesInPlace:
    """A change of plain fields that no rule reads the stored record for (a phone, a
    location) is one statement, with or without a cache: no read and no lock of the row
    first, the client's If-Match in its WHERE. When it writes nothing, the row as stored
    decides (404, 412), as for any other change."""

    @pytest.fixture(params=[True, False], ids=["cache", "no-cache"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"cache_enabled": request.param}

    @staticmethod
    def of_employees(sent: list[str]) -> list[str]:
        """The statements on the employees table (not the audit log's), one line each."""
        return [" ".join(s.split()) for s in sent if "employees" in s and "audit_" not in s]

    async def test_a_phone_change_is_one_statement(
        self, client: httpx.AsyncClient, admin: Account, runtime: Runtime
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com", salary="1.00"))
        [stored] = await raw_rows(runtime, "employees")
        page = await client.get(EMPLOYEES, headers=admin.headers)  # cached, with a cache
        assert page.json()["items"][0]["phone"] is None
        with statements_sent(runtime) as sent:
            changed = await client.patch(
                url(ada["id"]), json={"phone": "+44 20 7946"}, headers=admin.headers
            )
        assert changed.status_code == 200, changed.text
        sent = self.of_employees(sent)
        assert [s.split()[:2] for s in sent] == [["UPDATE", "employees"]], sent
        body = changed.json()
        assert (body["phone"], body["salary"], changed.headers["ETag"]) == (
            "+44 20 7946",
            "1.00",
            version_tag(runtime, ada["id"], 2),
        )
        [row] = await raw_rows(runtime, "employees")
        assert (row["phone"], row["version"]) == ("+44 20 7946", 2)
        assert row["updated_at"] > stored["updated_at"]
        assert await fetch(client, admin.headers, ada["id"]) == {
            **body,
            "ssn": None,
            "bank_account": None,
        }
        # The cached page is patched with the row as the statement returned it: read
        # again, it costs no statement of the employees table.
        with statements_sent(runtime) as sent:
            page = await client.get(EMPLOYEES, params=EVERY_FIELD, headers=admin.headers)
        sent = self.of_employees(sent)
        assert page.json()["items"] == [{**body, "ssn": None, "bank_account": None}]
        assert (sent == []) is runtime.settings.cache_enabled, sent
        # A change with more than such fields reads and locks the row first, as before.
        with statements_sent(runtime) as sent:
            changed = await client.patch(
                url(ada["id"]), json={"phone": "1", "job_title": "CTO"}, headers=admin.headers
            )
        assert changed.status_code == 200, changed.text
        sent = self.of_employees(sent)
        assert [s.split()[0] for s in sent][:2] == ["SELECT", "UPDATE"], sent

    async def test_a_change_behind_the_cache_is_kept_and_if_match_is_the_stored_one(
        self, client: httpx.AsyncClient, admin: Account, runtime: Runtime
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com"))
        await fetch(client, admin.headers, ada["id"])  # cached at version 1 (if cached)

        async def bump(place: str) -> None:
            """The row changes behind the cache's back: the cached record is now stale."""
            async with runtime.engine.begin() as conn:
                await conn.execute(
                    update(Employee.__table__)
                    .where(Employee.__table__.c.id == uuid.UUID(ada["id"]))
                    .values(location=place, version=Employee.__table__.c.version + 1)
                )

        await bump("Paris")
        changed = await client.patch(url(ada["id"]), json={"phone": "1"}, headers=admin.headers)
        assert changed.status_code == 200, changed.text
        assert (changed.json()["location"], changed.json()["phone"]) == ("Paris", "1")
        assert changed.headers["ETag"] == version_tag(runtime, ada["id"], 3)

        # An If-Match that holds for the cached record but not for the stored one: 412,
        # nothing written; one that holds for the stored one: written.
        await bump("Rome")
        stale = await client.patch(
            url(ada["id"]),
            json={"phone": "2"},
            headers={**admin.headers, "If-Match": version_tag(runtime, ada["id"], 3)},
        )
        assert_problem(stale, 412, "stale_etag")
        [row] = await raw_rows(runtime, "employees")
        assert (row["phone"], row["location"], row["version"]) == ("1", "Rome", 4)
        current = await client.patch(
            url(ada["id"]),
            json={"phone": "2"},
            headers={**admin.headers, "If-Match": version_tag(runtime, ada["id"], 4)},
        )
        assert current.status_code == 200, current.text
        [row] = await raw_rows(runtime, "employees")
        assert (row["phone"], row["location"], row["version"]) == ("2", "Rome", 5)
        assert (await fetch(client, admin.headers, ada["id"]))["location"] == "Rome"
        current_tag = version_tag(runtime, ada["id"], 5)
        for tag in ('"5"', '"' + "9" * 5000 + '"', f"W/{current_tag}", current_tag.strip('"')):
            refused = await client.patch(
                url(ada["id"]), json={"phone": "3"}, headers={**admin.headers, "If-Match": tag}
            )
            assert_problem(refused, 412, "stale_etag")
        missing = await client.patch(url(uuid.uuid4()), json={"phone": "3"}, headers=admin.headers)
        assert_problem(missing, 404, "employee_not_found")
        [row] = await raw_rows(runtime, "employees")
        assert (row["phone"], row["version"]) == ("2", 5)

    async def test_a_refused_change_is_refused_and_recorded_as_before(
        self, client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com"))
        grace = await create(client, admin, employee_body("E2", "grace@example.com"))
        own = await sign_in(accounts, Role.EMPLOYEE, "self@example.com", ada["id"])
        await fetch(client, admin.headers, grace["id"])  # cached
        refused = await client.patch(url(grace["id"]), json={"phone": "1"}, headers=own)
        assert_problem(refused, 403, "field_not_editable")
        assert (await fetch(client, admin.headers, grace["id"]))["phone"] is None
        assert await etag_of(client, admin.headers, grace["id"]) == version_tag(
            runtime, grace["id"], 1
        )
        [denied] = await audit_events(runtime, "employee.update")
        assert (denied.outcome, denied.target_id) == ("denied", grace["id"])


class TestBoundedLockWaits:
    """PostgreSQL: a request waits for a lock no longer than DATABASE_LOCK_TIMEOUT_MS, then
    fails with 503 and changes nothing."""

    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"database_lock_timeout_ms": 300}

    async def test_a_write_behind_a_held_row_lock_fails_and_changes_nothing(
        self, client: httpx.AsyncClient, admin: Account, runtime: Runtime
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com"))
        before = await snapshot(client, admin)
        async with runtime.engine.connect() as holder:
            await holder.execute(
                text("SELECT id FROM employees WHERE id = :id FOR UPDATE"), {"id": ada["id"]}
            )
            blocked = await client.patch(
                url(ada["id"]), json={"phone": "+44 20 7946"}, headers=admin.headers
            )
            await holder.rollback()
        assert_problem(blocked, 503, "database_unavailable")
        assert blocked.headers["Retry-After"] == "2"
        assert await snapshot(client, admin) == before
        retried = await client.patch(
            url(ada["id"]), json={"phone": "+44 20 7946"}, headers=admin.headers
        )
        assert retried.status_code == 200, retried.text
        assert retried.json()["phone"] == "+44 20 7946"


class TestAuditAppendOfAWrite:
    """The audit append of a write bounds its own wait for the chain's lock (one statement
    more) only when AUDIT_LOCK_TIMEOUT_MS is shorter than the connection's bound."""

    @pytest.fixture
    def backend(self) -> str:
        return "postgres"

    @pytest.fixture(params=[(300, 3000), (3000, 300)], ids=["database-shorter", "audit-shorter"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        database, audit = request.param
        return {"database_lock_timeout_ms": database, "audit_lock_timeout_ms": audit}

    async def test_statements_of_a_write(
        self, client: httpx.AsyncClient, admin: Account, runtime: Runtime, settings: Settings
    ) -> None:
        ada = await create(client, admin, employee_body("E1", "ada@example.com"))
        await client.patch(url(ada["id"]), json={"phone": "1"}, headers=admin.headers)
        with statements_sent(runtime) as sent:
            changed = await client.patch(url(ada["id"]), json={"phone": "2"}, headers=admin.headers)
        assert changed.status_code == 200, changed.text
        bounded = settings.database_lock_timeout_ms <= settings.audit_lock_timeout_ms
        assert sum("set_config" in s for s in sent) == (0 if bounded else 1), sent
        assert sum("audit_head" in s for s in sent) == 1, sent
