"""Pure ASGI middleware: admission, request ids with access logs, security headers, and
request body size limits, in one layer."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shre.api.admission import DOOR, Gate, Pacer, Refusal
from shre.api.deps import CLEANUP
from shre.cache import forget_prefetched
from shre.kit.headers import Headers, SecurityHeaders, with_headers
from shre.kit.net import client_ip
from shre.kit.problems import PROBLEM_MEDIA_TYPE, UNHANDLED_DETAIL, problem
from shre.observability.metrics import COUNTERS
from shre.observability.prometheus import UNMATCHED, count_refused, observe_request

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Always answered, however busy the worker: the orchestrator's probes and the scrape.
UNGATED: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def _overloaded(retry_after: int) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
    """The 503 of a refusal, body and headers, made once per worker."""
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"The server is busy: retry in {retry_after} s",
            "code": "overloaded",
        }
    )
    headers = (
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
        (b"cache-control", b"no-store"),
    )
    return body, headers


access_log = structlog.get_logger("shre.access")
log = structlog.get_logger("shre.http")


class BodyTooLarge(Exception):
    pass


class RequestMiddleware:
    """One pure ASGI layer in front of every request (each layer costs every request):

    - a request id (kept from X-Request-ID when well-formed), bound to the logs, answered
      in X-Request-ID, and an access log line;
    - what the request's plain dependencies opened closed once it is over
      (`shre.api.deps.after_response`);
    - the security headers of `shre.kit.headers` on every response, the 413 below too;
    - request bodies over a limit refused with 413, without reading them into memory.
      `overrides` maps path prefixes to their own limit (uploads get MAX_UPLOAD_MB).
      FastAPI's own `max_body_size` is not used because it answers an over-long declared
      Content-Length with a text/plain 413, outside the problem+json contract;
    - admission (`shre.api.admission`): at most `max_concurrent` requests at work at
      once, `queue` more waiting their turn for at most `queue_timeout` seconds, any
      other refused at once with 503 and `retry_after` (Retry-After, seconds; longer
      while many connections are refused, see `Pacer`), before any other work (health
      checks and /metrics always pass); a connection refused again sooner than that
      gets its 503 when that time is over. It offers itself to
      the HTTP protocol in the server's lifespan state (`shre.api.admission.DOOR`): a
      request refused at once is then answered there, before any task is started;
    - each request counted in the Prometheus metrics under its route's template:
      `templates` gives, by the route's id, the full one of the routes included under
      a prefix (the route a request names is its router's, whose path lacks it).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        overrides: Sequence[tuple[str, int]] = (),
        production: bool = False,
        templates: Mapping[int, str] | None = None,
        metrics: bool = True,
        max_concurrent: int,
        queue: int,
        queue_timeout: float,
        retry_after: int,
    ) -> None:
        self.app = app
        self.requests = Gate(max_concurrent, queue, queue_timeout)
        # Uploads (the routes with a body limit of their own) hold their place as long
        # as their client takes to send the file: a quarter of the places, apart, so slow
        # uploads never keep every other request out.
        self.uploads = Gate(max(1, max_concurrent // 4), queue, queue_timeout)
        self.pacer = Pacer(retry_after)
        # The 503 for each Retry-After the pacer gives, made once.
        self._answers: dict[int, tuple[bytes, tuple[tuple[bytes, bytes], ...]]] = {}
        self._refused = 0
        self._refusals_logged = 0.0
        self.metrics = metrics
        self.templates = dict(templates or {})
        self.default_limit = default_limit
        self.overrides = sorted(overrides, key=lambda item: -len(item[0]))
        self.security = SecurityHeaders(production=production)

    def _limit(self, path: str) -> int:
        for prefix, limit in self.overrides:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    def _gate(self, path: str, limit: int, body: bool) -> Gate | None:
        if path in UNGATED:
            return None
        return self.uploads if body and limit != self.default_limit else self.requests

    def early(self, scope: Mapping[str, Any]) -> Refusal | None:
        """`shre.api.admission.Door`: a request that would be refused at once, refused
        (counted, paced) without a task: the HTTP protocol sends what this returns."""
        path = scope.get("path", "")
        if path in UNGATED or (self.requests.refuses() is None and self.uploads.refuses() is None):
            return None  # the common case: nothing read twice, the middleware reads it all
        incoming, _, body = _head(scope)
        gate = self._gate(path, self._limit(path), body)
        reason = gate.refuses() if gate is not None else None
        if gate is None or reason is None:
            return None
        client = scope.get("client")
        delay, retry_after = self.pacer.delay(
            tuple(client) if client else None, asyncio.get_running_loop().time()
        )
        self._count_refusal(reason, gate)
        answer, headers = self._answer(retry_after)
        return Refusal(
            delay, self._refusal_headers(path, _request_id(incoming), body, headers), answer, body
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and isinstance(scope.get("state"), dict):
                scope["state"][DOOR] = self  # the server's protocols find it there
            await self.app(scope, receive, send)
            return
        incoming, declared, body = _head(scope)
        request_id = _request_id(incoming)
        started = time.perf_counter()
        path = scope.get("path", "")
        limit = self._limit(path)
        gate = self._gate(path, limit, body)
        if gate is not None:
            refused = await gate.enter()
            if refused is not None:
                await self._refuse(scope, send, refused, gate, request_id, body)
                return
        try:
            await self._serve(scope, receive, send, request_id, started, limit, body, declared)
        finally:
            if gate is not None:
                gate.leave()

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        started: float,
        limit: int,
        body: bool,
        declared: str | None,
    ) -> None:
        COUNTERS.requests += 1
        scope.setdefault("state", {})["request_id"] = request_id
        cleanup: list[Callable[[], Awaitable[None]]] = []
        scope[CLEANUP] = cleanup
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        forget_prefetched()
        security = self.security.for_path(scope.get("path", ""))
        status = 500
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

        async def send_with_id(message: Message) -> None:
            # The framework may turn a failed read into its own error response (a 400):
            # whatever it sends after the limit was hit is replaced by one 413.
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                if response_started:
                    return
                response_started = True
                if exceeded:
                    status = 413
                    await _send_413(send, limit, request_id, security)
                    return
                status = message["status"]
                headers = with_headers(list(message.get("headers", [])), security)
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif exceeded:
                return
            await send(message)

        try:
            if declared is not None and _too_long(declared, limit):
                status = 413
                await _send_413(send, limit, request_id, security)
                return
            await self.app(scope, limited_receive if body else receive, send_with_id)
        except BodyTooLarge:
            if not response_started:
                response_started = True
                status = 413
                await _send_413(send, limit, request_id, security)
        except Exception:
            # Starlette's outermost layer would answer the 500 (after logging it through
            # the app's handler) without this layer's headers: the same answer goes out
            # from here, and the error on to be logged.
            if not response_started:
                await problem(500, UNHANDLED_DETAIL)(scope, receive, send_with_id)
            raise
        finally:
            await self._finish(scope, status, started, cleanup)

    async def _finish(
        self,
        scope: Scope,
        status: int,
        started: float,
        cleanup: list[Callable[[], Awaitable[None]]],
    ) -> None:
        """Once the answer is sent: the request counted, what its dependencies opened
        closed, its access line written, the request's context cleared."""
        if self.metrics:
            route = scope.get("route")
            observe_request(
                scope.get("method", ""),
                self.templates.get(id(route)) or getattr(route, "path", None) or UNMATCHED,
                status,
                time.perf_counter() - started,
            )
        for close in reversed(cleanup):
            try:
                await close()
            except Exception as exc:  # the answer is sent: log it, close the rest
                log.error("request.cleanup_failed", error_type=type(exc).__name__)
        if access_log.isEnabledFor(logging.INFO):
            # ECS names: the line is one Elasticsearch document as it is. The
            # duration in nanoseconds (ECS' unit); the caller by id only.
            fields = {
                "http.request.method": scope.get("method"),
                "url.path": scope.get("path", ""),
                "http.response.status_code": status,
                "event.duration": round((time.perf_counter() - started) * 1e9),
                "client.ip": client_ip(scope.get("client")),
            }
            caller = scope["state"].get("principal")
            if caller is not None:
                fields["user.id"] = str(caller.id)
            access_log.info("http.request", **fields)
        structlog.contextvars.clear_contextvars()
        forget_prefetched()

    async def _refuse(
        self, scope: Scope, send: Send, reason: str, gate: Gate, request_id: str, body: bool
    ) -> None:
        """503 with Retry-After, from bytes made once: the worker has more than it can
        answer in time. A connection refused again before its Retry-After is over gets
        its answer when it is over (`Pacer`). (Under `shre serve` most refusals are made
        by the HTTP protocol instead, from `early`; this one is for a request that found
        the queue full only once its task ran, or waited too long.)"""
        client = scope.get("client")
        retry_after = await self.pacer.pace(tuple(client) if client else None)
        self._count_refusal(reason, gate)
        answer, made = self._answer(retry_after)
        headers = self._refusal_headers(scope.get("path", ""), request_id, body, made)
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def _answer(self, retry_after: int) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
        found = self._answers.get(retry_after)
        if found is None:
            found = self._answers[retry_after] = _overloaded(retry_after)
        return found

    def _count_refusal(self, reason: str, gate: Gate) -> None:
        """A refused request counted, and the refusals summed up in one log line per
        second at most (a line each would add to the load)."""
        if self.metrics:
            count_refused(reason)
        self._refused += 1
        now = time.monotonic()
        if now - self._refusals_logged >= 1.0:
            log.warning(
                "http.overloaded",
                refused=self._refused,
                reason=reason,
                active=gate.active,
                waiting=gate.waiting,
            )
            self._refused = 0
            self._refusals_logged = now

    def _refusal_headers(
        self, path: str, request_id: str, body: bool, made: tuple[tuple[bytes, bytes], ...]
    ) -> list[tuple[bytes, bytes]]:
        headers = with_headers(
            [*made, (b"x-request-id", request_id.encode())],
            self.security.for_path(path),
        )
        if body:
            # Its body is left unread: the connection cannot carry another request.
            headers.append((b"connection", b"close"))
        return headers


def _head(scope: Mapping[str, Any]) -> tuple[str | None, str | None, bool]:
    """From a request's headers: its X-Request-ID, its Content-Length, and whether it
    has a body at all (a length or chunks; neither: none, RFC 9112 §6.3)."""
    incoming = declared = chunked = None
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            incoming = value.decode("latin-1")
        elif key == b"content-length":
            declared = value.decode("latin-1")
        elif key == b"transfer-encoding":
            chunked = value
    return incoming, declared, declared is not None or chunked is not None


def _request_id(incoming: str | None) -> str:
    """The client's X-Request-ID when it is well-formed, else a new one."""
    return incoming if incoming and _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex


def _too_long(declared: str, limit: int) -> bool:
    try:
        return int(declared) > limit
    except ValueError:
        return False  # not a number: the server refuses it, or the read is limited


async def _send_413(send: Send, limit: int, request_id: str, security: Headers) -> None:
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
                (b"x-request-id", request_id.encode()),
                *security,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
