"""Domain errors. Services raise these; one handler renders them as problem+json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a service may raise on purpose; carries its HTTP status."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # The request fails, but what it wrote must persist (a counted login failure,
        # a revoked token family): the session commits instead of rolling back.
        self.keep_changes = keep_changes
        self.code = code
        self.headers = dict(headers or {})
        self.errors = list(errors) if errors else None


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"

    def __init__(
        self,
        detail: str = "Authentication required",
        *,
        code: str | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(
            detail, code=code, headers={"WWW-Authenticate": "Bearer"}, keep_changes=keep_changes
        )


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not Found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


def changed_concurrently(what: str) -> Conflict:
    """A lost race with another request's update or delete of the same record."""
    return Conflict(
        f"The {what} was changed by another request; reload and try again",
        code="concurrent_update",
    )


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition Failed"


class Gone(DomainError):
    status = 410
    title = "Gone"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Content Too Large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported Media Type"


class InvalidInput(DomainError):
    status = 422
    title = "Unprocessable Content"


class TooManyRequests(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


# What a 503 for a backend that is down tells the client to wait (seconds).
UNAVAILABLE_RETRY_AFTER = "2"


class ServiceUnavailable(DomainError):
    """Something the request needs is down for now: always with Retry-After
    (UNAVAILABLE_RETRY_AFTER unless `headers` says otherwise), so that clients know to
    try again and when."""

    status = 503
    title = "Service Unavailable"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(
            detail,
            code=code,
            headers={"Retry-After": UNAVAILABLE_RETRY_AFTER, **(headers or {})},
            keep_changes=keep_changes,
        )
