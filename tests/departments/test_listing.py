"""GET /departments: the page envelope, paging, sorting and the q and parent_id filters."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.departments import DEPARTMENT_FIELDS, DEPARTMENTS, create_department, patch

# Created in this order; mixed case so a case-sensitive sort would put "alpha" last.
NAMES = ["delta", "Bravo", "echo", "Alpha", "charlie", "Foxtrot 100%", "golf_course"]
BY_NAME = ["Alpha", "Bravo", "charlie", "delta", "echo", "Foxtrot 100%", "golf_course"]


async def listing(client: httpx.AsyncClient, caller: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(DEPARTMENTS, params=params, headers=caller.headers)
    assert response.status_code == 200, (params, response.text)
    body: dict[str, Any] = response.json()
    return body


def names(page: dict[str, Any]) -> list[str]:
    return [d["name"] for d in page["items"]]


@pytest.fixture
async def departments(client: httpx.AsyncClient, admin: Account) -> list[dict[str, Any]]:
    """Seven departments in NAMES order; the last three are children of "Alpha"."""
    created = [await create_department(client, admin, name) for name in NAMES]
    alpha = created[NAMES.index("Alpha")]
    for dept in created[-3:]:
        moved = await patch(client, admin, dept["id"], {"parent_id": alpha["id"]})
        assert moved.status_code == 200, moved.text
        dept.update(moved.json())
    return created


async def test_envelope_and_defaults(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    page = await listing(client, admin)
    assert set(page) == {"items", "total", "page", "page_size"}
    assert (page["page"], page["page_size"], page["total"]) == (1, 50, len(NAMES))
    for item in page["items"]:
        assert set(item) == DEPARTMENT_FIELDS
    # Default order: by name, case-insensitively.
    assert names(page) == BY_NAME
    assert {d["id"]: d for d in page["items"]} == {d["id"]: d for d in departments}


async def test_pages_cover_every_department_exactly_once(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    for size in (1, 2, 3, 7, 500):
        seen: list[str] = []
        page_no = 1
        while True:
            page = await listing(client, admin, page=page_no, page_size=size)
            assert page["page"] == page_no
            assert page["page_size"] == size
            assert page["total"] == len(NAMES)
            assert len(page["items"]) <= size
            if not page["items"]:
                break
            seen += names(page)
            page_no += 1
        assert seen == BY_NAME, size
        assert page_no == -(-len(NAMES) // size) + 1

    beyond = await listing(client, admin, page=99, page_size=3)
    assert beyond["items"] == []
    assert beyond["total"] == len(NAMES)


async def test_sorting(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    assert names(await listing(client, admin, sort="name")) == BY_NAME
    assert names(await listing(client, admin, sort="-name")) == BY_NAME[::-1]
    # created_at: creation order (ties broken by id, so compare as a stable order).
    by_created = await listing(client, admin, sort="created_at")
    stamps = [d["created_at"] for d in by_created["items"]]
    assert stamps == sorted(stamps)
    assert names(by_created) == NAMES
    newest_first = await listing(client, admin, sort="-created_at")
    assert [d["id"] for d in newest_first["items"]] == [d["id"] for d in by_created["items"]][::-1]
    # Sorting and paging together.
    second = await listing(client, admin, sort="-name", page=2, page_size=3)
    assert names(second) == BY_NAME[::-1][3:6]


async def test_unknown_or_malformed_sort_is_422(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    bad = ["description", "-parent_id", "version", "id", "nmae", "Name", "name;drop", "--name"]
    for sort in [*bad, "", "x" * 65]:
        response = await client.get(DEPARTMENTS, params={"sort": sort}, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert {e["field"] for e in problem["errors"]} == {"sort"}, sort


async def test_empty_list_and_bad_paging(client: httpx.AsyncClient, admin: Account) -> None:
    assert await listing(client, admin) == {"items": [], "total": 0, "page": 1, "page_size": 50}
    for params, field in (
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "one"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "all"}, "page_size"),
    ):
        response = await client.get(DEPARTMENTS, params=params, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert {e["field"] for e in problem["errors"]} == {field}, params


async def test_q_matches_name_contains_case_insensitively(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    cases = {
        "ALPHA": ["Alpha"],
        "alpha": ["Alpha"],
        "a": ["Alpha", "Bravo", "charlie", "delta"],
        "HA": ["Alpha", "charlie"],
        "rAv": ["Bravo"],
        "o": ["Bravo", "echo", "Foxtrot 100%", "golf_course"],
        "zulu": [],
        # % and _ are literal characters, not wildcards.
        "%": ["Foxtrot 100%"],
        "0%": ["Foxtrot 100%"],
        "_": ["golf_course"],
        "f_c": ["golf_course"],
        "a%": [],
        "l_h": [],
        "\\": [],
        "'": [],
    }
    for q, expected in cases.items():
        page = await listing(client, admin, q=q)
        assert names(page) == expected, q
        assert page["total"] == len(expected), q
    # An empty q filters nothing.
    assert names(await listing(client, admin, q="")) == BY_NAME
    # q with paging: the total counts every match, the page holds some.
    page = await listing(client, admin, q="o", page_size=2, page=2)
    assert page["total"] == 4
    assert names(page) == ["Foxtrot 100%", "golf_course"]


async def test_q_backslash_is_literal_and_bad_q_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await create_department(client, admin, "Back\\slash")
    await create_department(client, admin, "Backslash")
    assert names(await listing(client, admin, q="k\\s")) == ["Back\\slash"]
    assert names(await listing(client, admin, q="\\")) == ["Back\\slash"]

    for q in ("x" * 201, "nul\x00", "esc\x1b["):
        response = await client.get(DEPARTMENTS, params={"q": q}, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert {e["field"] for e in problem["errors"]} == {"q"}


async def test_parent_id_filter(
    client: httpx.AsyncClient, admin: Account, departments: list[dict[str, Any]]
) -> None:
    alpha = next(d for d in departments if d["name"] == "Alpha")
    children = await listing(client, admin, parent_id=alpha["id"])
    assert names(children) == ["charlie", "Foxtrot 100%", "golf_course"]
    assert children["total"] == 3
    assert all(d["parent_id"] == alpha["id"] for d in children["items"])

    # Only direct children: a grandchild is not listed under its grandparent.
    charlie = next(d for d in departments if d["name"] == "charlie")
    await create_department(client, admin, "Hotel", parent_id=charlie["id"])
    assert names(await listing(client, admin, parent_id=alpha["id"])) == names(children)
    assert names(await listing(client, admin, parent_id=charlie["id"])) == ["Hotel"]

    # Combined with q and sort.
    both = await listing(client, admin, parent_id=alpha["id"], q="O", sort="-name")
    assert names(both) == ["golf_course", "Foxtrot 100%"]
    # A leaf or an unknown id has no children.
    bravo = next(d for d in departments if d["name"] == "Bravo")
    for parent in (bravo["id"], str(uuid.uuid4())):
        assert await listing(client, admin, parent_id=parent) == {
            "items": [],
            "total": 0,
            "page": 1,
            "page_size": 50,
        }
