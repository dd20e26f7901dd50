"""Names are unique regardless of case and trimmed; bad input is 422 naming the field and
changes nothing; hostile strings are stored as plain text."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.departments import (
    DEPARTMENTS,
    all_departments,
    create_department,
    fetch,
    fields_of,
    patch,
    read,
)

# (a create body, the fields the 422 must name)
BAD_CREATE: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"name"}),
    ({"description": "no name"}, {"name"}),
    ({"name": None}, {"name"}),
    ({"name": ""}, {"name"}),
    ({"name": "   "}, {"name"}),
    ({"name": "\u3000"}, {"name"}),
    ({"name": "x" * 121}, {"name"}),
    ({"name": " " + "x" * 121 + " "}, {"name"}),
    ({"name": "Null\x00Byte"}, {"name"}),
    ({"name": "Line\nBreak"}, {"name"}),
    ({"name": "Tab\tInside"}, {"name"}),
    ({"name": "Escape\x1b[31mRed"}, {"name"}),
    ({"name": "Del\x7f"}, {"name"}),
    ({"name": "C1\x85Next-line"}, {"name"}),
    ({"name": "C1\x9b31mRed"}, {"name"}),
    ({"name": 42}, {"name"}),
    ({"name": ["Sales"]}, {"name"}),
    ({"name": {"$ne": ""}}, {"name"}),
    ({"name": "Ok", "parent_id": "not-a-uuid"}, {"parent_id"}),
    ({"name": "Ok", "parent_id": 7}, {"parent_id"}),
    ({"name": "Ok", "description": "d" * 2001}, {"description"}),
    ({"name": "Ok", "description": 5}, {"description"}),
    ({"name": "Ok", "id": str(uuid.uuid4())}, {"id"}),
    ({"name": "Ok", "version": 99}, {"version"}),
    ({"name": "Ok", "created_at": "2020-01-01T00:00:00Z"}, {"created_at"}),
    ({"name": "Ok", "Name": "Other"}, {"Name"}),
    ({"name": "", "colour": "red"}, {"name", "colour"}),
]

# (a PATCH body, the fields the 422 must name)
BAD_UPDATE: list[tuple[dict[str, Any], set[str]]] = [
    ({"name": None}, {"name"}),
    ({"name": ""}, {"name"}),
    ({"name": "  \t "}, {"name"}),
    ({"name": "y" * 121}, {"name"}),
    ({"name": "Bell\x07"}, {"name"}),
    ({"name": "Carriage\rReturn"}, {"name"}),
    ({"name": False}, {"name"}),
    ({"parent_id": "nope"}, {"parent_id"}),
    ({"description": "d" * 2001}, {"description"}),
    ({"id": str(uuid.uuid4())}, {"id"}),
    ({"version": 1}, {"version"}),
    ({"updated_at": "2020-01-01T00:00:00Z"}, {"updated_at"}),
    ({"name": "Fine", "extra": True}, {"extra"}),
]


async def test_create_with_bad_input_is_422_naming_the_fields(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await create_department(client, admin, "Existing")
    before = await all_departments(client, admin)

    for body, fields in BAD_CREATE:
        response = await client.post(DEPARTMENTS, json=body, headers=admin.headers)
        problem = assert_problem(response, 422, "validation_error")
        assert fields_of(problem) == fields, (body, problem)
        assert "Location" not in response.headers
        assert "ETag" not in response.headers

    assert await all_departments(client, admin) == before


async def test_update_with_bad_input_is_422_and_changes_nothing(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Stable", description="Unchanged")
    etag = (await read(client, admin, dept["id"])).headers["ETag"]

    for body, fields in BAD_UPDATE:
        response = await patch(client, admin, dept["id"], body)
        problem = assert_problem(response, 422, "validation_error")
        assert fields_of(problem) == fields, (body, problem)

    after = await read(client, admin, dept["id"])
    assert after.json() == dept
    assert after.headers["ETag"] == etag


async def test_body_that_is_not_a_json_object_is_422(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Target")
    headers = {**admin.headers, "Content-Type": "application/json"}
    for raw in (b"{", b"not json", b"[]", b'"Sales"', b"null"):
        created = await client.post(DEPARTMENTS, content=raw, headers=headers)
        assert_problem(created, 422)
        patched = await client.patch(f"{DEPARTMENTS}/{dept['id']}", content=raw, headers=headers)
        assert_problem(patched, 422)
    assert [d["id"] for d in await all_departments(client, admin)] == [dept["id"]]


async def test_names_are_stripped_and_the_limit_counts_the_stripped_name(
    client: httpx.AsyncClient, admin: Account
) -> None:
    padded = await create_department(client, admin, "  Marketing \u00a0 ")
    assert padded["name"] == "Marketing"
    assert (await fetch(client, admin, padded["id"]))["name"] == "Marketing"

    longest = "L" * 120
    at_limit = await create_department(client, admin, f"   {longest}   ")
    assert at_limit["name"] == longest

    renamed = await patch(client, admin, padded["id"], {"name": "\tBrand  Marketing  "})
    # A tab at the edge is whitespace and is stripped; inner spaces are kept.
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Brand  Marketing"

    # The stripped name is what uniqueness compares.
    duplicate = await client.post(
        DEPARTMENTS, json={"name": f"  {longest.lower()} "}, headers=admin.headers
    )
    assert_problem(duplicate, 409, "department_name_taken")


async def test_names_are_unique_regardless_of_case(
    client: httpx.AsyncClient, admin: Account
) -> None:
    sales = await create_department(client, admin, "Sales")
    support = await create_department(client, admin, "Support")
    before = await all_departments(client, admin)

    for name in ("Sales", "SALES", "sales", "sAlEs", "  Sales  ", " SALES"):
        created = await client.post(DEPARTMENTS, json={"name": name}, headers=admin.headers)
        assert_problem(created, 409, "department_name_taken")
        # Under another parent it is still the same name.
        child = await client.post(
            DEPARTMENTS, json={"name": name, "parent_id": support["id"]}, headers=admin.headers
        )
        assert_problem(child, 409, "department_name_taken")
        renamed = await patch(client, admin, support["id"], {"name": name})
        assert_problem(renamed, 409, "department_name_taken")
        # Together with other changes, nothing of the request is applied.
        mixed = await patch(client, admin, support["id"], {"name": name, "description": "lost"})
        assert_problem(mixed, 409, "department_name_taken")

    assert await all_departments(client, admin) == before

    # A department may change the case of its own name.
    own = await patch(client, admin, sales["id"], {"name": "SALES"})
    assert own.status_code == 200, own.text
    assert own.json()["name"] == "SALES"
    again = await patch(client, admin, sales["id"], {"name": "SALES"})
    assert again.status_code == 200, again.text
    # The old spelling is still taken (by the renamed department), the freed one is not.
    assert_problem(
        await client.post(DEPARTMENTS, json={"name": "Sales"}, headers=admin.headers),
        409,
        "department_name_taken",
    )
    # Names that only contain each other are different names.
    for name in ("Sales EMEA", "Sale", "Pre-Sales"):
        await create_department(client, admin, name)


async def test_a_renamed_departments_old_name_is_free(
    client: httpx.AsyncClient, admin: Account
) -> None:
    dept = await create_department(client, admin, "Old Name")
    assert (await patch(client, admin, dept["id"], {"name": "New Name"})).status_code == 200
    reused = await create_department(client, admin, "old name")
    assert reused["name"] == "old name"


SQL_LIKE = [
    "'; DROP TABLE departments; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    '" OR 1=1 --',
    "%",
    "_",
    "100% _real_ \\ names",
    "<script>alert(1)</script>",
    "Ünïcödé Ärzte 部門 🚀",
]


async def test_hostile_strings_are_stored_verbatim(
    client: httpx.AsyncClient, admin: Account
) -> None:
    created_ids = []
    for text in SQL_LIKE:
        dept = await create_department(client, admin, text, description=f"about {text}\n{text}")
        assert dept["name"] == text
        stored = await fetch(client, admin, dept["id"])
        assert stored["name"] == text
        assert stored["description"] == f"about {text}\n{text}"
        created_ids.append(dept["id"])

    # Still a working table with every row in it.
    assert {d["id"] for d in await all_departments(client, admin)} == set(created_ids)
    # And renames to hostile strings work the same way.
    renamed = await patch(client, admin, created_ids[0], {"name": "x' OR 'x'='x"})
    assert renamed.status_code == 200
    assert (await fetch(client, admin, created_ids[0]))["name"] == "x' OR 'x'='x"


async def test_descriptions_may_hold_any_text_up_to_the_limit(
    client: httpx.AsyncClient, admin: Account
) -> None:
    text = "Line one\nLine two\twith a tab\n" + "d" * 1970
    text = text[:2000]
    dept = await create_department(client, admin, "Described", description=text)
    assert (await fetch(client, admin, dept["id"]))["description"] == text
    empty = await patch(client, admin, dept["id"], {"description": ""})
    assert empty.status_code == 200
    assert empty.json()["description"] == ""


async def test_non_ascii_names_are_unique_regardless_of_case_too(
    client: httpx.AsyncClient, admin: Account
) -> None:
    first = await create_department(client, admin, "Ärzte")
    second = await client.post(DEPARTMENTS, json={"name": "ärzte"}, headers=admin.headers)
    assert_problem(second, 409, "department_name_taken")
    found = await client.get(DEPARTMENTS, params={"q": "ÄRZ"}, headers=admin.headers)
    assert [d["id"] for d in found.json()["items"]] == [first["id"]]

    # Full Unicode case folding, on both backends.
    await create_department(client, admin, "Straße")
    assert_problem(
        await client.post(DEPARTMENTS, json={"name": "STRASSE"}, headers=admin.headers),
        409,
        "department_name_taken",
    )
