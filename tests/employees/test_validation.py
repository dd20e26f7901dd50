"""What the employees API refuses: duplicates (409), references to nothing, manager cycles
and impossible dates (422 naming the field), malformed values, unknown fields and nulls
(422 listing the fields). A refused request changes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.employees import EMPLOYEES, create, employee_body, fetch, snapshot, url

MISSING = "00000000-0000-4000-8000-000000000000"
REQUIRED_ON_UPDATE = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "employment_type",
    "status",
    "hire_date",
)


def fields_named(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


async def test_employee_number_and_email_are_unique(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    bob = await create(client, admin, employee_body("E2", "bob@example.com"))
    before = await snapshot(client, admin)
    conflicts = [
        (employee_body("E1", "new@example.com"), "employee_number_taken"),
        (employee_body("E3", "ada@example.com"), "email_taken"),
        (employee_body("E3", "ADA@Example.COM"), "email_taken"),
        (employee_body(" E1 ", "new@example.com"), "employee_number_taken"),  # trimmed
    ]
    for body, code in conflicts:
        response = await client.post(EMPLOYEES, json=body, headers=admin.headers)
        assert_problem(response, 409, code)
    for changes, code in (
        ({"employee_number": "E1"}, "employee_number_taken"),
        ({"email": "Ada@example.com"}, "email_taken"),
    ):
        response = await client.patch(url(bob["id"]), json=changes, headers=admin.headers)
        assert_problem(response, 409, code)
    assert await snapshot(client, admin) == before

    # Keeping one's own number and email (in another case) is no conflict.
    same = await client.patch(
        url(ada["id"]),
        json={"employee_number": "E1", "email": "ADA@EXAMPLE.COM"},
        headers=admin.headers,
    )
    assert same.status_code == 200, same.text
    assert same.json()["email"] == "ada@example.com"
    # Once terminated, the number and email stay taken (the record is kept).
    assert (await client.delete(url(ada["id"]), headers=admin.headers)).status_code == 204
    assert_problem(
        await client.post(
            EMPLOYEES, json=employee_body("E1", "x@example.com"), headers=admin.headers
        ),
        409,
        "employee_number_taken",
    )


async def test_unknown_department_or_manager_is_422_naming_the_field(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    before = await snapshot(client, admin)
    for field, code in (
        ("department_id", "department_not_found"),
        ("manager_id", "manager_not_found"),
    ):
        response = await client.post(
            EMPLOYEES,
            json=employee_body("E2", "b@example.com", **{field: MISSING}),
            headers=admin.headers,
        )
        assert fields_named(assert_problem(response, 422, code)) == {field}
        response = await client.patch(
            url(ada["id"]), json={field: MISSING, "job_title": "Boss"}, headers=admin.headers
        )
        problem = assert_problem(response, 422, code)
        assert fields_named(problem) == {field}
        assert MISSING not in problem["detail"] or field in problem["detail"]
    assert await snapshot(client, admin) == before


async def test_manager_cycles_are_refused_at_any_depth(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """A <- B <- C <- D (B reports to A, ...): A may not report to herself, B, C or D."""
    chain: list[dict[str, Any]] = []
    for n, name in enumerate("ABCD"):
        boss = chain[-1]["id"] if chain else None
        chain.append(
            await create(
                client,
                admin,
                employee_body(f"E{n}", f"{name.lower()}@example.com", manager_id=boss),
            )
        )
    top = chain[0]
    before = await snapshot(client, admin)
    for depth, new_manager in enumerate(chain, start=1):
        response = await client.patch(
            url(top["id"]),
            json={"manager_id": new_manager["id"], "job_title": "Changed"},
            headers=admin.headers,
        )
        problem = assert_problem(response, 422, "manager_cycle")
        assert fields_named(problem) == {"manager_id"}, depth
    # In the middle of the chain too: B may not report to D.
    assert_problem(
        await client.patch(
            url(chain[1]["id"]), json={"manager_id": chain[3]["id"]}, headers=admin.headers
        ),
        422,
        "manager_cycle",
    )
    assert await snapshot(client, admin) == before
    history = (await client.get(url(top["id"], "/history"), headers=admin.headers)).json()
    assert [e["field"] for e in history] == ["status"]

    # Moving down a branch that is not one's own is fine; so is no manager at all.
    other = await create(client, admin, employee_body("E9", "o@example.com"))
    moved = await client.patch(
        url(chain[3]["id"]), json={"manager_id": other["id"]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    freed = await client.patch(
        url(chain[1]["id"]), json={"manager_id": None}, headers=admin.headers
    )
    assert freed.status_code == 200, freed.text
    assert freed.json()["manager_id"] is None


async def test_termination_date_may_not_precede_hire_date(
    client: httpx.AsyncClient, admin: Account
) -> None:
    response = await client.post(
        EMPLOYEES,
        json=employee_body("E1", "a@example.com", termination_date="2019-12-31"),
        headers=admin.headers,
    )
    assert fields_named(assert_problem(response, 422, "invalid_dates")) == {"termination_date"}
    same_day = await create(
        client, admin, employee_body("E1", "a@example.com", termination_date="2020-01-01")
    )
    assert same_day["termination_date"] == "2020-01-01"
    ada = await create(
        client, admin, employee_body("E2", "b@example.com", termination_date="2022-06-30")
    )
    before = await snapshot(client, admin)
    for changes in (
        {"termination_date": "2019-01-01"},
        {"hire_date": "2022-07-01"},
        {"hire_date": "2023-01-01", "termination_date": "2022-12-31"},
    ):
        response = await client.patch(url(ada["id"]), json=changes, headers=admin.headers)
        assert_problem(response, 422, "invalid_dates")
    assert await snapshot(client, admin) == before
    moved = await client.patch(
        url(ada["id"]),
        json={"hire_date": "2023-01-01", "termination_date": "2023-01-01"},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text


# Malformed values: field -> values refused on create and on update.
BAD_VALUES: dict[str, list[Any]] = {
    "employment_type": ["freelance", "FULL_TIME", "", 1],
    "status": ["retired", "Active", None],
    "hire_date": ["2021-02-30", "2021-13-01", "yesterday", "01/02/2021", ""],
    "date_of_birth": ["1990-02-29", "1990-1-1", "tomorrow"],
    "termination_date": ["2021-04-31"],
    "salary": ["-0.01", "-1", "1.001", "1234567890123.00", "NaN", "Infinity", "abc", "", True],
    "salary_currency": ["eur", "EURO", "E1R", "", "€"],
    "email": ["not-an-email", "a@", ""],
    "phone": ["call me", "+1 555 <script>"],
    "employee_number": ["", "E 1", "E/1", "x" * 33],
    "first_name": ["", " ", "x" * 101, "A\x00B", "A\x1b[31mB"],
    "ssn": ["", "1\x002"],
    "bank_account": ["x" * 65, "\x07"],
    "home_address": ["x" * 2001],
    "manager_id": ["not-a-uuid", 5],
    "department_id": ["nope"],
}


async def test_malformed_values_are_refused_with_the_fields_listed(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", ssn="123"))
    before = await snapshot(client, admin)
    for field, values in BAD_VALUES.items():
        for value in values:
            body = {**employee_body("E2", "b@example.com"), field: value}
            problem = assert_problem(
                await client.post(EMPLOYEES, json=body, headers=admin.headers), 422
            )
            assert fields_named(problem) == {field}, (field, value, problem)
            problem = assert_problem(
                await client.patch(url(ada["id"]), json={field: value}, headers=admin.headers),
                422,
            )
            assert fields_named(problem) == {field}, (field, value, problem)
            if isinstance(value, str) and len(value) > 3:
                assert value not in problem["detail"]  # values are never echoed
    # Several bad fields at once: all of them are listed.
    problem = assert_problem(
        await client.patch(
            url(ada["id"]),
            json={"salary": "-5", "status": "gone", "hire_date": "x", "nickname": "Ada"},
            headers=admin.headers,
        ),
        422,
        "validation_error",
    )
    assert fields_named(problem) == {"salary", "status", "hire_date", "nickname"}
    assert await snapshot(client, admin) == before


async def test_unknown_fields_and_nulls_are_refused(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    before = await snapshot(client, admin)
    # Fields that are not part of the contract, or never client-set.
    for extra in ("nickname", "id", "salary_enc", "ssn_index", "dek_wrapped", "version", "Email"):
        body = {**employee_body("E2", "b@example.com"), extra: "x"}
        problem = assert_problem(
            await client.post(EMPLOYEES, json=body, headers=admin.headers), 422
        )
        assert fields_named(problem) == {extra}
        problem = assert_problem(
            await client.patch(url(ada["id"]), json={extra: "x"}, headers=admin.headers), 422
        )
        assert fields_named(problem) == {extra}
    # Required fields may not be nulled, one by one or all together.
    for field in REQUIRED_ON_UPDATE:
        problem = assert_problem(
            await client.patch(url(ada["id"]), json={field: None}, headers=admin.headers), 422
        )
        assert fields_named(problem) == {field}
    problem = assert_problem(
        await client.patch(
            url(ada["id"]), json=dict.fromkeys(REQUIRED_ON_UPDATE), headers=admin.headers
        ),
        422,
    )
    assert fields_named(problem) == set(REQUIRED_ON_UPDATE)
    # Missing on create.
    problem = assert_problem(await client.post(EMPLOYEES, json={}, headers=admin.headers), 422)
    assert fields_named(problem) == {
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "hire_date",
    }
    # Not JSON, or not an object.
    for raw in (b"{", b"[]", b'"x"', b"null"):
        response = await client.post(
            EMPLOYEES,
            content=raw,
            headers={**admin.headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 422)
    assert await snapshot(client, admin) == before

    # Optional fields may be cleared.
    cleared = await client.patch(
        url(ada["id"]),
        json={"job_title": None, "phone": None, "salary": None, "termination_reason": None},
        headers=admin.headers,
    )
    assert cleared.status_code == 200, cleared.text


async def test_sql_like_text_is_stored_verbatim(client: httpx.AsyncClient, admin: Account) -> None:
    tricky = {
        "first_name": "Robert'); DROP TABLE employees;--",
        "last_name": 'O\'Brien " OR "1"="1',
        "job_title": "' OR 1=1 --",
        "location": "%_\\ LIKE '%'",
        "termination_reason": "'; DELETE FROM employee_history; --",
        "home_address": "1'; UPDATE employees SET salary_enc = NULL; --",
        "bank_account": "'||(SELECT 1)||'",
        "ssn": "1' UNION SELECT ssn_enc FROM employees --",
    }
    bobby = await create(client, admin, employee_body("E1", "bobby@example.com", **tricky))
    other = await create(client, admin, employee_body("E2", "other@example.com", salary="5.00"))
    assert {k: bobby[k] for k in tricky} == tricky
    assert {k: (await fetch(client, admin.headers, bobby["id"]))[k] for k in tricky} == tricky
    assert (await fetch(client, admin.headers, other["id"]))["salary"] == "5.00"
    for q in ("drop table", "' or 1=1", "o'brien"):
        found = await client.get(EMPLOYEES, params={"q": q}, headers=admin.headers)
        assert [e["id"] for e in found.json()["items"]] == [bobby["id"]], q
    found = await client.get(EMPLOYEES, params={"ssn": tricky["ssn"]}, headers=admin.headers)
    assert [e["id"] for e in found.json()["items"]] == [bobby["id"]]
    total = (await client.get(EMPLOYEES, headers=admin.headers)).json()["total"]
    assert total == 2
