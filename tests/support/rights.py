"""Data subject rights through the API: a former employee with everything shre can hold
about a person (sensitive values, history, documents with versions, a user account), the
access export read back, and what the storage backends still hold."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx

from shre.api.runtime import Runtime
from shre.policy import Role
from shre.storage import BACKENDS
from tests.support.accounts import Account, Accounts
from tests.support.documents import add_version, uploaded
from tests.support.employees import EMPLOYEES, create_department, sensitive_values

HOLD = "Tribunal claim 2026/17: keep everything"


def url(employee_id: Any, suffix: str = "") -> str:
    return f"{EMPLOYEES}/{employee_id}{suffix}"


@dataclass
class Person:
    id: str
    values: dict[str, str]  # what must be gone after the erasure
    documents: dict[str, list[bytes]]  # document id -> its versions' bytes
    department_id: str
    user_email: str
    user_headers: dict[str, str]


async def former_employee(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, n: int = 1
) -> Person:
    """A terminated employee with sensitive values, a salary change, a user account and
    two documents (one with two versions)."""
    tag = uuid.uuid4().hex[:6]
    department = await create_department(client, admin, f"Research {tag}")
    values = {
        "employee_number": f"E-{tag}",
        "first_name": f"Grace{tag}",
        "last_name": f"Hopper{tag}",
        "email": f"grace-{tag}@example.com",
        "phone": "+44 20 7946 0958",
        "location": f"Bletchley {tag}",
        **sensitive_values(n),
    }
    body = {
        **values,
        "job_title": "Analyst",
        "department_id": department,
        "hire_date": "2020-01-01",
    }
    response = await client.post(EMPLOYEES, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    employee_id = response.json()["id"]
    raised = await client.patch(
        url(employee_id),
        json={"salary": f"{n}9{n}99.00", "effective_date": "2021-01-01"},
        headers=admin.headers,
    )
    assert raised.status_code == 200, raised.text
    values["raised_salary"] = f"{n}9{n}99.00"
    email = f"grace-user-{tag}@example.com"
    await accounts.create(Role.EMPLOYEE, email, employee_id=uuid.UUID(employee_id))
    tokens = await accounts.login(email)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    contract = f"Contract of Grace{tag} Hopper{tag}".encode()
    doc = await uploaded(
        client, admin.headers, contract, category="contract", employee_id=employee_id
    )
    signed = contract + b", signed"
    added = await add_version(client, admin.headers, doc["id"], signed)
    assert added.status_code == 201, added.text
    payslip = f"Payslip of Grace{tag}".encode()
    slip = await uploaded(
        client, admin.headers, payslip, category="payslip", employee_id=employee_id
    )
    ended = await client.delete(url(employee_id), headers=admin.headers)
    assert ended.status_code == 204, ended.text
    return Person(
        employee_id,
        values,
        {doc["id"]: [contract, signed], slip["id"]: [payslip]},
        department,
        email,
        headers,
    )


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], employee_id: Any
) -> zipfile.ZipFile:
    response = await client.get(url(employee_id, "/export"), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def read_json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


async def stored_keys(runtime: Runtime, employee_id: Any) -> dict[str, list[str]]:
    """What each configured backend holds under the employee's prefix, listed by the
    backend itself (files on disk, the bucket's listing)."""
    stores = runtime.storages
    out: dict[str, list[str]] = {}
    for backend in BACKENDS:
        if stores.configured(backend):
            prefix = f"employees/{employee_id}/"
            out[backend] = [o.key async for o in stores.get(backend).iter_objects(prefix)]
    return out


async def figures(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    """Headcount and turnover over the years the tests' people were employed."""
    out = []
    for report in ("headcount", "turnover"):
        response = await client.get(
            f"/api/v1/analytics/{report}",
            params={"from": "2019-12", "to": "2026-12"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        out.append(response.json())
    return out
