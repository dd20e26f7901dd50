"""GET /users: the page envelope, paging, sorting and filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.users import USER_FIELDS, USERS, create_user, user_url

# Distinct first letters, one case style: the order is the same under any collation.
PEOPLE = [
    {"email": "carol@example.com", "full_name": "Walter Brown", "role": "hr"},
    {"email": "bruno@example.com", "full_name": "Xena Cole", "role": "manager"},
    {"email": "dana@example.org", "full_name": "Victor Ellis", "role": "employee"},
    {"email": "evan@example.net", "full_name": "Yusuf Dahl", "role": "hr"},
    {"email": "fay@example.com", "full_name": "Uma Fox", "role": "employee"},
]


async def listing(client: httpx.AsyncClient, admin: Account, **params: Any) -> dict[str, Any]:
    response = await client.get(USERS, params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def people(client: httpx.AsyncClient, admin: Account) -> list[dict[str, Any]]:
    """Five users besides the admin, created in this order; the last one is inactive."""
    created = [await create_user(client, admin, **person) for person in PEOPLE]
    off = await client.patch(
        user_url(created[-1]["id"]), json={"is_active": False}, headers=admin.headers
    )
    assert off.status_code == 200
    created[-1] = off.json()
    return created


async def test_envelope_and_defaults(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    page = await listing(client, admin)
    assert set(page) == {"items", "total", "page", "page_size"}
    assert page["page"] == 1
    assert page["page_size"] == 50
    assert page["total"] == len(people) + 1
    assert len(page["items"]) == page["total"]
    for item in page["items"]:
        assert set(item) == USER_FIELDS
    assert {u["id"] for u in page["items"]} == {p["id"] for p in people} | {str(admin.id)}


async def test_pages_cover_every_user_exactly_once(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    for sort in (None, "email", "-full_name", "created_at"):
        extra = {"sort": sort} if sort else {}
        whole = await listing(client, admin, page_size=500, **extra)
        total = whole["total"]

        seen: list[str] = []
        for number in (1, 2, 3):
            page = await listing(client, admin, page=number, page_size=2, **extra)
            assert page["page"] == number
            assert page["page_size"] == 2
            assert page["total"] == total
            assert len(page["items"]) == min(2, total - 2 * (number - 1))
            seen += [u["id"] for u in page["items"]]

        assert seen == [u["id"] for u in whole["items"]], sort
        assert len(set(seen)) == total == len(people) + 1


async def test_a_page_past_the_end_is_empty_with_the_total(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    page = await listing(client, admin, page=100, page_size=5)
    assert page["items"] == []
    assert page["total"] == len(people) + 1
    assert page["page"] == 100


async def test_page_size_500_is_the_maximum(client: httpx.AsyncClient, admin: Account) -> None:
    page = await listing(client, admin, page_size=500)
    assert page["page_size"] == 500


INVALID_PARAMS: list[tuple[dict[str, Any], str]] = [
    ({"page_size": 501}, "page_size"),
    ({"page_size": 0}, "page_size"),
    ({"page_size": -1}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"page": 0}, "page"),
    ({"page": -1}, "page"),
    ({"page": "first"}, "page"),
    ({"page": 1.5}, "page"),
    ({"role": "superuser"}, "role"),
    ({"role": "ADMIN"}, "role"),
    ({"is_active": "maybe"}, "is_active"),
    ({"q": "x" * 201}, "q"),
    ({"sort": "--email"}, "sort"),
    ({"sort": "email;drop table users"}, "sort"),
    ({"sort": "Email"}, "sort"),
]


async def test_invalid_list_parameters_are_422(client: httpx.AsyncClient, admin: Account) -> None:
    for params, field in INVALID_PARAMS:
        response = await client.get(USERS, params=params, headers=admin.headers)
        problem = assert_problem(response, 422)
        assert {e["field"] for e in problem["errors"]} == {field}, params


async def test_unknown_or_private_sort_field_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Sorting by a hidden column would leak it one comparison at a time."""
    for sort in ("nope", "password_hash", "-password_hash", "version", "is_active_"):
        response = await client.get(USERS, params={"sort": sort}, headers=admin.headers)
        problem = assert_problem(response, 422, "invalid_sort")
        assert {e["field"] for e in problem["errors"]} == {"sort"}, sort


async def test_sort_by_email_and_full_name_both_ways(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    for field in ("email", "full_name"):
        ascending = [u[field] for u in (await listing(client, admin, sort=field))["items"]]
        descending = [u[field] for u in (await listing(client, admin, sort=f"-{field}"))["items"]]

        assert ascending == sorted(ascending), field
        assert set(ascending) >= {p[field] for p in people}
        assert len(ascending) == len(people) + 1
        assert descending == list(reversed(ascending)), field


async def test_sort_by_created_at_both_ways(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    oldest_first = (await listing(client, admin, sort="created_at"))["items"]
    newest_first = (await listing(client, admin, sort="-created_at"))["items"]

    stamps = [datetime.fromisoformat(u["created_at"]) for u in oldest_first]
    assert stamps == sorted(stamps)
    # The admin came first, then the people in the order they were created.
    assert [u["id"] for u in oldest_first] == [str(admin.id)] + [p["id"] for p in people]
    assert [u["id"] for u in newest_first] == [u["id"] for u in reversed(oldest_first)]


async def test_filter_by_role(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    for role in ("admin", "hr", "manager", "employee"):
        page = await listing(client, admin, role=role)
        expected = {p["id"] for p in people if p["role"] == role}
        if role == "admin":
            expected.add(str(admin.id))
        assert {u["id"] for u in page["items"]} == expected, role
        assert page["total"] == len(expected)
        assert all(u["role"] == role for u in page["items"])


async def test_filter_by_is_active(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    everyone = [*people, {"id": str(admin.id), "is_active": True}]
    for active in (True, False):
        page = await listing(client, admin, is_active=str(active).lower())
        expected = {p["id"] for p in everyone if p["is_active"] is active}
        assert expected  # both groups are non-empty in this data
        assert {u["id"] for u in page["items"]} == expected, active
        assert page["total"] == len(expected)


async def test_filters_combine(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    page = await listing(client, admin, role="employee", is_active="true")
    expected = {p["id"] for p in people if p["role"] == "employee" and p["is_active"]}
    assert {u["id"] for u in page["items"]} == expected
    assert page["total"] == len(expected)

    page = await listing(client, admin, role="hr", q="example.net")
    assert {u["id"] for u in page["items"]} == {
        p["id"] for p in people if p["role"] == "hr" and "example.net" in p["email"]
    }


Q_CASES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("bruno", lambda p: p["email"].startswith("bruno@")),
    ("BRUNO@EXAMPLE", lambda p: p["email"].startswith("bruno@")),
    ("example.org", lambda p: p["email"].endswith("@example.org")),
    ("xena", lambda p: p["full_name"] == "Xena Cole"),
    ("ELLIS", lambda p: p["full_name"] == "Victor Ellis"),
    ("r bro", lambda p: p["full_name"] == "Walter Brown"),
    ("o", lambda p: "o" in p["email"] or "o" in p["full_name"].lower()),
    ("nobody-has-this", lambda p: False),
]


async def test_q_matches_email_or_name_case_insensitively(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    everyone = [*people, (await client.get(user_url(admin.id), headers=admin.headers)).json()]
    for q, matches in Q_CASES:
        page = await listing(client, admin, q=q)
        expected = {p["id"] for p in everyone if matches(p)}
        assert {u["id"] for u in page["items"]} == expected, q
        assert page["total"] == len(expected)


async def test_filters_apply_before_paging(
    client: httpx.AsyncClient, admin: Account, people: list[dict[str, Any]]
) -> None:
    page = await listing(client, admin, q="example.com", page=2, page_size=1, sort="email")
    all_matching = await listing(client, admin, q="example.com", sort="email")
    assert page["total"] == all_matching["total"] >= 2
    assert page["items"] == all_matching["items"][1:2]
