"""GET /api/v1/audit and /audit/verify: administrators only, filters, paging and sorting
by the contract, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import AUDIT, EVENT_FIELDS, VERIFY, clock, events, tamper, write

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def page(client: httpx.AsyncClient, admin: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(AUDIT, params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("role", [Role.HR, Role.MANAGER, Role.EMPLOYEE])
async def test_only_admins_read_the_log(
    client: httpx.AsyncClient, accounts: Accounts, role: Role
) -> None:
    caller = await accounts.signed_in(role)
    assert_problem(await client.get(AUDIT, headers=caller.headers), 403, "admin_only")
    assert_problem(await client.get(VERIFY, headers=caller.headers), 403, "admin_only")


async def test_without_a_token_it_is_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(AUDIT), 401)
    assert_problem(await client.get(VERIFY), 401)


async def test_events_have_the_contract_shape_newest_first(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    body = await page(client, admin)
    assert set(body) == {"items", "total", "page", "page_size"}
    assert (body["page"], body["page_size"]) == (1, 50)
    assert body["total"] == len(body["items"]) >= 2  # the admin's creation and sign-in
    first = body["items"][0]
    assert set(first) == EVENT_FIELDS
    assert first["action"] == "auth.login"
    assert first["actor_id"] == str(admin.id)
    assert first["at"].endswith("Z") or first["at"].endswith("+00:00")
    seqs = [item["seq"] for item in body["items"]]
    assert seqs == sorted(seqs, reverse=True)


async def test_filters(
    client: httpx.AsyncClient,
    runtime: Runtime,
    admin: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = [uuid.uuid4(), uuid.uuid4()]
    with clock(monkeypatch, T0):
        await write(runtime, 2, "employee.read_sensitive", target_type="employee", target_id="e-1")
    with clock(monkeypatch, T0 + timedelta(days=1)):
        await write(runtime, 1, "employee.list", target_type="employee", target_ids=listed)
    with clock(monkeypatch, T0 + timedelta(days=2)):
        await write(runtime, 3, "keys.rotate", target_type="master_key", target_id="ab12cd34")

    def actions(body: dict[str, Any]) -> list[str]:
        return [item["action"] for item in body["items"]]

    assert actions(await page(client, admin, action="keys.rotate")) == ["keys.rotate"] * 3
    assert set(actions(await page(client, admin, action="employee.*"))) == {
        "employee.read_sensitive",
        "employee.list",
    }
    assert (await page(client, admin, action="employee"))["total"] == 0
    assert (await page(client, admin, target_type="employee"))["total"] == 3
    assert (await page(client, admin, target_id="e-1"))["total"] == 2
    # A record covered by a list event is found through it.
    covered = await page(client, admin, target_id=str(listed[1]).upper())
    assert actions(covered) == ["employee.list"]
    assert covered["items"][0]["target_ids"] == [str(u) for u in listed]
    assert (await page(client, admin, actor_id=str(admin.id)))["total"] == 1  # its sign-in
    system = await page(client, admin, actor_id=str(uuid.uuid4()))
    assert system["total"] == 0

    day1 = (T0 + timedelta(days=1)).isoformat()
    assert (
        actions(await page(client, admin, since=T0.isoformat(), until=day1))
        == ["employee.read_sensitive"] * 2
    )
    # Without an offset a time is UTC; `until` is exclusive, `since` inclusive.
    naive_day1 = (T0 + timedelta(days=1)).replace(tzinfo=None).isoformat()
    window = await page(client, admin, since=naive_day1, until=(T0 + timedelta(days=2)).isoformat())
    assert actions(window) == ["employee.list"]
    in_tokyo = (T0 + timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    day2 = (T0 + timedelta(days=2)).isoformat()
    assert actions(await page(client, admin, since=in_tokyo.isoformat(), until=day2)) == [
        "employee.list"
    ]


async def test_paging_and_sorting(
    client: httpx.AsyncClient, runtime: Runtime, admin: Account
) -> None:
    await write(runtime, 7, "test.event")
    first = await page(client, admin, action="test.event", page_size=3)
    second = await page(client, admin, action="test.event", page_size=3, page=2)
    third = await page(client, admin, action="test.event", page_size=3, page=3)
    assert first["total"] == 7
    seen = [i["seq"] for body in (first, second, third) for i in body["items"]]
    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == 7
    ascending = await page(client, admin, action="test.event", sort="seq")
    assert [i["seq"] for i in ascending["items"]] == sorted(seen)
    assert (await page(client, admin, sort="action"))["items"][0]["action"] == "auth.login"
    assert (await page(client, admin, sort="-action"))["items"][0]["action"] == "user.create"


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "client_ip"},
        {"page_size": 501},
        {"action": "DROP TABLE"},
        {"action": "auth.%"},
        {"target_id": "a b"},
        {"actor_id": "nope"},
        {"since": "yesterday"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    ],
)
async def test_bad_queries_are_422(
    client: httpx.AsyncClient, admin: Account, params: dict[str, Any]
) -> None:
    assert_problem(await client.get(AUDIT, params=params, headers=admin.headers), 422)


async def test_verify_endpoint(client: httpx.AsyncClient, runtime: Runtime, admin: Account) -> None:
    response = await client.get(VERIFY, headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["first_bad_event_id"] is None
    assert body["checked"] == len(await events(runtime))
    assert {"ok", "checked", "first_bad_event_id"} <= set(body)

    victim = (await events(runtime))[0]
    await tamper(
        runtime, "UPDATE audit_events SET outcome = 'failure' WHERE seq = :s", s=victim.seq
    )
    body = (await client.get(VERIFY, headers=admin.headers)).json()
    assert body["ok"] is False
    assert body["first_bad_event_id"] == str(victim.id)
    assert body["first_bad_seq"] == victim.seq
    assert "edited" in body["reason"]
