"""Finding 12: a salary comes back as it was entered. It is accepted as a JSON string or a
JSON number in plain notation only (422 naming `salary` otherwise), and keeps its scale
("85000.50" stays 85000.50, "85000" stays 85000), on create and on update."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shre.employees.schemas import EmployeeCreate, EmployeeUpdate
from shre.kit.http import json_bytes
from shre.kit.numbers import JSONNumber
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.employees import EMPLOYEES, create, employee_body, fetch, url

# As raw JSON: what the body carries, byte for byte (numbers and strings).
KEPT = ["85000", "85000.50", "85000.5", "0.10", "0", "0.00", "999999999999.99"]
REFUSED = [
    "1e5",
    "1E5",
    "1.5e3",
    "1e-2",
    "-1.00",
    "85000.505",
    "85000.500",
    "NaN",
    "Infinity",
    "-Infinity",
    "true",
    "[]",
    "{}",
    '"1e5"',
    '"1E+5"',
    '"+5"',
    '"-0"',
    '" 5"',
    '"5 "',
    '"5."',
    '".5"',
    '"0x10"',
    '"1_000"',
    '"NaN"',
    '"Infinity"',
    '"١٢"',  # Arabic-Indic digits: Decimal() takes them, the notation does not
    '""',
    '"1234567890123.00"',
]


def body_with_salary(raw: str, **fields: Any) -> bytes:
    """A JSON body whose salary is `raw` as written (json.dumps would rewrite a number)."""
    start = json.dumps(fields)[:-1] + (", " if fields else "")
    return f'{start}"salary": {raw}}}'.encode()


async def send(
    client: httpx.AsyncClient, method: str, path: str, admin: Account, content: bytes
) -> httpx.Response:
    headers = {**admin.headers, "Content-Type": "application/json"}
    return await client.request(method, path, content=content, headers=headers)


async def test_salary_keeps_its_notation_and_scale_on_create_and_update(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E0", "ada@example.com"))
    for n, raw in enumerate([*KEPT, *(f'"{r}"' for r in KEPT)], start=1):
        text = raw.strip('"')
        created = await send(
            client,
            "POST",
            EMPLOYEES,
            admin,
            body_with_salary(raw, **employee_body(f"E{n}", f"e{n}@example.com")),
        )
        assert created.status_code == 201, (raw, created.text)
        assert created.json()["salary"] == text, raw
        assert (await fetch(client, admin.headers, created.json()["id"]))["salary"] == text, raw

        changed = await send(client, "PATCH", url(ada["id"]), admin, body_with_salary(raw))
        assert changed.status_code == 200, (raw, changed.text)
        assert changed.json()["salary"] == text, raw
        assert (await fetch(client, admin.headers, ada["id"]))["salary"] == text, raw


async def test_salary_in_any_other_notation_is_422_naming_salary(
    client: httpx.AsyncClient, admin: Account
) -> None:
    ada = await create(client, admin, employee_body("E0", "ada@example.com", salary="5.00"))
    for raw in REFUSED:
        problem = assert_problem(
            await send(client, "PATCH", url(ada["id"]), admin, body_with_salary(raw)), 422
        )
        assert [(e["field"], e["location"]) for e in problem["errors"]] == [("salary", "body")], raw
        problem = assert_problem(
            await send(
                client,
                "POST",
                EMPLOYEES,
                admin,
                body_with_salary(raw, **employee_body("E1", "e1@example.com")),
            ),
            422,
        )
        assert [e["field"] for e in problem["errors"]] == ["salary"], raw
    assert (await fetch(client, admin.headers, ada["id"]))["salary"] == "5.00"
    # Numbers elsewhere in the body are still checked as before.
    problem = assert_problem(
        await send(client, "PATCH", url(ada["id"]), admin, b'{"first_name": 1.50}'), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["first_name"]


def parse(raw: bytes) -> Any:
    return json.loads(raw, parse_float=JSONNumber)  # as ExactNumbersRoute reads bodies


plain_amounts = st.builds(
    lambda whole, decimals: whole + (f".{decimals}" if decimals else ""),
    st.integers(min_value=0, max_value=10**12 - 1).map(str),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=2)),
)


@given(amount=plain_amounts, as_string=st.booleans())
def test_any_plain_amount_round_trips_as_written(amount: str, as_string: bool) -> None:
    raw = f'"{amount}"' if as_string else amount
    for model in (EmployeeUpdate, EmployeeCreate):
        fields = {} if model is EmployeeUpdate else employee_body("E1", "e@example.com")
        salary = model.model_validate(parse(body_with_salary(raw, **fields))).salary
        assert salary is not None
        assert str(salary) == amount
        assert json_bytes({"salary": salary}) == f'{{"salary":"{amount}"}}'.encode()


@given(
    mantissa=st.decimals(min_value=0, max_value=10**6, allow_nan=False, places=2),
    exponent=st.integers(min_value=-5, max_value=5),
    letter=st.sampled_from("eE"),
    as_string=st.booleans(),
)
def test_exponent_notation_is_refused(
    mantissa: Decimal, exponent: int, letter: str, as_string: bool
) -> None:
    written = f"{mantissa}{letter}{exponent}"
    raw = f'"{written}"' if as_string else written
    with pytest.raises(ValidationError) as refused:
        EmployeeUpdate.model_validate(parse(body_with_salary(raw)))
    assert [e["loc"] for e in refused.value.errors()] == [("salary",)]
