"""The read routes' lighter plumbing: query parameters validated as one model, a session
that only reads and is closed after the response, the bearer token read without
FastAPI's HTTPBearer — with the same errors, documentation and guarantees as before."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select, update

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.db import read_only_session
from shre.departments.models import Department
from shre.policy import Role
from tests.support.accounts import Accounts
from tests.support.app import assert_problem

EMPLOYEES = "/api/v1/employees"


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        (EMPLOYEES, {"page": "0"}, "page"),
        (EMPLOYEES, {"page_size": "501"}, "page_size"),
        (EMPLOYEES, {"page": "two"}, "page"),
        (EMPLOYEES, {"sort": "last_name; drop"}, "sort"),
        (EMPLOYEES, {"department_id": "nope"}, "department_id"),
        (EMPLOYEES, {"status": "fired"}, "status"),
        (EMPLOYEES, {"q": "x" * 201}, "q"),
        (EMPLOYEES, {"q": "Secret-Value\x1b[2J"}, "q"),
        ("/api/v1/documents", {"category": "recipes"}, "category"),
        ("/api/v1/documents", {"expiring_before": "soon"}, "expiring_before"),
        ("/api/v1/departments", {"parent_id": "1"}, "parent_id"),
    ],
)
async def test_bad_query_parameters_are_422_problems_naming_them(
    client: httpx.AsyncClient,
    accounts: Accounts,
    route: str,
    params: dict[str, str],
    field: str,
) -> None:
    hr = await accounts.signed_in(Role.HR)
    response = await client.get(route, params=params, headers=hr.headers)
    body = assert_problem(response, 422, "validation_error")
    assert [(e["field"], e["location"]) for e in body["errors"]] == [(field, "query")]
    assert "Secret-Value" not in response.text  # what was sent is never echoed


async def test_query_parameters_as_fastapi_reads_them(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    hr = await accounts.signed_in(Role.HR)
    # Unknown parameters are ignored; one given twice counts with its last value.
    response = await client.get(
        EMPLOYEES + "?page=1&page=2&page_size=5&colour=blue", headers=hr.headers
    )
    assert response.status_code == 200, response.text
    assert (response.json()["page"], response.json()["page_size"]) == (2, 5)
    # No token at all, or another scheme: 401, before any parameter is looked at.
    assert_problem(await client.get(EMPLOYEES + "?page=0"), 401, "missing_token")
    basic = {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert_problem(await client.get(EMPLOYEES, headers=basic), 401, "missing_token")
    assert_problem(
        await client.get(EMPLOYEES, headers={"Authorization": "Bearer "}), 401, "missing_token"
    )


async def test_openapi_documents_the_parameters_and_the_token(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    listing = spec["paths"]["/api/v1/employees"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert set(parameters) == {
        "page",
        "page_size",
        "sort",
        "q",
        "department_id",
        "manager_id",
        "status",
        "employment_type",
        "ssn",
        "fields",
        "format",
    }
    assert all(p["in"] == "query" and not p["required"] for p in parameters.values())
    assert parameters["page_size"]["schema"]["maximum"] == 500
    assert listing["security"] == [{"HTTPBearer": []}]
    assert spec["paths"]["/api/v1/employees/{employee_id}"]["patch"]["security"] == [
        {"HTTPBearer": []}
    ]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_a_read_gives_its_connection_back(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR)
    pool = runtime.engine.pool
    for path in (
        EMPLOYEES + "?q=nobody",  # a miss: the page is read from the database
        f"{EMPLOYEES}/{uuid.uuid4()}",  # a 404
        "/api/v1/departments",
        "/api/v1/documents",
    ):
        response = await client.get(path, headers=hr.headers)
        assert response.status_code in (200, 404), response.text
        assert pool.checkedout() == 0, path  # type: ignore[attr-defined]


async def test_a_session_that_only_reads_refuses_every_write(runtime: Runtime) -> None:
    session = read_only_session(runtime.sessionmaker)
    try:
        assert (await session.execute(select(Department.id))).all() == []
        session.add(Department(id=uuid.uuid4(), name="Never written"))
        with pytest.raises(RuntimeError, match="only reads"):
            await session.flush()
        session.expunge_all()
        with pytest.raises(RuntimeError, match="only reads"):
            await session.execute(update(Department).values(description="x"))
        audit = AuditTrail.system(session, runtime.sessionmaker)
        with pytest.raises(RuntimeError, match="record_read"):
            await audit.record("department.update", target_type="department")
    finally:
        await session.close()
    async with runtime.sessionmaker() as check:
        assert (await check.execute(select(Department.id))).all() == []
