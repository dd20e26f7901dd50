"""Data minimisation (CONTRACT.md §4): lists carry no sensitive field unless `fields` names
it, one record no national ID or bank account unless named; `fields` only adds, and is
validated as a 422 naming it. The cached default page costs hr what it costs anyone:
written once, nothing opened, no data key read, nothing audited."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shre.api.runtime import Runtime
from shre.employees.router import RecordQuery
from shre.employees.schemas import FIELD_ORDER
from shre.employees.vault import EmployeeVault
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import counts, new_events
from tests.support.database import statements_sent
from tests.support.employee_fields import ALL_FIELDS, DIRECTORY, EMPLOYMENT
from tests.support.employees import (
    EMPLOYEES,
    SENSITIVE,
    create,
    employee_body,
    sensitive_values,
    sign_in,
    url,
)

BAD_FIELDS = [
    "",
    ",",
    "salary,",
    "salary,,ssn",
    " , ssn",
    "nope",
    "salary,SSN",
    "salary_enc",
    "dek_wrapped",
    "version",
    ",".join(["id"] * 22),  # more names than an employee has fields
    "x" * 1001,
]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[frozenset[str]]:
    """The sensitive fields each decryption was asked for (the vault itself runs)."""
    calls: list[frozenset[str]] = []
    real_open = EmployeeVault.open

    def counting_open(vault: EmployeeVault, employee: Any, names: frozenset[str]) -> Any:
        calls.append(names & frozenset(SENSITIVE))
        return real_open(vault, employee, names)

    monkeypatch.setattr(EmployeeVault, "open", counting_open)
    return calls


async def test_fields_adds_to_the_default_and_is_validated(
    client: httpx.AsyncClient, admin: Account
) -> None:
    boss = await create(client, admin, employee_body("E1", "boss@example.com"))
    ada = await create(
        client,
        admin,
        employee_body("E2", "ada@example.com", manager_id=boss["id"], **sensitive_values(2)),
    )
    routes = [
        (EMPLOYEES, lambda r: r.json()["items"]),
        (url(ada["id"]), lambda r: [r.json()]),
        (url(boss["id"], "/reports"), lambda r: r.json()),
    ]
    for path, records in routes:
        default = records(await client.get(path, headers=admin.headers))
        # Naming default fields changes nothing; whitespace around names is tolerated.
        for same in ("email", " id , last_name ", "status,email,status"):
            named = records(await client.get(path, params={"fields": same}, headers=admin.headers))
            assert named == default, (path, same)
        everything = records(
            await client.get(
                path, params={"fields": " , ".join(sorted(SENSITIVE))}, headers=admin.headers
            )
        )
        [shown] = [e for e in everything if e["id"] == ada["id"]]
        assert {k: v for k, v in shown.items() if k in SENSITIVE} == {
            k: v for k, v in ada.items() if k in SENSITIVE
        }
        assert set(shown) == ALL_FIELDS
        for bad in BAD_FIELDS:
            problem = assert_problem(
                await client.get(path, params={"fields": bad}, headers=admin.headers), 422
            )
            assert [(e["field"], e["location"]) for e in problem["errors"]] == [
                ("fields", "query")
            ], (path, bad)
    # The defaults: lists without sensitive fields, a record without the national ID and
    # the bank account.
    listed = (await client.get(EMPLOYEES, headers=admin.headers)).json()["items"]
    assert {frozenset(e) for e in listed} == {DIRECTORY | EMPLOYMENT}
    record = (await client.get(url(ada["id"]), headers=admin.headers)).json()
    assert set(record) == ALL_FIELDS - {"ssn", "bank_account"}


async def test_openapi_documents_fields_on_each_read(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in ("", "/{employee_id}", "/{employee_id}/reports"):
        parameters = {p["name"]: p for p in spec["paths"][EMPLOYEES + path]["get"]["parameters"]}
        fields = parameters["fields"]
        assert (fields["in"], fields["required"], fields["schema"]["type"]) == (
            "query",
            False,
            "string",
        ), path
        assert "salary_currency" in fields["description"]
        assert "default" not in fields["schema"]  # no list default on a string
    reports = spec["paths"][EMPLOYEES + "/{employee_id}/reports"]["get"]["parameters"]
    assert "depth" in {p["name"] for p in reports}


async def test_hrs_cached_default_page_opens_nothing_reads_no_key_and_audits_nothing(
    client: httpx.AsyncClient,
    admin: Account,
    accounts: Accounts,
    runtime: Runtime,
    opened: list[frozenset[str]],
) -> None:
    for n in range(1, 4):
        await create(client, admin, employee_body(f"E{n}", f"e{n}@example.com", **SENSITIVE))
    hr = await sign_in(accounts, Role.HR, "hr@example.com")
    staff = await sign_in(accounts, Role.EMPLOYEE, "staff@example.com")
    first = await client.get(EMPLOYEES, headers=hr)  # fills the cache
    await client.get(EMPLOYEES, headers=staff)  # and the account's entry
    before = await counts(runtime)
    opened.clear()
    with statements_sent(runtime) as sent:
        pages = [await client.get(EMPLOYEES, headers=h) for h in (hr, admin.headers, hr, staff)]
    assert [p.status_code for p in pages] == [200] * 4
    assert pages[0].content == pages[1].content == pages[2].content == first.content
    assert {frozenset(e) for e in pages[0].json()["items"]} == {DIRECTORY | EMPLOYMENT}
    assert {frozenset(e) for e in pages[3].json()["items"]} == {DIRECTORY}
    # The page as written once for those shown the same fields of every row: no
    # statement (no row, no data key read), no view made, nothing opened.
    assert sent == []
    assert opened == []
    assert await new_events(runtime, before) == Counter()

    # Naming a sensitive field: the same cached page, each row opened, one audited read.
    named = await client.get(EMPLOYEES, params={"fields": "salary"}, headers=hr)
    assert [e["salary"] for e in named.json()["items"]] == [SENSITIVE["salary"]] * 3
    assert opened.count(frozenset({"salary"})) == 3
    assert await new_events(runtime, before) == Counter({"employee.read_sensitive": 1})


async def test_a_page_showing_rows_differently_is_made_of_rows_written_once(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, opened: list[frozenset[str]]
) -> None:
    """A manager's reports and an employee's own record show more fields than the other
    rows: still nothing sensitive by default, so the page is made of each row's JSON as
    written once, no field opened; each row shows exactly what the policy allows."""
    boss = await create(client, admin, employee_body("E1", "boss@example.com", **SENSITIVE))
    report = await create(
        client,
        admin,
        employee_body("E2", "report@example.com", manager_id=boss["id"], **SENSITIVE),
    )
    other = await create(client, admin, employee_body("E3", "other@example.com", **SENSITIVE))
    manager = await sign_in(accounts, Role.MANAGER, "m@example.com", boss["id"])
    staff = await sign_in(accounts, Role.EMPLOYEE, "s@example.com", other["id"])
    expected = {
        "manager": (manager, {boss["id"]: "DE", report["id"]: "DE", other["id"]: "D"}),
        "employee": (staff, {boss["id"]: "D", report["id"]: "D", other["id"]: "DE"}),
    }
    for headers, _ in expected.values():
        await client.get(EMPLOYEES, headers=headers)  # cached, account and page
    opened.clear()
    for caller, (headers, shown) in expected.items():
        items = (await client.get(EMPLOYEES, headers=headers)).json()["items"]
        for item in items:
            letters = shown[item["id"]]
            assert set(item) == (DIRECTORY | EMPLOYMENT if letters == "DE" else DIRECTORY), caller
    assert opened == []
    # Naming the salary: the own record's is opened (and only it), for the employee.
    own = await client.get(EMPLOYEES, params={"fields": "salary"}, headers=staff)
    salaries = {i["id"]: i.get("salary") for i in own.json()["items"]}
    assert salaries == {boss["id"]: None, report["id"]: None, other["id"]: SENSITIVE["salary"]}


@given(
    names=st.lists(st.sampled_from(FIELD_ORDER), min_size=1, max_size=len(FIELD_ORDER)),
    spaces=st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=2, max_size=2),
)
def test_any_list_of_field_names_parses_to_its_set(names: list[str], spaces: list[str]) -> None:
    before, after = spaces
    written = ",".join(f"{before}{name}{after}" for name in names)
    assert RecordQuery.model_validate({"fields": written}).fields == frozenset(names)


@given(
    st.text(min_size=1, max_size=30).filter(
        lambda t: not all(part.strip() in FIELD_ORDER for part in t.split(","))
    )
)
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RecordQuery.model_validate({"fields": f"salary,{name}"})
    assert [e["loc"] for e in refused.value.errors()] == [("fields",)]
