"""Pure ASGI middleware: request ids with access logs, and request body size limits."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shre.kit.problems import PROBLEM_MEDIA_TYPE
from shre.observability.metrics import COUNTERS

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = structlog.get_logger("shre.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when well-formed) and logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        COUNTERS.requests += 1
        scope.setdefault("state", {})["request_id"] = request_id
        client = scope.get("client")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "http.request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                client_ip=client[0] if client else None,
            )
            structlog.contextvars.clear_contextvars()


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses request bodies over a limit with 413, without reading them into memory.

    `overrides` maps path prefixes to their own limit (uploads get MAX_UPLOAD_MB).
    FastAPI's own `max_body_size` is not used because it answers an over-long declared
    Content-Length with a text/plain 413, outside the problem+json contract.
    """

    def __init__(
        self, app: ASGIApp, *, default_limit: int, overrides: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.overrides = sorted(overrides, key=lambda item: -len(item[0]))

    def _limit(self, path: str) -> int:
        for prefix, limit in self.overrides:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _send_413(send, limit)
                return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn the failed read into its own error response (a 400);
            # whatever it sends after the limit was hit is replaced by one 413.
            nonlocal response_started
            if message["type"] == "http.response.start":
                if response_started:
                    return
                response_started = True
                if exceeded:
                    await _send_413(send, limit)
                    return
            elif exceeded:
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not response_started:
                response_started = True
                await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"The request body exceeds the limit of {limit} bytes",
            "code": "body_too_large",
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
