"""Every audited path writes exactly its event — with the caller, the client address and
the request id — and no event holds a value (a password, a name, a salary)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import PASSWORD, Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, events, new_events, stored_text, verify
from tests.support.auth import LOGIN, LOGOUT, NEW_PASSWORD, REFRESH, new_user, unique_email
from tests.support.departments import DEPARTMENTS, create_department, department_url

WRONG = "Not-The-Password-7781"


async def test_login_records_the_user_the_address_and_the_request_id(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    who = await new_user(accounts, Role.HR)
    before = await counts(runtime)
    response = await client.post(
        LOGIN, json={"email": who.email, "password": PASSWORD}, headers={"X-Request-ID": "req-42"}
    )
    assert response.status_code == 200
    assert await new_events(runtime, before) == Counter({"auth.login": 1})
    event = (await events(runtime, "auth.login"))[-1]
    assert (event.actor_id, event.actor_role) == (who.id, "hr")
    assert (event.target_type, event.target_id) == ("user", str(who.id))
    assert event.client_ip == "127.0.0.1"
    assert event.request_id == "req-42" == response.headers["X-Request-ID"]
    assert event.outcome == "success"
    assert event.fields == []


async def test_a_failed_login_is_recorded_although_the_request_fails(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    who = await new_user(accounts)
    before = await counts(runtime)
    assert_problem(await client.post(LOGIN, json={"email": who.email, "password": WRONG}), 401)
    stranger = unique_email("nobody")
    assert_problem(await client.post(LOGIN, json={"email": stranger, "password": WRONG}), 401)
    assert await new_events(runtime, before) == Counter({"auth.login_failed": 2})
    known, unknown = (await events(runtime, "auth.login_failed"))[-2:]
    assert (known.target_type, known.target_id) == ("user", str(who.id))
    assert (unknown.target_type, unknown.target_id) == (None, None)
    for event in (known, unknown):
        assert (event.actor_id, event.actor_role) == (None, None)
        assert event.outcome == "failure"
        assert event.client_ip == "127.0.0.1"
    text = await stored_text(runtime)
    assert WRONG not in text
    assert stranger not in text  # people type passwords into the email field
    assert who.email not in text


class TestThrottled:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"login_max_failures_per_account": 2}

    async def test_a_throttled_login_is_recorded_with_the_429(
        self, client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
    ) -> None:
        who = await new_user(accounts)
        for _ in range(2):
            await client.post(LOGIN, json={"email": who.email, "password": WRONG})
        before = await counts(runtime)
        response = await client.post(LOGIN, json={"email": who.email, "password": PASSWORD})
        assert_problem(response, 429, "login_throttled")
        assert await new_events(runtime, before) == Counter({"auth.login_throttled": 1})
        event = (await events(runtime, "auth.login_throttled"))[-1]
        assert (event.target_id, event.outcome, event.actor_id) == (str(who.id), "denied", None)
        assert (await verify(runtime)).ok


async def test_refresh_reuse_and_logout(
    client: httpx.AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    account = await accounts.signed_in(Role.MANAGER)
    before = await counts(runtime)
    first = await client.post(REFRESH, json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    assert await new_events(runtime, before) == Counter()  # a normal refresh is no event

    reused = await client.post(REFRESH, json={"refresh_token": account.refresh_token})
    assert_problem(reused, 401, "refresh_token_reused")
    assert await new_events(runtime, before) == Counter({"auth.refresh_reuse": 1})
    event = (await events(runtime, "auth.refresh_reuse"))[-1]
    assert (event.target_id, event.outcome, event.actor_id) == (str(account.id), "denied", None)

    other = await accounts.signed_in(Role.EMPLOYEE)
    before = await counts(runtime)
    out = await client.post(LOGOUT, json={"refresh_token": other.refresh_token})
    assert out.status_code == 204
    assert await new_events(runtime, before) == Counter({"auth.logout": 1})
    event = (await events(runtime, "auth.logout"))[-1]
    assert (event.actor_id, event.actor_role, event.target_id) == (
        other.id,
        "employee",
        str(other.id),
    )
    # An unknown token changes nothing and records nothing.
    before = await counts(runtime)
    await client.post(LOGOUT, json={"refresh_token": "x" * 40})
    assert await new_events(runtime, before) == Counter()
    text = await stored_text(runtime)
    assert account.refresh_token not in text
    assert other.refresh_token not in text


async def test_user_changes_name_the_fields_never_the_values(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    email = unique_email("created")
    before = await counts(runtime)
    created = await client.post(
        "/api/v1/users",
        json={"email": email, "password": PASSWORD, "full_name": "Zelda Quist", "role": "employee"},
        headers=admin.headers,
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    changed = await client.patch(
        f"/api/v1/users/{user_id}",
        json={"role": "hr", "password": NEW_PASSWORD, "full_name": "Zelda Quist"},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    deleted = await client.delete(f"/api/v1/users/{user_id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert await new_events(runtime, before) == Counter(
        {"user.create": 1, "user.update": 1, "user.delete": 1}
    )
    create, update, delete = [
        (await events(runtime, action))[-1]
        for action in ("user.create", "user.update", "user.delete")
    ]
    assert create.fields == ["email", "full_name", "password", "role"]
    assert update.fields == ["password", "role"]  # full_name was sent unchanged
    assert delete.fields == []
    for event in (create, update, delete):
        assert (event.actor_id, event.actor_role) == (admin.id, "admin")
        assert (event.target_type, event.target_id) == ("user", user_id)
    text = await stored_text(runtime)
    for value in (PASSWORD, NEW_PASSWORD, "Zelda", email):
        assert value not in text
    assert (await verify(runtime)).ok


async def test_a_refused_change_records_nothing(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    taken = await create_department(client, admin, "Taken")
    before = await counts(runtime)
    assert_problem(
        await client.post(DEPARTMENTS, json={"name": "Taken"}, headers=admin.headers), 409
    )
    assert_problem(
        await client.post(
            "/api/v1/users",
            json={"email": unique_email(), "password": PASSWORD, "full_name": "X", "role": "hr"},
            headers=hr.headers,
        ),
        403,
    )
    assert_problem(
        await client.delete(
            department_url(taken["id"]), headers={**admin.headers, "If-Match": '"9"'}
        ),
        412,
    )
    assert await new_events(runtime, before) == Counter()


@pytest.fixture(params=[Role.ADMIN, Role.HR], ids=lambda r: r.value)
async def writer(request: pytest.FixtureRequest, accounts: Accounts) -> Account:
    return await accounts.signed_in(request.param)


async def test_department_changes(
    client: httpx.AsyncClient, runtime: Runtime, writer: Account
) -> None:
    before = await counts(runtime)
    parent = await create_department(client, writer, "Corporate")
    dept = await create_department(client, writer, "Secret Projects", description="Ares")
    patched = await client.patch(
        department_url(dept["id"]),
        json={"name": "Secret Projects", "description": "Hermes", "parent_id": parent["id"]},
        headers=writer.headers,
    )
    assert patched.status_code == 200
    assert (
        await client.delete(department_url(dept["id"]), headers=writer.headers)
    ).status_code == 204
    assert await new_events(runtime, before) == Counter(
        {"department.create": 2, "department.update": 1, "department.delete": 1}
    )
    created = (await events(runtime, "department.create"))[-1]
    assert created.fields == ["description", "name"]
    update = (await events(runtime, "department.update"))[-1]
    assert update.fields == ["description", "parent_id"]
    for event in [created, update, *(await events(runtime, "department.delete"))]:
        assert (event.target_type, event.target_id) == ("department", dept["id"])
        assert (event.actor_id, event.actor_role) == (writer.id, writer.role.value)
    text = await stored_text(runtime)
    assert "Ares" not in text
    assert "Hermes" not in text
    assert "Secret" not in text


@pytest.mark.parametrize(
    ("role", "audited"),
    [(Role.ADMIN, True), (Role.HR, True), (Role.MANAGER, False), (Role.EMPLOYEE, False)],
)
async def test_department_stats_with_salaries_are_an_audited_read(
    client: httpx.AsyncClient,
    runtime: Runtime,
    admin: Account,
    accounts: Accounts,
    role: Role,
    audited: bool,
) -> None:
    dept = await create_department(client, admin)
    for n in range(5):
        response = await client.post(
            "/api/v1/employees",
            json={
                "employee_number": f"S-{uuid.uuid4().hex[:8]}",
                "first_name": "Pay",
                "last_name": f"Roll{n}",
                "email": f"pay{n}-{uuid.uuid4().hex[:6]}@example.com",
                "hire_date": "2020-01-01",
                "department_id": dept["id"],
                "salary": f"{n}8765.43",
                "salary_currency": "CHF",
            },
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
    caller = await accounts.signed_in(role)
    before = await counts(runtime)
    stats = await client.get(department_url(dept["id"]) + "/stats", headers=caller.headers)
    assert stats.status_code == 200
    assert ("salary" in stats.json() and stats.json()["salary"] is not None) is audited
    expected = Counter({"department.read_salary_stats": 1}) if audited else Counter()
    assert await new_events(runtime, before) == expected
    if audited:
        event = (await events(runtime, "department.read_salary_stats"))[-1]
        assert event.fields == ["salary", "salary_currency"]
        assert (event.target_id, event.actor_id) == (dept["id"], caller.id)
        text = await stored_text(runtime)
        assert "8765.43" not in text  # every salary ends so; hex and UUIDs have no dots
        assert "CHF" not in text
