"""Optimistic concurrency on departments: ETag on reads and writes, If-Match on PATCH and
DELETE (a stale tag is 412 and changes nothing; no If-Match: the last write wins)."""

from __future__ import annotations

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.departments import (
    all_departments,
    create_department,
    department_url,
    fetch,
    make_chain,
    patch,
    read,
)


async def test_current_etag_works_and_every_change_moves_it(
    client: httpx.AsyncClient, admin: Account
) -> None:
    parent = await create_department(client, admin, "Parent")
    dept = await create_department(client, admin, "Child")
    etag = (await read(client, admin, dept["id"])).headers["ETag"]
    seen = {etag}

    for change in (
        {"name": "Renamed"},
        {"description": "Now described"},
        {"parent_id": parent["id"]},
        {"parent_id": None},
        {"description": None},
    ):
        response = await patch(client, admin, dept["id"], change, **{"If-Match": etag})
        assert response.status_code == 200, (change, response.text)
        new = response.headers["ETag"]
        assert new not in seen, change
        seen.add(new)
        assert (await read(client, admin, dept["id"])).headers["ETag"] == new
        etag = new

    # A list of tags containing the current one, and "*", match too.
    listed = await patch(
        client, admin, dept["id"], {"name": "Listed"}, **{"If-Match": f'"x", {etag}'}
    )
    assert listed.status_code == 200, listed.text
    star = await patch(client, admin, dept["id"], {"name": "Star"}, **{"If-Match": "*"})
    assert star.status_code == 200, star.text


async def test_stale_etag_on_patch_is_412_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    other = await create_department(client, admin, "Other")
    dept = await create_department(client, admin, "Contested")
    stale = (await read(client, admin, dept["id"])).headers["ETag"]
    first = await patch(client, admin, dept["id"], {"description": "first writer"})
    assert first.status_code == 200
    before = await all_departments(client, admin)

    for change in (
        {"name": "Second Writer"},
        {"description": "second writer"},
        {"parent_id": other["id"]},
        {"name": "Other"},  # would also be a name conflict: the precondition comes first
        {},
    ):
        response = await patch(client, admin, dept["id"], change, **{"If-Match": stale})
        assert_problem(response, 412, "stale_etag")

    for tag in ('"no-such-version"', "garbage", '""', f"W/{first.headers['ETag']}"):
        response = await patch(client, admin, dept["id"], {"name": "Nope"}, **{"If-Match": tag})
        assert_problem(response, 412, "stale_etag")

    assert await all_departments(client, admin) == before
    assert (await read(client, admin, dept["id"])).headers["ETag"] == first.headers["ETag"]


async def test_stale_etag_on_delete_is_412_and_keeps_the_department(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Survivor")
    stale = (await read(client, admin, dept["id"])).headers["ETag"]
    renamed = await patch(client, admin, dept["id"], {"name": "Survivor II"})
    assert renamed.status_code == 200
    before = await all_departments(client, admin)

    response = await client.delete(
        department_url(dept["id"]), headers={**admin.headers, "If-Match": stale}
    )

    assert_problem(response, 412, "stale_etag")
    assert await all_departments(client, admin) == before

    current = renamed.headers["ETag"]
    deleted = await client.delete(
        department_url(dept["id"]), headers={**admin.headers, "If-Match": current}
    )
    assert deleted.status_code == 204
    assert_problem(await client.get(department_url(dept["id"]), headers=admin.headers), 404)


async def test_moving_a_child_does_not_change_the_parents_etag(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A tag names one record's version; changes elsewhere in the tree leave it valid."""
    parent, child = await make_chain(client, admin, 2)
    etag = (await read(client, admin, parent["id"])).headers["ETag"]
    assert (await patch(client, admin, child["id"], {"parent_id": None})).status_code == 200
    assert (await read(client, admin, parent["id"])).headers["ETag"] == etag
    response = await patch(
        client, admin, parent["id"], {"name": "Still fresh"}, **{"If-Match": etag}
    )
    assert response.status_code == 200, response.text


async def test_two_editors_with_the_same_etag_one_wins_and_no_if_match_means_last_wins(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Shared")
    etag = (await read(client, admin, dept["id"])).headers["ETag"]

    one = await patch(client, admin, dept["id"], {"name": "Editor One"}, **{"If-Match": etag})
    two = await patch(client, admin, dept["id"], {"name": "Editor Two"}, **{"If-Match": etag})

    assert one.status_code == 200
    assert_problem(two, 412, "stale_etag")
    assert (await fetch(client, admin, dept["id"]))["name"] == "Editor One"

    # Without If-Match the last write wins.
    first = await patch(client, admin, dept["id"], {"description": "one"})
    second = await patch(client, admin, dept["id"], {"description": "two"})
    assert first.status_code == second.status_code == 200
    final = await read(client, admin, dept["id"])
    assert final.json()["description"] == "two"
    assert final.json()["name"] == "Editor One"
    assert final.headers["ETag"] == second.headers["ETag"] != first.headers["ETag"]
