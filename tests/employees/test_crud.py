"""Create, read, update and terminate through the API: sensitive values round-trip
exactly and are ciphertext at rest (employees and history tables), a moved or altered
ciphertext is an error that names no value, and termination keeps the record."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import httpx

from shre.api.runtime import Runtime
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.employee_fields import ALL_FIELDS, DIRECTORY, EMPLOYMENT, SEALED
from tests.support.employees import (
    EMPLOYEES,
    EVERY_FIELD,
    REVEALED,
    create,
    employee_body,
    execute,
    fetch,
    raw_rows,
    sign_in,
    url,
)

# Sensitive values as entered, each to come back exactly so.
ROUND_TRIPS: list[dict[str, Any]] = [
    {
        "salary": "0.10",
        "salary_currency": "EUR",
        "ssn": "123-45-6789",
        "bank_account": "DE89 3704 0044 0532 0130 00",
        "date_of_birth": "1990-12-10",
        "home_address": "Straße 5, 8001 Zürich",
    },
    {
        "salary": "999999999999.99",
        "salary_currency": "JPY",
        "ssn": "756.9217.0769.85",
        "bank_account": "GB29NWBK60161331926819",
        "date_of_birth": "2000-02-29",
        "home_address": "東京都千代田区 1-1 🏠\nsecond line «quoted» 'x' \"y\"",
    },
    {
        "salary": "85000.50",
        "salary_currency": "USD",
        "ssn": "A1234567",
        "bank_account": "NL91ABNA0417164300",
        "date_of_birth": "1931-07-04",
        "home_address": "ул. Льва Толстого, 16 — Москва",
    },
    {"salary": "0", "salary_currency": "CHF", "ssn": "9", "bank_account": "1", "home_address": "x"},
    {"salary": "41000.00", "home_address": "a" * 2000},
]
PLAINTEXT_FORMS = (
    "salary",
    "salary_currency",
    "ssn",
    "bank_account",
    "date_of_birth",
    "home_address",
)


def is_timestamp(value: Any) -> bool:
    """A date-and-time, as PostgreSQL returns it or as SQLite stores it (text): its
    digits are noise (12:52:40.107 holds "0.10"). A bare date is kept: a date of birth
    in clear would be one."""
    if isinstance(value, datetime):
        return True
    if not isinstance(value, str) or len(value) <= len("2020-01-01"):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def stored_text(rows: list[dict[str, Any]]) -> str:
    """Everything the rows hold as text, timestamps left out."""
    return "\n".join(
        str(value) for row in rows for value in row.values() if not is_timestamp(value)
    )


def by_uuid(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows by their id as the API writes it (SQLite stores UUIDs as bare hex)."""
    return {str(uuid.UUID(str(row["id"]))): row for row in rows}


def plaintexts(values: dict[str, Any]) -> list[str]:
    out = []
    for name in PLAINTEXT_FORMS:
        value = values.get(name)
        if value is None:
            continue
        out.append(str(value))
        if name == "ssn":
            out.append("".join(ch for ch in value if ch.isdigit()))
        if name == "bank_account":
            out.append(value.replace(" ", ""))
        if name == "date_of_birth":
            out.append(value.replace("-", ""))
    return out


async def test_create_and_read_shapes(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.post(
        EMPLOYEES, json=employee_body("E1", "ada@example.com"), headers=admin.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    # A record's default: every field the caller may see but the national ID and bank
    # account (CONTRACT.md §4, data minimisation); they come when named in `fields`.
    assert set(created) == ALL_FIELDS - set(REVEALED)
    assert response.headers["Location"] == url(created["id"])
    assert response.headers["ETag"] not in ('"1"', "")  # never the bare version counter
    assert created["employment_type"] == "full_time"
    assert created["status"] == "active"
    assert {k: created[k] for k in ("salary", "termination_date")} == dict.fromkeys(
        ("salary", "termination_date")
    )
    read = await client.get(response.headers["Location"], headers=admin.headers)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["ETag"] == response.headers["ETag"]  # nothing changed since
    revealed = await client.get(
        response.headers["Location"], params={"fields": "ssn, bank_account"}, headers=admin.headers
    )
    assert revealed.json() == {**created, "ssn": None, "bank_account": None}
    listed = (await client.get(EMPLOYEES, headers=admin.headers)).json()["items"]
    assert listed == [{k: v for k, v in created.items() if k in DIRECTORY | EMPLOYMENT}]
    assert_problem(await client.get(url("not-a-uuid"), headers=admin.headers), 422)
    missing = "00000000-0000-4000-8000-000000000000"
    for suffix in ("", "/reports", "/history"):
        assert_problem(
            await client.get(url(missing, suffix), headers=admin.headers),
            404,
            "employee_not_found",
        )
    assert_problem(await client.get(url(created["id"])), 401)


async def test_every_sensitive_field_round_trips_and_is_ciphertext_at_rest(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    made: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for n, values in enumerate(ROUND_TRIPS):
        created = await create(client, admin, employee_body(f"E{n}", f"e{n}@example.com", **values))
        assert {k: created[k] for k in values} == values
        made.append((created, values))
    # A JSON number is kept exactly too.
    number = await create(client, admin, employee_body("EN", "n@example.com", salary=1234.5))
    assert number["salary"] == "1234.5"

    listed = {
        e["id"]: e
        for e in (
            await client.get(
                EMPLOYEES, params={"page_size": 500, **EVERY_FIELD}, headers=admin.headers
            )
        ).json()["items"]
    }
    for created, values in made:
        fetched = await fetch(client, admin.headers, created["id"])
        assert {k: fetched[k] for k in values} == values
        assert {k: listed[created["id"]][k] for k in values} == values

    # The employee reads their own values back too.
    first = made[0][0]
    own = await sign_in(accounts, Role.EMPLOYEE, "self@example.com", first["id"])
    assert {k: (await fetch(client, own, first["id"]))[k] for k in ROUND_TRIPS[0]} == ROUND_TRIPS[0]

    # Changing each value: the new one round-trips, and the salary history keeps both.
    changed = {
        "salary": "0.01",
        "ssn": "000-00-0001",
        "bank_account": "FR1420041010050500013M02606",
        "date_of_birth": "1960-01-31",
        "home_address": "Rua Augusta 1, Lisboa — ✉",
    }
    response = await client.patch(url(first["id"]), json=changed, headers=admin.headers)
    assert response.status_code == 200, response.text
    # The response is the record's default: the national ID and bank account not in it.
    assert response.json().keys() & changed.keys() == changed.keys() - set(REVEALED)
    assert {k: response.json()[k] for k in changed if k not in REVEALED} == {
        k: v for k, v in changed.items() if k not in REVEALED
    }
    assert {k: (await fetch(client, admin.headers, first["id"]))[k] for k in changed} == changed
    history = (await client.get(url(first["id"], "/history"), headers=admin.headers)).json()
    salaries = [(e["old_value"], e["new_value"]) for e in history if e["field"] == "salary"]
    assert salaries == [(None, "0.10"), ("0.10", "0.01")]

    employees = await raw_rows(runtime, "employees")
    history_rows = await raw_rows(runtime, "employee_history")
    at_rest = stored_text(employees) + stored_text(history_rows)
    every_value = [str(v) for r in employees + history_rows for k, v in r.items() if k != "version"]
    for _, values in [*made, (first, changed)]:
        for plain in plaintexts(values):
            if len(plain) >= 4:
                assert plain not in at_rest, plain
            else:  # too short to look for inside other text: no column holds it
                assert plain not in every_value, plain
    # Every sealed column holds a ciphertext, distinct even for equal values.
    by_id = by_uuid(employees)
    row = by_id[first["id"]]
    for column in SEALED.values():
        assert len(row[column] or "") > 40, column
    twin = await create(client, admin, employee_body("EX", "x@example.com", **changed))
    twin_row = by_uuid(await raw_rows(runtime, "employees"))[twin["id"]]
    for column in SEALED.values():
        assert twin_row[column] != row[column], column
    assert twin_row["ssn_index"] == row["ssn_index"]  # the blind index is deterministic
    assert twin_row["dek_wrapped"] != row["dek_wrapped"]  # each employee has their own key


async def seed_pair(client: httpx.AsyncClient, admin: Account) -> tuple[dict[str, Any], ...]:
    a = await create(
        client,
        admin,
        employee_body(
            "A1",
            "a@example.com",
            salary="11111.11",
            salary_currency="EUR",
            ssn="111-11-1111",
            bank_account="DE11111111111111111111",
            date_of_birth="1971-01-11",
            home_address="1 Alpha Road",
        ),
    )
    b = await create(
        client,
        admin,
        employee_body(
            "B2",
            "b@example.com",
            salary="22222.22",
            salary_currency="USD",
            ssn="222-22-2222",
            bank_account="DE22222222222222222222",
            date_of_birth="1972-02-22",
            home_address="2 Beta Road",
        ),
    )
    return a, b


def assert_fails_quietly(response: httpx.Response, *records: dict[str, Any]) -> None:
    """A 500 problem that names none of the records' sensitive values."""
    assert_problem(response, 500)
    for record in records:
        for plain in plaintexts(record):
            assert plain not in response.text, plain


async def test_a_moved_or_altered_ciphertext_fails_the_read_without_leaking(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    a, b = await seed_pair(client, admin)
    stranger = await sign_in(accounts, Role.EMPLOYEE, "s@example.com")
    rows = by_uuid(await raw_rows(runtime, "employees"))
    original = rows[a["id"]]

    async def put(column: str, value: Any) -> None:
        await execute(
            runtime,
            f"UPDATE employees SET {column} = :v WHERE id = :id",  # noqa: S608 - our names
            v=value,
            id=original["id"],
        )
        # An edit behind the app's back: no write went through it to invalidate the cache.
        await runtime.cache.cache.flush_all()

    async def reads_fail() -> None:
        assert_fails_quietly(
            await client.get(url(a["id"]), params=EVERY_FIELD, headers=admin.headers), a, b
        )
        assert_fails_quietly(
            await client.get(
                EMPLOYEES, params={"page_size": 500, **EVERY_FIELD}, headers=admin.headers
            ),
            a,
            b,
        )
        # A caller who may not read the sensitive fields never opens them.
        assert (await client.get(url(a["id"]), headers=stranger)).status_code == 200

    tampered: dict[str, str] = {}
    for column in [*SEALED.values(), "dek_wrapped"]:
        # Another employee's ciphertext of the same field (sealed under their key).
        tampered[f"{column} from b"] = rows[b["id"]][column]
        token = original[column]
        middle = len(token) // 2
        flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
        tampered[f"{column} flipped"] = flipped
        tampered[f"{column} truncated"] = token[:-8]
        tampered[f"{column} not base64"] = "not a ciphertext!"
    # The same employee's ciphertext of another field (bound to its column).
    tampered["ssn_enc from bank_account_enc"] = original["bank_account_enc"]
    for label, value in tampered.items():
        column = label.split(" ")[0]
        await put(column, value)
        try:
            await reads_fail()
        except AssertionError as exc:
            raise AssertionError(label) from exc
        await put(column, original[column])
        assert (await fetch(client, admin.headers, a["id"]))["ssn"] == "111-11-1111", label


async def test_a_moved_salary_history_value_fails_the_history_read(
    client: httpx.AsyncClient, admin: Account, runtime: Runtime
) -> None:
    a, b = await seed_pair(client, admin)
    history = {
        (str(uuid.UUID(str(r["employee_id"]))), r["field"]): r
        for r in await raw_rows(runtime, "employee_history")
    }
    mine, theirs = history[(a["id"], "salary")], history[(b["id"], "salary")]
    await execute(
        runtime,
        "UPDATE employee_history SET new_value = :v WHERE id = :id",
        v=theirs["new_value"],
        id=mine["id"],
    )
    response = await client.get(url(a["id"], "/history"), headers=admin.headers)
    assert_fails_quietly(response, a, b)
    assert (await client.get(url(b["id"], "/history"), headers=admin.headers)).status_code == 200


async def test_terminate_keeps_the_record_with_date_reason_and_history(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com", salary="10.00"))
    later = await create(
        client, admin, employee_body("E2", "later@example.com", hire_date="2099-01-01")
    )
    gone = await client.delete(
        url(ada["id"]), params={"reason": "resigned — moving abroad"}, headers=admin.headers
    )
    assert gone.status_code == 204, gone.text
    assert gone.content == b""
    kept = await fetch(client, admin.headers, ada["id"])
    assert kept["status"] == "terminated"
    assert kept["termination_date"] == date.today().isoformat()
    assert kept["termination_reason"] == "resigned — moving abroad"
    terminated = {"status", "termination_date", "termination_reason"}
    assert kept == {**ada, **{k: kept[k] for k in terminated}}  # nothing else changed
    assert kept["salary"] == "10.00"
    listed = (
        await client.get(EMPLOYEES, params={"status": "terminated"}, headers=admin.headers)
    ).json()
    assert [e["id"] for e in listed["items"]] == [ada["id"]]

    history = (await client.get(url(ada["id"], "/history"), headers=admin.headers)).json()
    status_changes = [e for e in history if e["field"] == "status"]
    assert [(e["old_value"], e["new_value"]) for e in status_changes] == [
        (None, "active"),
        ("active", "terminated"),
    ]
    assert status_changes[-1]["changed_by"] == str(admin.id)
    assert status_changes[-1]["effective_date"] == date.today().isoformat()

    # Terminating again changes the reason only, and records no second status change.
    again = await client.delete(
        url(ada["id"]), params={"reason": "corrected"}, headers=admin.headers
    )
    assert again.status_code == 204
    assert (await fetch(client, admin.headers, ada["id"]))["termination_reason"] == "corrected"
    history = (await client.get(url(ada["id"], "/history"), headers=admin.headers)).json()
    assert len([e for e in history if e["field"] == "status"]) == 2

    # Someone not yet started leaves on their start date, never before it.
    assert (await client.delete(url(later["id"]), headers=admin.headers)).status_code == 204
    left = await fetch(client, admin.headers, later["id"])
    assert (left["status"], left["termination_date"]) == ("terminated", "2099-01-01")
    assert left["termination_reason"] is None

    problem = assert_problem(
        await client.delete(url(ada["id"]), params={"reason": "x" * 2001}, headers=admin.headers),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["reason"]


async def test_status_terminated_through_patch_sets_the_date(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E1", "ada@example.com"))
    response = await client.patch(
        url(ada["id"]),
        json={"status": "terminated", "termination_reason": "contract ended"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["termination_date"]) == ("terminated", date.today().isoformat())
    explicit = await create(client, admin, employee_body("E2", "bob@example.com"))
    response = await client.patch(
        url(explicit["id"]),
        json={"status": "terminated", "termination_date": "2024-06-30"},
        headers=admin.headers,
    )
    assert response.json()["termination_date"] == "2024-06-30"
    assert json.loads(response.text)["status"] == "terminated"
