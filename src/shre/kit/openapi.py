"""The error responses of every operation in the OpenAPI schema, as problem+json.

FastAPI documents only the 422 of its own validation (as `HTTPValidationError`, a shape
shre never sends) and what a route declares. `document_problems` adds, once, to every
operation the statuses it can answer (CONTRACT.md §4, "Status codes") with the `Problem`
schema (RFC 9457, as `shre.kit.problems` writes it), decided from the operation itself:
a bearer token (401), an `{id}` in the path (404), a write (403, 409), an If-Match
header (412), a body (413, 422), a file upload (415), parameters (422), and 503 for all.
Reads that a role or rule can refuse (403) and throttled operations (429) are named by
the app. The web app's generated client types its errors from this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Final

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from shre.kit.problems import PROBLEM_MEDIA_TYPE

WRITES: Final = frozenset({"post", "put", "patch", "delete"})
REF: Final = "#/components/schemas/{model}"
PROBLEM_REF: Final = {"$ref": REF.format(model="Problem")}
FASTAPI_VALIDATION: Final = ("HTTPValidationError", "ValidationError")
RETRY_AFTER: Final = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
}
DESCRIPTIONS: Final = {
    401: "No access token, or a bad or expired one",
    403: "Not allowed for the caller's role, or by a rule",
    404: "Unknown, or not visible to the caller",
    409: "Conflict: a duplicate, or a concurrent change",
    412: "The If-Match tag is stale: read again",
    413: "The body is too large",
    415: "The file type is not allowed",
    422: "Invalid input; `errors` lists the fields",
    429: "Too many failed attempts; see Retry-After",
    503: "A backend is unavailable, or the server is overloaded; see Retry-After",
}


BINARY: Final = {"type": "string", "format": "binary"}


def multipart_body(
    properties: dict[str, Any],
    required: Iterable[str],
    *,
    description: str | None = None,
    encoding: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A route's `openapi_extra` for a multipart/form-data body the route reads itself
    (streamed, so FastAPI sees no form parameters to document)."""
    media: dict[str, Any] = {
        "schema": {"type": "object", "required": list(required), "properties": properties}
    }
    if encoding is not None:
        media["encoding"] = encoding
    body: dict[str, Any] = {"required": True, "content": {"multipart/form-data": media}}
    if description is not None:
        body["description"] = description
    return {"requestBody": body}


class ProblemFieldError(BaseModel):
    """One invalid input of a 422."""

    field: str = Field(description="The field, dotted for nested ones")
    location: str = Field(description="body, query, path or header")
    message: str
    type: str = Field(description="The kind of error, e.g. missing, string_too_short")


class Problem(BaseModel):
    """An error (RFC 9457 problem details, `application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    # Always sent; `code` and `errors` only when there is something to say (never null).
    type: str = Field(description="A URI reference; about:blank here")
    title: str = Field(description="The status's phrase")
    status: int
    detail: str = Field(description="What went wrong, for a person")
    code: (
        Annotated[str, Field(description="A stable machine-readable reason")] | SkipJsonSchema[None]
    ) = None
    errors: (
        Annotated[list[ProblemFieldError], Field(description="422: the invalid fields")]
        | SkipJsonSchema[None]
    ) = None


def _schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template=REF)
    for optional in ("code", "errors"):  # left out when absent, never null
        schema["properties"][optional].pop("default", None)
    nested = schema.pop("$defs", {})
    return {"Problem": schema, **nested}


def _under(path: str, pattern: str) -> bool:
    """`pattern` is a path, or a prefix ending in `*`."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def _statuses(
    path: str,
    method: str,
    operation: dict[str, Any],
    refusing: Iterable[str],
    throttled: Iterable[str],
) -> set[int]:
    secured = bool(operation.get("security"))
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {})
    write = method in WRITES
    found = {503}
    if secured:
        found.add(401)
        if write or any(_under(path, p) for p in refusing):
            found.add(403)
        if write:
            found.add(409)
    if "{" in path:
        found.add(404)
    if write and any(
        p.get("in") == "header" and p["name"].lower() == "if-match" for p in parameters
    ):
        found.add(412)
    if body:
        found |= {413, 422}
    if "multipart/form-data" in body:
        found.add(415)
    if parameters:
        found.add(422)
    if any(_under(path, p) for p in throttled):
        found.add(429)
    return found


def _as_problem(status: int, response: dict[str, Any]) -> dict[str, Any]:
    described = {
        "description": response.get("description") or DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }
    if status in (429, 503):
        described["headers"] = RETRY_AFTER
    return described


def _unreferenced(schema: dict[str, Any], names: Iterable[str]) -> list[str]:
    text = repr(schema["paths"])
    return [n for n in names if REF.format(model=n) not in text]


def document_problems(
    app: FastAPI, *, refusing: Iterable[str] = (), throttled: Iterable[str] = ()
) -> None:
    """Add the error responses to the app's OpenAPI schema (built once). `refusing`:
    paths (or prefixes ending in `*`) whose reads can be refused with 403; `throttled`:
    paths that answer 429."""
    refusing, throttled = tuple(refusing), tuple(throttled)
    build: Callable[[], dict[str, Any]] = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if done:
            return done
        schema = build()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                wanted = _statuses(path, method, operation, refusing, throttled)
                for status in wanted | {int(s) for s in responses if str(s)[0] in "45"}:
                    responses[str(status)] = _as_problem(status, responses.get(str(status), {}))
                operation["responses"] = dict(sorted(responses.items()))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(_schemas())
        for name in _unreferenced(schema, FASTAPI_VALIDATION):
            components.pop(name, None)
        done.update(schema)
        return done

    app.openapi = openapi  # type: ignore[method-assign]
