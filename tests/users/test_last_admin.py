"""The last active administrator can be neither deleted, deactivated nor demoted."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.kit.errors import Conflict
from shre.policy import Principal, Role
from shre.users.passwords import PasswordHasher
from shre.users.schemas import UserUpdate
from shre.users.service import UserService
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.users import USERS, all_users, can_login, create_user, user_url

LOSING_ADMIN: list[tuple[str, dict[str, Any] | None]] = [
    ("DELETE", None),
    ("PATCH", {"is_active": False}),
    ("PATCH", {"role": "hr"}),
    ("PATCH", {"role": "manager"}),
    ("PATCH", {"role": "employee"}),
    ("PATCH", {"role": "employee", "is_active": False}),
    ("PATCH", {"role": "hr", "full_name": "Still Admin?"}),
]


async def losing(
    client: httpx.AsyncClient, actor: Account, user_id: Any, method: str, body: Any
) -> httpx.Response:
    return await client.request(method, user_url(user_id), json=body, headers=actor.headers)


async def active_admins(client: httpx.AsyncClient, admin: Account) -> set[str]:
    response = await client.get(
        USERS, params={"role": "admin", "is_active": "true"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()["items"]}


async def test_the_last_admin_cannot_remove_themselves(
    client: httpx.AsyncClient, admin: Account
) -> None:
    before = await all_users(client, admin)

    for method, body in LOSING_ADMIN:
        response = await losing(client, admin, admin.id, method, body)
        assert_problem(response, 409, "last_admin")

    assert await all_users(client, admin) == before
    assert await can_login(client, admin.email, admin.password)


async def test_the_last_admin_may_still_change_harmless_fields(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for body in ({"full_name": "Renamed Admin"}, {"role": "admin"}, {"is_active": True}):
        response = await client.patch(user_url(admin.id), json=body, headers=admin.headers)
        assert response.status_code == 200, response.text
    assert await active_admins(client, admin) == {str(admin.id)}


async def test_with_two_admins_one_can_go_then_the_other_cannot(
    client: httpx.AsyncClient, admin: Account
) -> None:
    second = await create_user(client, admin, role="admin")

    demote = await client.patch(user_url(second["id"]), json={"role": "hr"}, headers=admin.headers)
    assert demote.status_code == 200, demote.text
    assert demote.json()["role"] == "hr"

    before = await all_users(client, admin)
    for method, body in LOSING_ADMIN:
        assert_problem(await losing(client, admin, admin.id, method, body), 409, "last_admin")
    assert await all_users(client, admin) == before


@pytest.mark.parametrize(("method", "body"), LOSING_ADMIN[:3])
async def test_an_admin_may_remove_themselves_while_another_remains(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, method: str, body: Any
) -> None:
    other = await accounts.signed_in(Role.ADMIN)

    response = await losing(client, other, other.id, method, body)

    assert response.status_code in {200, 204}, response.text
    assert await active_admins(client, admin) == {str(admin.id)}
    # And now the remaining one is the last.
    assert_problem(await losing(client, admin, admin.id, method, body), 409, "last_admin")


async def test_an_inactive_admin_does_not_count(client: httpx.AsyncClient, admin: Account) -> None:
    dormant = await create_user(client, admin, role="admin")
    off = await client.patch(
        user_url(dormant["id"]), json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200, off.text
    before = await all_users(client, admin)

    for method, body in LOSING_ADMIN:
        assert_problem(await losing(client, admin, admin.id, method, body), 409, "last_admin")

    assert await all_users(client, admin) == before
    # The inactive admin itself is no safeguard and may be demoted or deleted.
    demote = await client.patch(user_url(dormant["id"]), json={"role": "hr"}, headers=admin.headers)
    assert demote.status_code == 200, demote.text
    assert (await client.delete(user_url(dormant["id"]), headers=admin.headers)).status_code == 204


async def test_reactivated_admin_counts_again(client: httpx.AsyncClient, admin: Account) -> None:
    dormant = await create_user(client, admin, role="admin")
    await client.patch(user_url(dormant["id"]), json={"is_active": False}, headers=admin.headers)
    assert_problem(
        await client.patch(user_url(admin.id), json={"role": "hr"}, headers=admin.headers),
        409,
        "last_admin",
    )

    on = await client.patch(
        user_url(dormant["id"]), json={"is_active": True}, headers=admin.headers
    )
    assert on.status_code == 200, on.text

    demote = await client.patch(user_url(admin.id), json={"role": "hr"}, headers=admin.headers)
    assert demote.status_code == 200, demote.text
    assert demote.json()["role"] == "hr"


async def test_promoting_a_user_then_the_old_admin_can_step_down(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    promote = await client.patch(user_url(hr.id), json={"role": "admin"}, headers=admin.headers)
    assert promote.status_code == 200, promote.text

    step_down = await client.patch(
        user_url(admin.id), json={"role": "employee"}, headers=admin.headers
    )
    assert step_down.status_code == 200, step_down.text
    assert (await client.get(USERS, headers=hr.headers)).status_code == 200
    assert_problem(await client.get(USERS, headers=admin.headers), 403)


async def test_concurrent_demotions_of_two_admins_leave_one(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """Each request alone is allowed; together they must not leave no admin."""
    other = await accounts.signed_in(Role.ADMIN)

    first, second = await asyncio.gather(
        client.patch(user_url(other.id), json={"role": "hr"}, headers=admin.headers),
        client.patch(user_url(admin.id), json={"role": "hr"}, headers=other.headers),
    )

    statuses = sorted([first.status_code, second.status_code])
    assert statuses[0] == 200, (first.text, second.text)
    assert statuses[1] in {403, 409}, (first.text, second.text)
    survivor = other if first.status_code != 200 else admin
    assert await active_admins(client, survivor) == {str(survivor.id)}


async def _remove(service: UserService, actor: Principal, user_id: Any, how: str) -> None:
    if how == "delete":
        await service.delete(actor, user_id, None)
    else:
        change = {"role": Role.HR} if how == "demote" else {"is_active": False}
        await service.update(actor, user_id, UserUpdate.model_validate(change), None)


@pytest.mark.parametrize(
    ("first", "second"),
    [("demote", "demote"), ("delete", "deactivate"), ("deactivate", "delete")],
)
async def test_interleaved_removals_of_two_admins_keep_one(
    runtime: Runtime, accounts: Accounts, first: str, second: str
) -> None:
    """Two transactions each remove a different one of two admins. The second one must
    wait for the first and then see that it would leave none. Driven through the service
    with two sessions because only that pins the interleaving (HTTP cannot)."""
    one = await accounts.create(Role.ADMIN)
    two = await accounts.create(Role.ADMIN)
    actor = Principal(id=one, email="one@example.com", role=Role.ADMIN, employee_id=None)

    def service(session: AsyncSession) -> UserService:
        audit = AuditTrail.system(session, runtime.sessionmaker)
        return UserService(session, runtime.part(PasswordHasher), audit)

    async def count_active_admins(session: AsyncSession) -> int:
        return len(await service(session).repo.lock_active_admins())

    async with runtime.sessionmaker() as s1, runtime.sessionmaker() as s2:
        await _remove(service(s1), actor, two, first)  # not committed
        racer = asyncio.create_task(_remove(service(s2), actor, one, second))
        await asyncio.sleep(0.2)
        assert not racer.done(), "the second removal must wait for the first transaction"
        await s1.commit()
        with pytest.raises(Conflict) as caught:
            await racer
        assert caught.value.code == "last_admin"
        await s2.rollback()

    async with runtime.sessionmaker() as session:
        assert await count_active_admins(session) == 1
