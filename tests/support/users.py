"""Small factories and probes for the users API tests (everything goes through HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.accounts import Account

USERS = "/api/v1/users"
USER_FIELDS = {
    "id",
    "email",
    "full_name",
    "role",
    "is_active",
    "employee_id",
    "created_at",
    "last_login_at",
}
# Long, varied, and unrelated to any email the factories make.
NEW_PASSWORD = "tangerine Orbit 4417 walrus"


async def new_employee(client: httpx.AsyncClient, admin: Account) -> str:
    """A real employee record (users link to employees), made through the API."""
    tag = uuid.uuid4().hex[:10]
    response = await client.post(
        "/api/v1/employees",
        json={
            "employee_number": f"E-{tag}",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": f"grace-{tag}@example.com",
            "hire_date": "2021-03-01",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def user_url(user_id: uuid.UUID | str) -> str:
    return f"{USERS}/{user_id}"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def user_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body; override or drop (value ...) any field."""
    body: dict[str, Any] = {
        "email": unique_email(),
        "password": "violet Canyon 2931 marmot",
        "full_name": "Test User",
        "role": "employee",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def create_user(
    client: httpx.AsyncClient, admin: Account, **overrides: Any
) -> dict[str, Any]:
    """Create a user as `admin`; returns the response body."""
    response = await client.post(USERS, json=user_body(**overrides), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def fetch_user(client: httpx.AsyncClient, admin: Account, user_id: Any) -> dict[str, Any]:
    response = await client.get(user_url(user_id), headers=admin.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def all_users(client: httpx.AsyncClient, admin: Account) -> list[dict[str, Any]]:
    """Every user as the admin sees them, in a stable order: the state to compare."""
    response = await client.get(USERS, params={"page_size": 500}, headers=admin.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return sorted(page["items"], key=lambda u: u["id"])


async def can_login(client: httpx.AsyncClient, email: str, password: str) -> bool:
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code in {200, 401}, response.text
    return response.status_code == 200
