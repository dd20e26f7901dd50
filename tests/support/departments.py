"""Small factories and probes for the departments API tests (everything goes through HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.accounts import Account

DEPARTMENTS = "/api/v1/departments"
DEPARTMENT_FIELDS = {"id", "name", "parent_id", "description", "created_at", "updated_at"}


def department_url(department_id: uuid.UUID | str) -> str:
    return f"{DEPARTMENTS}/{department_id}"


def unique_name(prefix: str = "Dept") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


async def create_department(
    client: httpx.AsyncClient, caller: Account, name: str | None = None, **fields: Any
) -> dict[str, Any]:
    """Create a department as `caller` (admin or hr); returns the response body."""
    body = {"name": name or unique_name(), **fields}
    response = await client.post(DEPARTMENTS, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def read(client: httpx.AsyncClient, caller: Account, department_id: Any) -> httpx.Response:
    response = await client.get(department_url(department_id), headers=caller.headers)
    assert response.status_code == 200, response.text
    return response


async def fetch(client: httpx.AsyncClient, caller: Account, department_id: Any) -> dict[str, Any]:
    body: dict[str, Any] = (await read(client, caller, department_id)).json()
    return body


async def patch(
    client: httpx.AsyncClient,
    caller: Account,
    department_id: Any,
    changes: dict[str, Any],
    **headers: str,
) -> httpx.Response:
    return await client.patch(
        department_url(department_id), json=changes, headers={**caller.headers, **headers}
    )


async def all_departments(client: httpx.AsyncClient, caller: Account) -> list[dict[str, Any]]:
    """Every department, in a stable order: the state to compare before and after."""
    response = await client.get(DEPARTMENTS, params={"page_size": 500}, headers=caller.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return sorted(page["items"], key=lambda d: d["id"])


async def make_chain(
    client: httpx.AsyncClient, caller: Account, depth: int, prefix: str = "Level"
) -> list[dict[str, Any]]:
    """`depth` departments, each the parent of the next: [root, child, grandchild, ...]."""
    chain: list[dict[str, Any]] = []
    for level in range(depth):
        parent_id = chain[-1]["id"] if chain else None
        chain.append(
            await create_department(
                client, caller, unique_name(f"{prefix} {level}"), parent_id=parent_id
            )
        )
    return chain


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors") or []}
