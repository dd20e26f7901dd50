"""RFC 9457 problem+json rendering for every error the app can produce."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shre.kit.errors import UNAVAILABLE_RETRY_AFTER, DomainError
from shre.kit.sql import is_lock_timeout, is_unreachable

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNHANDLED_DETAIL = "An internal error occurred; it has been logged."
log = structlog.get_logger("shre.errors")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    code: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple[int | str, ...]) -> str:
    # ("body", "email") -> "email"; ("query", "page") -> "page"; keep nested paths dotted.
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The fields and reasons, never the submitted values (they may be passwords)."""
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        out.append(
            {
                "field": _field_name(loc),
                "location": str(loc[0]) if loc else "body",
                "message": str(err.get("msg", "invalid")),
                "type": str(err.get("type", "value_error")),
            }
        )
    return out


async def _domain_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)  # noqa: S101 - registered for DomainError only
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        code=exc.code,
        errors=[dict(e) for e in exc.errors] if exc.errors else None,
        headers=exc.headers or None,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(
            422, "The request body is not valid JSON", code="invalid_json", errors=errors
        )
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem(422, f"Invalid input: {fields}", code="validation_error", errors=errors)


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return problem(status, detail, headers=headers)


async def _unhandled(request: Request, exc: Exception) -> ProblemResponse:
    # The traceback goes to the log (SQL parameters are hidden by the engine); the client
    # learns nothing about the internals.
    log.error("request.unhandled_error", error_type=type(exc).__name__, exc_info=exc)
    return problem(500, UNHANDLED_DETAIL)


async def _database_error(request: Request, exc: Exception) -> ProblemResponse:
    """The database is busy (a lock waited for too long, no connection free in time) or
    cannot be reached: 503 with Retry-After, nothing was changed. Anything else it
    refused is a bug: 500."""
    if isinstance(exc, DBAPIError) and is_lock_timeout(exc):
        reason, detail = "lock_timeout", "The record is being changed by another request"
    elif isinstance(exc, PoolTimeout):
        reason, detail = "pool_timeout", "The database has no connection free"
    elif isinstance(exc, ConnectionError) or (isinstance(exc, DBAPIError) and is_unreachable(exc)):
        reason, detail = "unreachable", "The database cannot be reached"
    else:
        return await _unhandled(request, exc)
    log.warning("request.database_unavailable", reason=reason, error_type=type(exc).__name__)
    return problem(
        503,
        f"{detail}; try again shortly",
        code="database_unavailable",
        headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for database_error in (DBAPIError, PoolTimeout, ConnectionError):
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unhandled)
