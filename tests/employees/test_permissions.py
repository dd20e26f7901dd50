"""The employees rows of CONTRACT.md §4 "Who sees and does what", table by table: which
fields each role reads on each record (single reads, list pages, reports, history), and
which writes each role may make. Fields a caller may not read are absent, never masked.
The reads run with the cache and without it."""

from __future__ import annotations

from itertools import product
from typing import Any

import httpx

from tests.support.accounts import Account, Accounts
from tests.support.app import WITH_AND_WITHOUT_CACHE, assert_problem
from tests.support.employee_fields import (
    ALL_FIELDS,
    DIRECTORY,
    EMPLOYMENT,
    SELF_EDITABLE,
    SENSITIVE,
    fields_of,
)
from tests.support.employees import EMPLOYEES, employee_body, fetch, snapshot, url
from tests.support.org import PEOPLE, Org, build_org

# What each caller reads of each record: D directory, E employment, S sensitive.
# The manager is linked to M (subtree: R1 directly, R2 through R1); the employee to R2.
#                                     T      M      R1     R2     O
VISIBLE: dict[str, tuple[str, ...]] = {
    "admin": ("DES", "DES", "DES", "DES", "DES"),
    "hr": ("DES", "DES", "DES", "DES", "DES"),
    "manager": ("D", "DES", "DE", "DE", "D"),
    "employee": ("D", "D", "D", "DES", "D"),
    "manager without record": ("D", "D", "D", "D", "D"),
    "employee without record": ("D", "D", "D", "D", "D"),
}
NOT_MANAGING = [c for c in VISIBLE if c not in {"admin", "hr"}]
# One valid new value for every field a PATCH may change (O is the target).
NEW_VALUES: dict[str, Any] = {
    "employee_number": "E-O2",
    "first_name": "Olga",
    "last_name": "Other",
    "email": "olga@example.com",
    "phone": "+1 555 0100",
    "job_title": "Buyer",
    "location": "Remote",
    "employment_type": "contractor",
    "status": "on_leave",
    "hire_date": "2016-06-16",
    "termination_date": "2030-01-31",
    "termination_reason": "fixed term",
    "salary": "123456.78",
    "salary_currency": "CHF",
    "ssn": "756.1234.5678.97",
    "bank_account": "CH9300762011623852957",
    "date_of_birth": "1970-07-07",
    "home_address": "Bahnhofstrasse 1\n8001 Zürich",
}


# Data minimisation (CONTRACT.md §4): what each read returns by default, and with `fields`
# naming more. `fields` only adds: a name the caller may not see is still left out.
REVEALED = frozenset({"ssn", "bank_account"})
READS_OF_ONE: list[tuple[dict[str, str], frozenset[str]]] = [
    ({}, ALL_FIELDS - REVEALED),
    ({"fields": "ssn,bank_account"}, ALL_FIELDS),
    ({"fields": "bank_account, email"}, ALL_FIELDS - {"ssn"}),
]
READS_OF_LISTS: list[tuple[dict[str, str], frozenset[str]]] = [
    ({}, DIRECTORY | EMPLOYMENT),
    ({"fields": "salary,salary_currency"}, DIRECTORY | EMPLOYMENT | {"salary", "salary_currency"}),
    ({"fields": ",".join(sorted(SENSITIVE))}, ALL_FIELDS),
]


def expected(org: Org, caller: str, employee_id: str) -> frozenset[str]:
    return fields_of(VISIBLE[caller][PEOPLE.index(org.name_of(employee_id))])


def check_record(
    org: Org, caller: str, record: dict[str, Any], where: str, shown: frozenset[str]
) -> None:
    """Exactly the allowed fields among those `shown` (the endpoint's default, and those
    the request named in `fields`), each with the stored value."""
    name = org.name_of(record["id"])
    allowed = expected(org, caller, record["id"]) & shown
    assert set(record) == allowed, f"{where}: {caller} reading {name}"
    full = org.people[name]
    assert record == {k: full[k] for k in allowed}, f"{where}: {caller} reading {name}"


@WITH_AND_WITHOUT_CACHE
async def test_single_reads_return_exactly_the_allowed_fields(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    assert set(org.people["T"]) == ALL_FIELDS  # the creator sees every field
    for caller, headers in org.callers.items():
        for name in PEOPLE:
            for params, shown in READS_OF_ONE:
                response = await client.get(url(org.id(name)), params=params, headers=headers)
                assert response.status_code == 200, (caller, name, response.text)
                check_record(org, caller, response.json(), f"GET /employees/{{id}}{params}", shown)

    # The subtree is the reporting line as it is now: R1 (and R2 with it) moves to O.
    moved = await client.patch(
        url(org.id("R1")), json={"manager_id": org.id("O")}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    manager = org.callers["manager"]
    for name in ("R1", "R2"):
        assert set(await fetch(client, manager, org.id(name))) == DIRECTORY, name
        assert_problem(await client.get(url(org.id(name), "/history"), headers=manager), 404)


@WITH_AND_WITHOUT_CACHE
async def test_list_pages_and_reports_apply_the_same_matrix(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    for (caller, headers), (params, shown) in product(org.callers.items(), READS_OF_LISTS):
        seen: list[str] = []
        for page in (1, 2, 3):  # paging must not change what a row shows
            response = await client.get(
                EMPLOYEES, params={"page": page, "page_size": 2, **params}, headers=headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["total"] == len(PEOPLE)
            for record in body["items"]:
                check_record(org, caller, record, f"GET /employees{params}", shown)
                seen.append(record["id"])
        assert sorted(seen) == sorted(org.id(n) for n in PEOPLE)

        everyone = await client.get(
            url(org.id("T"), "/reports"), params={"depth": "all", **params}, headers=headers
        )
        assert everyone.status_code == 200, everyone.text
        assert {org.name_of(r["id"]) for r in everyone.json()} == {"M", "R1", "R2", "O"}
        for record in everyone.json():
            check_record(org, caller, record, "GET /employees/{T}/reports?depth=all", shown)
        for boss, direct in (("T", {"M", "O"}), ("M", {"R1"}), ("R1", {"R2"}), ("R2", set())):
            response = await client.get(
                url(org.id(boss), "/reports"), params=params, headers=headers
            )
            assert response.status_code == 200, response.text
            assert {org.name_of(r["id"]) for r in response.json()} == direct
            for record in response.json():
                check_record(org, caller, record, f"GET /employees/{{{boss}}}/reports", shown)


@WITH_AND_WITHOUT_CACHE
async def test_history_follows_the_employment_and_salary_visibility(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """History holds employment data (status) and salaries: 404 where the caller does not
    see employment fields, salary entries only where they see sensitive ones."""
    org = await build_org(client, admin, accounts)
    for caller, headers in org.callers.items():
        for name, letters in zip(PEOPLE, VISIBLE[caller], strict=True):
            response = await client.get(url(org.id(name), "/history"), headers=headers)
            if "E" not in letters:
                assert_problem(response, 404, "employee_not_found")
                continue
            assert response.status_code == 200, response.text
            fields = {entry["field"] for entry in response.json()}
            assert ("salary" in fields) == ("S" in letters), (caller, name, fields)
            assert "status" in fields


async def test_hr_and_admin_create_change_every_field_and_terminate(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    targets = {"admin": "O", "hr": "R1"}
    for n, (caller, target) in enumerate(targets.items()):
        headers = org.callers[caller]
        created = await client.post(
            EMPLOYEES,
            json=employee_body(f"N{n}", f"new{n}@example.com", salary="1.00", ssn=f"00{n}"),
            headers=headers,
        )
        assert created.status_code == 201, created.text
        assert set(created.json()) == ALL_FIELDS - REVEALED  # a write answers the default

        changes = {
            **NEW_VALUES,
            "employee_number": f"X-{caller}",
            "email": f"x-{caller}@example.com",
            "department_id": org.departments["A" if target == "O" else "B"],
            "manager_id": org.id("M" if target == "O" else "T"),
        }
        for name, value in changes.items():
            before = await snapshot(client, admin)
            response = await client.patch(url(org.id(target)), json={name: value}, headers=headers)
            assert response.status_code == 200, (caller, name, response.text)
            assert response.json().get(name) == (None if name in REVEALED else value), name
            after = await snapshot(client, admin)
            expected_after = dict(before)
            expected_after[org.id(target)] = {**before[org.id(target)], name: value}
            assert after == expected_after, (caller, name)

        gone = await client.delete(url(created.json()["id"]), headers=headers)
        assert gone.status_code == 204, gone.text
        record = (await snapshot(client, admin))[created.json()["id"]]
        assert record["status"] == "terminated"


async def test_managers_and_employees_may_not_create_terminate_or_change_others(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    own = {"manager": "M", "employee": "R2"}
    refused_values = {
        **NEW_VALUES,
        "department_id": org.departments["B"],
        "manager_id": org.id("O"),
        "effective_date": "2024-01-01",
    }
    before = await snapshot(client, admin)
    for caller in NOT_MANAGING:
        headers = org.callers[caller]
        assert_problem(
            await client.post(
                EMPLOYEES, json=employee_body("N1", "n1@example.com"), headers=headers
            ),
            403,
        )
        for name in PEOPLE:
            employee_id = org.id(name)
            assert_problem(await client.delete(url(employee_id), headers=headers), 403)
            for field, value in refused_values.items():
                response = await client.patch(
                    url(employee_id), json={field: value}, headers=headers
                )
                if own.get(caller) == name and field in {*SELF_EDITABLE, "effective_date"}:
                    continue  # allowed (effective_date alone changes nothing); see test_self_edit
                assert_problem(response, 403, "field_not_editable")
            # An empty change to a record one may not change is refused too.
            if own.get(caller) != name:
                assert_problem(await client.patch(url(employee_id), json={}, headers=headers), 403)
        if caller in own:
            # One refused field refuses the whole request, allowed ones included.
            assert_problem(
                await client.patch(
                    url(org.id(own[caller])),
                    json={"phone": "+1 000", "job_title": "Chief"},
                    headers=headers,
                ),
                403,
                "field_not_editable",
            )
    after = await snapshot(client, admin)
    for name in own.values():
        # Only the self-editable fields of their own record may have moved.
        for field in SELF_EDITABLE:
            after[org.id(name)][field] = before[org.id(name)][field]
    assert after == before

    # Unknown records are 404 for everyone, never 403.
    missing = "00000000-0000-4000-8000-000000000000"
    for headers in org.callers.values():
        assert_problem(await client.get(url(missing), headers=headers), 404)
        assert_problem(await client.patch(url(missing), json={"phone": "1"}, headers=headers), 404)
        assert_problem(await client.delete(url(missing), headers=headers), 404)


async def test_self_edit_changes_only_phone_address_and_bank_account(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    for caller, name in (("manager", "M"), ("employee", "R2")):
        before = await snapshot(client, admin)
        etag = (await client.get(url(org.id(name)), headers=org.callers[caller])).headers["ETag"]
        changes = {
            "phone": f"+44 20 7946 000{len(name)}",
            "home_address": f"Flat 2, 221B Baker Street ({caller}) — 🏠",
            "bank_account": f"GB29NWBK6016133192681{len(name)}",
        }
        response = await client.patch(
            url(org.id(name)), json=changes, headers={**org.callers[caller], "If-Match": etag}
        )
        assert response.status_code == 200, response.text
        # They see all of their own record (the national ID and bank account on request).
        assert set(response.json()) == ALL_FIELDS - REVEALED
        assert response.headers["ETag"] != etag
        after = await snapshot(client, admin)
        assert after[org.id(name)] == {**before[org.id(name)], **changes}
        assert after == {**before, org.id(name): after[org.id(name)]}

        # Clearing them is a change of those fields too.
        cleared = await client.patch(
            url(org.id(name)), json=dict.fromkeys(changes), headers=org.callers[caller]
        )
        assert cleared.status_code == 200, cleared.text
        assert {k: cleared.json().get(k) for k in changes} == dict.fromkeys(changes)
        assert "bank_account" not in cleared.json()


@WITH_AND_WITHOUT_CACHE
async def test_only_hr_and_admin_search_by_national_id(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    org = await build_org(client, admin, accounts)
    ssn = org.people["R1"]["ssn"]  # "221-42-9827"
    variants = [ssn, ssn.replace("-", " "), ssn.replace("-", ""), f" {ssn} "]
    for caller in ("admin", "hr"):
        for variant in variants:
            response = await client.get(
                EMPLOYEES, params={"ssn": variant}, headers=org.callers[caller]
            )
            assert response.status_code == 200, response.text
            assert [e["id"] for e in response.json()["items"]] == [org.id("R1")], variant
            assert response.json()["total"] == 1
        for unknown in ("999-99-9999", "221-42-982", "x"):
            response = await client.get(
                EMPLOYEES, params={"ssn": unknown}, headers=org.callers[caller]
            )
            assert response.json()["items"] == [], unknown
    for caller in NOT_MANAGING:
        for value in (ssn, "999-99-9999"):  # a miss must not differ from a hit
            assert_problem(
                await client.get(EMPLOYEES, params={"ssn": value}, headers=org.callers[caller]),
                403,
                "hr_only",
            )
