"""Optimistic concurrency on users: ETag on reads, If-Match on PATCH and DELETE."""

from __future__ import annotations

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.users import all_users, can_login, create_user, new_employee, user_body, user_url


async def read(client: httpx.AsyncClient, admin: Account, user_id: str) -> httpx.Response:
    response = await client.get(user_url(user_id), headers=admin.headers)
    assert response.status_code == 200, response.text
    return response


async def test_get_returns_an_etag_that_is_stable_while_nothing_changes(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    first = (await read(client, admin, user["id"])).headers["ETag"]
    second = (await read(client, admin, user["id"])).headers["ETag"]
    assert first
    assert first == second
    # A quoted entity tag (RFC 9110 §8.8.3).
    assert first.removeprefix("W/").startswith('"')
    assert first.endswith('"')


async def test_patch_with_the_current_etag_succeeds_and_returns_a_new_one(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    etag = (await read(client, admin, user["id"])).headers["ETag"]

    response = await client.patch(
        user_url(user["id"]),
        json={"full_name": "Mary Jackson"},
        headers={**admin.headers, "If-Match": etag},
    )

    assert response.status_code == 200, response.text
    new_etag = response.headers["ETag"]
    assert new_etag != etag
    assert (await read(client, admin, user["id"])).headers["ETag"] == new_etag
    # The new tag works for the next update.
    again = await client.patch(
        user_url(user["id"]),
        json={"role": "hr"},
        headers={**admin.headers, "If-Match": new_etag},
    )
    assert again.status_code == 200, again.text
    assert again.headers["ETag"] not in {etag, new_etag}


async def test_every_kind_of_change_moves_the_etag(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    seen = {(await read(client, admin, user["id"])).headers["ETag"]}
    for change in (
        {"full_name": "Someone Else"},
        {"role": "manager"},
        {"is_active": False},
        {"password": "a brand new Secret 77"},
        {"employee_id": await new_employee(client, admin)},
        {"employee_id": None},
    ):
        response = await client.patch(user_url(user["id"]), json=change, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] not in seen, change
        seen.add(response.headers["ETag"])


async def test_patch_with_a_stale_etag_is_412_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    body = user_body()
    user = await create_user(client, admin, **body)
    stale = (await read(client, admin, user["id"])).headers["ETag"]
    first = await client.patch(
        user_url(user["id"]), json={"full_name": "First Writer"}, headers=admin.headers
    )
    assert first.status_code == 200
    before = await all_users(client, admin)

    for change in (
        {"full_name": "Second Writer"},
        {"role": "admin"},
        {"is_active": False},
        {"password": "would be lost 12345"},
    ):
        response = await client.patch(
            user_url(user["id"]), json=change, headers={**admin.headers, "If-Match": stale}
        )
        assert_problem(response, 412, "stale_etag")

    assert await all_users(client, admin) == before
    assert await can_login(client, body["email"], body["password"])


async def test_delete_with_a_stale_etag_is_412_and_keeps_the_user(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    stale = (await read(client, admin, user["id"])).headers["ETag"]
    await client.patch(user_url(user["id"]), json={"role": "manager"}, headers=admin.headers)
    before = await all_users(client, admin)

    response = await client.delete(
        user_url(user["id"]), headers={**admin.headers, "If-Match": stale}
    )

    assert_problem(response, 412, "stale_etag")
    assert await all_users(client, admin) == before


async def test_delete_with_the_current_etag_deletes(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    etag = (await read(client, admin, user["id"])).headers["ETag"]
    response = await client.delete(
        user_url(user["id"]), headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 204
    assert_problem(await client.get(user_url(user["id"]), headers=admin.headers), 404)


async def test_if_match_with_an_unrelated_tag_is_412(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    for tag in ('"no-such-version"', "garbage", '""'):
        response = await client.patch(
            user_url(user["id"]),
            json={"full_name": "Nope"},
            headers={**admin.headers, "If-Match": tag},
        )
        assert_problem(response, 412, "stale_etag")
    assert (await read(client, admin, user["id"])).json() == user


async def test_if_match_star_or_a_list_containing_the_current_tag_succeeds(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    current = (await read(client, admin, user["id"])).headers["ETag"]
    star = await client.patch(
        user_url(user["id"]), json={"full_name": "Star"}, headers={**admin.headers, "If-Match": "*"}
    )
    assert star.status_code == 200, star.text
    stale, current = current, star.headers["ETag"]
    listed = await client.patch(
        user_url(user["id"]),
        json={"full_name": "Listed"},
        headers={**admin.headers, "If-Match": f'"x", {stale}, {current}'},
    )
    assert listed.status_code == 200, listed.text


async def test_without_if_match_the_last_write_wins(
    client: httpx.AsyncClient, admin: Account
) -> None:
    user = await create_user(client, admin)
    read_by_both = (await read(client, admin, user["id"])).headers["ETag"]

    first = await client.patch(
        user_url(user["id"]), json={"full_name": "Writer One"}, headers=admin.headers
    )
    second = await client.patch(
        user_url(user["id"]), json={"full_name": "Writer Two"}, headers=admin.headers
    )

    assert first.status_code == second.status_code == 200
    final = await read(client, admin, user["id"])
    assert final.json()["full_name"] == "Writer Two"
    assert final.headers["ETag"] not in {read_by_both, first.headers["ETag"]}
    assert final.headers["ETag"] == second.headers["ETag"]


async def test_lost_update_is_prevented_between_two_editors(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Both read the same version; the second writer is told to reload."""
    user = await create_user(client, admin)
    etag = (await read(client, admin, user["id"])).headers["ETag"]
    headers = {**admin.headers, "If-Match": etag}

    one = await client.patch(user_url(user["id"]), json={"role": "hr"}, headers=headers)
    two = await client.patch(user_url(user["id"]), json={"role": "manager"}, headers=headers)

    assert one.status_code == 200
    assert_problem(two, 412, "stale_etag")
    assert (await read(client, admin, user["id"])).json()["role"] == "hr"
