"""GET /employees: the paging envelope, sorting, filters and `q`, with the cache and
without it."""

from __future__ import annotations

from typing import Any

import httpx

from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import WITH_AND_WITHOUT_CACHE, assert_problem
from tests.support.employees import EMPLOYEES, create, create_department, employee_body, sign_in

pytestmark = WITH_AND_WITHOUT_CACHE

# number | first | last | email | job title | hire date | status | department | manager
PEOPLE = [
    line.split("|")
    for line in (
        "A-003|Zoë|Brown|zoe@example.com|Engineer|2019-05-01|active|X|",
        "A-001|Adam|Clark|adam@example.com|Head of Sales|2015-01-10|active|Y|",
        "B-010|Émile|Brown|emile@example.com|50% Recruiter|2021-11-30|on_leave|X|A-003",
        "A-002|Ann|Dale|a_dale@example.com|Sales_Rep|2018-03-03|terminated|Y|A-001",
        "C-100|Bob|Abbott|bob@example.net|Data\\Engineer|2023-07-07|active|X|A-003",
    )
]


async def seed(client: httpx.AsyncClient, admin: Account) -> dict[str, Any]:
    """The people above; returns ids by employee number and departments by letter."""
    departments = {
        "X": await create_department(client, admin, "Engineering"),
        "Y": await create_department(client, admin, "Sales"),
    }
    ids: dict[str, str] = {}
    for number, first, last, email, title, hired, status, dept, boss in PEOPLE:
        created = await create(
            client,
            admin,
            employee_body(
                number,
                email,
                first_name=first,
                last_name=last,
                job_title=title,
                hire_date=hired,
                status=status,
                department_id=departments[dept],
                manager_id=ids[boss] if boss else None,
            ),
        )
        ids[number] = created["id"]
    return {"ids": ids, "departments": departments}


async def numbers(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(EMPLOYEES, params={"page_size": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    if "page" not in params:
        assert body["total"] == len(body["items"])
    return [e["employee_number"] for e in body["items"]]


async def test_paging_envelope_and_limits(client: httpx.AsyncClient, admin: Account) -> None:
    await seed(client, admin)
    first = await client.get(EMPLOYEES, headers=admin.headers)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"items", "total", "page", "page_size"}
    assert (body["total"], body["page"], body["page_size"]) == (5, 1, 50)
    assert len(body["items"]) == 5

    walked: list[str] = []
    for page in (1, 2, 3):
        response = await client.get(
            EMPLOYEES,
            params={"page": page, "page_size": 2, "sort": "employee_number"},
            headers=admin.headers,
        )
        body = response.json()
        assert (body["total"], body["page"], body["page_size"]) == (5, page, 2)
        walked += [e["employee_number"] for e in body["items"]]
    assert walked == sorted(p[0] for p in PEOPLE)
    beyond = (await client.get(EMPLOYEES, params={"page": 9}, headers=admin.headers)).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)

    assert (
        await client.get(EMPLOYEES, params={"page_size": 500}, headers=admin.headers)
    ).status_code == 200
    for params in ({"page": 0}, {"page_size": 0}, {"page_size": 501}, {"page": "x"}):
        problem = assert_problem(
            await client.get(EMPLOYEES, params=params, headers=admin.headers), 422
        )
        assert [e["field"] for e in problem["errors"]] == list(params), params
    assert_problem(await client.get(EMPLOYEES), 401)


async def test_sorting(client: httpx.AsyncClient, admin: Account) -> None:
    await seed(client, admin)
    h = admin.headers
    by_name = await numbers(client, h)  # default: last_name, then id
    assert by_name[0] == "C-100"  # Abbott
    assert set(by_name[1:3]) == {"A-003", "B-010"}  # both Brown: in the order of their ids
    assert by_name[3:] == ["A-001", "A-002"]  # Clark, Dale
    assert await numbers(client, h, sort="last_name") == by_name
    assert await numbers(client, h, sort="-last_name") == by_name[::-1]
    assert await numbers(client, h, sort="-hire_date") == [
        "C-100",
        "B-010",
        "A-003",
        "A-002",
        "A-001",
    ]
    assert await numbers(client, h, sort="hire_date") == [
        "A-001",
        "A-002",
        "A-003",
        "B-010",
        "C-100",
    ]
    assert await numbers(client, h, sort="employee_number") == sorted(p[0] for p in PEOPLE)
    assert await numbers(client, h, sort="-employee_number") == sorted(
        (p[0] for p in PEOPLE), reverse=True
    )
    # Paging one at a time through equal keys neither repeats nor skips anyone.
    walked = []
    for page in range(1, 6):
        walked += await numbers(client, h, sort="last_name", page=page, page_size=1)
    assert walked == by_name

    # Sensitive and unknown fields are not sortable; malformed sorts are refused.
    for sort in ("salary", "-ssn", "date_of_birth", "nope", "status"):
        problem = assert_problem(
            await client.get(EMPLOYEES, params={"sort": sort}, headers=h), 422, "invalid_sort"
        )
        assert [e["field"] for e in problem["errors"]] == ["sort"]
    for sort in ("last name", "--hire_date", "LAST_NAME", "x" * 65):
        problem = assert_problem(await client.get(EMPLOYEES, params={"sort": sort}, headers=h), 422)
        assert [e["field"] for e in problem["errors"]] == ["sort"], sort


async def test_filters(client: httpx.AsyncClient, admin: Account) -> None:
    data = await seed(client, admin)
    ids, departments = data["ids"], data["departments"]
    h = admin.headers
    sort = {"sort": "employee_number"}
    assert await numbers(client, h, department_id=departments["X"], **sort) == [
        "A-003",
        "B-010",
        "C-100",
    ]
    assert await numbers(client, h, manager_id=ids["A-003"], **sort) == ["B-010", "C-100"]
    assert await numbers(client, h, manager_id=ids["C-100"]) == []
    assert await numbers(client, h, status="active", **sort) == ["A-001", "A-003", "C-100"]
    assert await numbers(client, h, status="on_leave") == ["B-010"]
    assert await numbers(client, h, status="terminated") == ["A-002"]
    assert await numbers(client, h, department_id=departments["X"], status="active", **sort) == [
        "A-003",
        "C-100",
    ]
    assert await numbers(client, h, department_id=departments["Y"], q="sales", **sort) == [
        "A-001",
        "A-002",
    ]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert await numbers(client, h, department_id=unknown) == []
    for params in (
        {"status": "fired"},
        {"department_id": "not-a-uuid"},
        {"manager_id": "1"},
    ):
        problem = assert_problem(await client.get(EMPLOYEES, params=params, headers=h), 422)
        assert [e["field"] for e in problem["errors"]] == list(params)


async def test_q_searches_names_email_number_and_title(
    client: httpx.AsyncClient, admin: Account
) -> None:
    await seed(client, admin)
    h = admin.headers
    cases = {
        "brown": ["A-003", "B-010"],  # last name, any case
        "BROWN": ["A-003", "B-010"],
        "adam": ["A-001"],  # first name
        "ann dale": ["A-002"],  # "first last"
        "example.net": ["C-100"],  # email
        "a-00": ["A-001", "A-002", "A-003"],  # employee number, case-insensitive
        "head of": ["A-001"],  # job title
        "engineer": ["A-003", "C-100"],
        # % and _ are literal characters, not wildcards
        "50%": ["B-010"],
        "%": ["B-010"],
        "_": ["A-002"],  # a_dale@, Sales_Rep
        "s_r": ["A-002"],
        "a\\e": ["C-100"],  # a backslash is literal too: "data\\engineer"
        "\\": ["C-100"],
        "\\_": [],  # not an escaped "_"
        "\\%": [],
        "nobody": [],
    }
    for q, expected in cases.items():
        assert await numbers(client, h, q=q, sort="employee_number") == expected, q
    problem = assert_problem(await client.get(EMPLOYEES, params={"q": "x\x00"}, headers=h), 422)
    assert [e["field"] for e in problem["errors"]] == ["q"]


async def test_q_folds_case_beyond_ascii(client: httpx.AsyncClient, admin: Account) -> None:
    """Zoë and Émile are found whatever the case of the query (SQLite too: shre gives it
    a Unicode-aware lower())."""
    await seed(client, admin)
    for q, expected in {"zoë": ["A-003"], "ZOË": ["A-003"], "émile": ["B-010"]}.items():
        assert await numbers(client, admin.headers, q=q) == expected, q


async def test_filters_and_sorts_reveal_no_employment_data_beyond_the_callers_scope(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """Status and hire date are employment fields: filtering or sorting by them ranges
    over the records whose employment fields the caller may read (self and, for a
    manager, the reporting subtree), or the result would disclose them."""
    data = await seed(client, admin)
    ids = data["ids"]
    employee = await sign_in(accounts, Role.EMPLOYEE, "e@example.com", ids["B-010"])
    manager = await sign_in(accounts, Role.MANAGER, "m@example.com", ids["A-003"])
    stranger = await sign_in(accounts, Role.EMPLOYEE, "s@example.com")
    sort = {"sort": "employee_number"}

    assert await numbers(client, employee, status="terminated") == []
    assert await numbers(client, employee, status="on_leave") == ["B-010"]
    assert await numbers(client, employee, status="active") == []
    assert await numbers(client, employee, sort="-hire_date") == ["B-010"]
    assert await numbers(client, stranger, status="terminated") == []
    assert await numbers(client, stranger, sort="hire_date") == []

    assert await numbers(client, manager, status="active", **sort) == ["A-003", "C-100"]
    assert await numbers(client, manager, status="terminated") == []
    assert await numbers(client, manager, sort="-hire_date") == ["C-100", "B-010", "A-003"]
    # Directory filters and sorts still range over everyone.
    assert len(await numbers(client, employee, sort="-last_name")) == 5
    assert len(await numbers(client, manager, q="example")) == 5


async def test_employment_type_filter_and_termination_date_sort(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts
) -> None:
    """The web app's type filter and leavers list: `employment_type=` narrows a list and
    `sort=termination_date` orders it; both are employment fields, so a caller who may
    not read them gets only the records whose employment fields they see."""
    data = await seed(client, admin)
    ids = data["ids"]
    for number, kind in (("C-100", "contractor"), ("B-010", "intern"), ("A-001", "contractor")):
        changed = await client.patch(
            f"{EMPLOYEES}/{ids[number]}", json={"employment_type": kind}, headers=admin.headers
        )
        assert changed.status_code == 200, changed.text
    for number, left in (("A-003", "2024-02-01"), ("A-001", "2023-06-30")):
        ended = await client.patch(
            f"{EMPLOYEES}/{ids[number]}",
            json={"status": "terminated", "termination_date": left},
            headers=admin.headers,
        )
        assert ended.status_code == 200, ended.text
    h = admin.headers
    sort = {"sort": "employee_number"}
    assert await numbers(client, h, employment_type="contractor", **sort) == ["A-001", "C-100"]
    assert await numbers(client, h, employment_type="intern") == ["B-010"]
    assert await numbers(client, h, employment_type="part_time") == []
    assert await numbers(client, h, employment_type="full_time", **sort) == ["A-002", "A-003"]
    assert await numbers(client, h, status="terminated", employment_type="contractor", **sort) == [
        "A-001"
    ]
    leavers = await numbers(client, h, status="terminated", sort="-termination_date")
    # A-002 was created terminated with no date: no date sorts before every date, on
    # either database.
    assert leavers == ["A-003", "A-001", "A-002"]
    assert await numbers(client, h, status="terminated", sort="termination_date") == [
        "A-002",
        "A-001",
        "A-003",
    ]
    problem = assert_problem(
        await client.get(EMPLOYEES, params={"employment_type": "boss"}, headers=h), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["employment_type"]

    employee = await sign_in(accounts, Role.EMPLOYEE, "e@example.com", ids["B-010"])
    manager = await sign_in(accounts, Role.MANAGER, "m@example.com", ids["A-003"])
    assert await numbers(client, employee, employment_type="contractor") == []
    assert await numbers(client, employee, employment_type="intern") == ["B-010"]
    assert await numbers(client, employee, sort="termination_date") == ["B-010"]
    assert await numbers(client, manager, employment_type="contractor") == ["C-100"]
