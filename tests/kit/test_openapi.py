"""The OpenAPI document lists every operation's error responses as problem+json (finding
13 of issue 15: it listed none of them, and a 422 shape the app never sends)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shre.kit.openapi import Problem
from tests.support.accounts import Account

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_every_operation_documents_its_errors_as_problems(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) > 30
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        statuses = {int(s) for s in responses}
        for status in statuses:
            if status >= 400:
                content = responses[str(status)]["content"]
                assert list(content) == ["application/problem+json"], (where, status)
                schema = content["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (where, status)
                assert responses[str(status)]["description"], (where, status)
        assert 503 in statuses, where
        assert "Retry-After" in responses["503"]["headers"], where
        secured = bool(operation.get("security"))
        body = operation.get("requestBody", {}).get("content", {})
        headers = {
            p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"
        }
        if secured:
            assert 401 in statuses, where
        if "{" in path:
            assert 404 in statuses, where
        if secured and method in WRITES:
            assert {403, 409} <= statuses, where
        if method in WRITES and "if-match" in headers:
            assert 412 in statuses, where
        if body:
            assert {413, 422} <= statuses, where
        if "multipart/form-data" in body:
            assert 415 in statuses, where
        if operation.get("parameters") or body:
            assert 422 in statuses, where
        else:
            assert 422 not in statuses, where
    by_name = {(m, p): o for p, m, o in operations}
    assert "429" in by_name[("post", "/api/v1/auth/login")]["responses"]
    assert "403" in by_name[("get", "/api/v1/users")]["responses"]  # admins only
    assert "403" in by_name[("get", "/api/v1/employees")]["responses"]  # ?ssn=: hr, admin
    assert "403" not in by_name[("get", "/api/v1/me")]["responses"]
    assert "401" not in by_name[("get", "/healthz")]["responses"]
    assert {"413", "415"} <= by_name[("post", "/api/v1/documents")]["responses"].keys()


async def test_the_problem_schema_is_what_the_app_sends(
    spec: dict[str, Any], client: httpx.AsyncClient, admin: Account
) -> None:
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, never sent
    assert "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert {"code", "errors"} <= problem["properties"].keys()
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref  # every reference resolves
    # Real answers fit it: a 422 with its fields, a 404, a 401.
    for response in (
        await client.post("/api/v1/auth/login", json={"password": "x"}),
        await client.get("/api/v1/departments/not-a-uuid", headers=admin.headers),
        await client.get("/api/v1/departments/00000000-0000-4000-8000-000000000000"),
    ):
        assert response.status_code >= 400
        parsed = Problem.model_validate(response.json())
        assert parsed.status == response.status_code
    invalid = Problem.model_validate(
        (await client.post("/api/v1/auth/login", json={"password": "x"})).json()
    )
    assert invalid.errors is not None
    assert {e.field for e in invalid.errors} >= {"email"}
