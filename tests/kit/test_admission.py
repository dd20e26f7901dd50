"""Admission: a worker works on a bounded number of requests, lets a bounded number wait
their turn for a bounded time, and refuses the rest at once with 503 and Retry-After —
before any database or cache work — while health checks and /metrics always pass."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shre.api.admission import QUEUE_FULL, QUEUE_TIMEOUT, Gate, Pacer
from shre.observability.metrics import COUNTERS
from shre.observability.prometheus import exposition
from tests.support.accounts import Account
from tests.support.app import assert_problem
from tests.support.metrics import value

# --- the gate itself -------------------------------------------------------------------


async def test_a_gate_lets_in_its_limit_then_queues_in_order() -> None:
    gate = Gate(limit=2, queue=3, timeout=30)
    assert await gate.enter() is None
    assert await gate.enter() is None
    assert gate.active == 2
    admitted: list[int] = []

    async def wait(n: int) -> None:
        assert await gate.enter() is None
        admitted.append(n)

    waiters = [asyncio.create_task(wait(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert gate.waiting == 3
    assert await gate.enter() == QUEUE_FULL  # a fourth would wait: refused at once
    gate.leave()
    await asyncio.sleep(0)
    assert admitted == [0]  # the place passed to the longest waiting, none other
    gate.leave()
    gate.leave()
    await asyncio.gather(*waiters)
    assert admitted == [0, 1, 2]
    assert (gate.active, gate.waiting) == (2, 0)
    gate.leave()
    gate.leave()
    assert gate.active == 0


async def test_a_request_waits_at_most_the_timeout() -> None:
    gate = Gate(limit=1, queue=5, timeout=0.05)
    assert await gate.enter() is None
    assert await gate.enter() == QUEUE_TIMEOUT
    assert (gate.active, gate.waiting) == (1, 0)
    gate.leave()  # nobody waits any more: the place is free
    assert gate.active == 0
    assert await gate.enter() is None


async def test_a_connection_refused_again_sooner_waits_out_its_retry_after() -> None:
    pacer = Pacer(every=0.2)
    loop = asyncio.get_running_loop()

    async def done_at_once(connection: tuple[str, int] | None) -> bool:
        task = asyncio.create_task(pacer.pace(connection))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        answered = task.done()
        await task
        return answered

    one, other = ("10.0.0.1", 5000), ("10.0.0.1", 5001)
    assert await done_at_once(one)  # a first refusal: at once
    assert await done_at_once(other)  # another connection's: at once too
    assert await done_at_once(None)  # no connection to tell (not paced)
    started = loop.time()
    assert not await done_at_once(one)  # asked again at once: waits
    assert loop.time() - started >= 0.19
    await asyncio.sleep(0.25)  # a client that waits its Retry-After is never held
    assert await done_at_once(one)
    assert pacer.remembered == 1  # `other`, refused long ago, is forgotten


def test_the_retry_after_grows_with_the_connections_refused_so_refusals_stay_few() -> None:
    """While few connections are refused, each is told `every`; with more refused within
    their Retry-After than `cheap` a second would refuse in that time, the Retry-After
    is as long as refusing each once at `cheap` a second takes (at most `longest`), and
    it shrinks again as they go."""
    pacer = Pacer(every=2, cheap=10, longest=30)
    given = [pacer.delay(("10.0.0.1", port), 0.0)[1] for port in range(60)]
    assert given[:21] == [2] * 21  # up to 20 refused within 2 s: 10 a second will do
    assert given[21:31] == [3] * 10  # 21 to 30 refused within their Retry-After
    assert given[-1] == 6  # 60 connections at 10 a second: 6 s each
    assert pacer.remembered == 60
    # Each asks again the moment it is refused: its refusal waits out what it was told.
    wait, again = pacer.delay(("10.0.0.1", 59), 0.0)
    assert (round(wait, 6), again) == (5.9, 6)  # told 6 (5.9 rounded up), held 5.9
    # A connection refused a long time ago counts no more; nor do those whose
    # Retry-After is over.
    assert pacer.delay(("10.0.0.2", 1), 100.0) == (0.0, 6)  # counted before forgetting
    assert pacer.remembered == 1
    assert pacer.delay(("10.0.0.2", 2), 100.0) == (0.0, 2)
    many = Pacer(every=2, cheap=1, longest=30)
    assert max(many.delay(("10.0.0.3", port), 0.0)[1] for port in range(100)) == 30


async def test_a_client_gone_while_waiting_frees_its_place_in_the_queue() -> None:
    gate = Gate(limit=1, queue=1, timeout=30)
    assert await gate.enter() is None
    gone = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert gate.waiting == 1
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert gate.waiting == 0
    later = asyncio.create_task(gate.enter())  # the queue has room again
    await asyncio.sleep(0)
    assert gate.waiting == 1
    gate.leave()
    assert await later is None
    assert gate.active == 1


async def test_a_place_handed_to_a_client_gone_meanwhile_goes_to_the_next() -> None:
    gate = Gate(limit=1, queue=2, timeout=30)
    assert await gate.enter() is None
    gone = asyncio.create_task(gate.enter())
    nxt = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # the place goes to `gone`, whose task is cancelled before it resumes
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await nxt is None
    assert (gate.active, gate.waiting) == (1, 0)


# --- through the app -------------------------------------------------------------------


class Held:
    """A request whose body arrives only when released: it holds its place meanwhile."""

    def __init__(self) -> None:
        self.reading = asyncio.Event()
        self.release = asyncio.Event()

    async def body(self) -> AsyncIterator[bytes]:
        self.reading.set()
        await self.release.wait()
        yield b'{"email": "nobody@example.com", "password": "not-the-password"}'

    async def post(self, client: httpx.AsyncClient, path: str, **kwargs: Any) -> httpx.Response:
        return await client.post(path, content=self.body(), **kwargs)

    async def inside(self, client: httpx.AsyncClient) -> asyncio.Task[httpx.Response]:
        """A sign-in, let in and held there until released: its answer, to come."""
        json = {"content-type": "application/json"}
        task = asyncio.create_task(self.post(client, "/api/v1/auth/login", headers=json))
        await self.reading.wait()
        return task


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "max_concurrent_requests": 1,
        "admission_queue": 0,
        "admission_timeout_ms": 60_000,
        "admission_retry_after_seconds": 1,
    }


async def test_a_busy_worker_refuses_at_once_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    held = Held()
    inside = await held.inside(client)
    statements = COUNTERS.db_queries
    before = value(exposition().decode(), "shre_http_requests_refused_total", reason=QUEUE_FULL)

    loop = asyncio.get_running_loop()
    first_asked = loop.time()
    refused = await client.get("/api/v1/employees", headers={"X-Request-ID": "over-1"})

    assert_problem(refused, 503, "overloaded")
    assert refused.headers["retry-after"] == "1"  # ADMISSION_RETRY_AFTER_SECONDS
    assert refused.headers["x-request-id"] == "over-1"
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["content-security-policy"].startswith("default-src 'none'")
    assert "connection" not in refused.headers  # no body: the connection stays open
    assert COUNTERS.db_queries == statements  # refused before any database work
    after = value(exposition().decode(), "shre_http_requests_refused_total", reason=QUEUE_FULL)
    assert after == before + 1
    # A refused request with a body: its connection is closed (the body is left unread).
    # Asked at once after a refusal (the test client is one connection), it is answered
    # once the Retry-After is over: a second after the first refusal, which came after
    # `first_asked` (the server's clock is this loop's).
    with_body = await client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    assert loop.time() - first_asked >= 0.99  # (asyncio may wake a timer a tick early)
    assert_problem(with_body, 503, "overloaded")
    assert with_body.headers["connection"] == "close"
    # The orchestrator's probes and the scrape are always answered.
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    assert (await client.get("/metrics")).status_code == 200

    held.release.set()
    assert_problem(await inside, 401, "invalid_credentials")
    # The place is free again: the next request is answered, not refused.
    assert_problem(await client.get("/api/v1/employees"), 401)


@pytest.mark.parametrize(
    "settings_overrides",
    [{"max_concurrent_requests": 1, "admission_queue": 2, "admission_timeout_ms": 60_000}],
)
async def test_waiting_requests_are_answered_in_turn(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    held = Held()
    inside = await held.inside(client)
    done: list[str] = []

    async def get(name: str) -> httpx.Response:
        response = await client.get("/api/v1/employees")
        done.append(name)
        return response

    first = asyncio.create_task(get("first"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(get("second"))
    await asyncio.sleep(0.01)
    assert_problem(await client.get("/api/v1/employees"), 503, "overloaded")  # queue full
    assert done == []
    held.release.set()
    await inside
    for waited in await asyncio.gather(first, second):
        assert_problem(waited, 401)  # answered, not refused
    assert done == ["first", "second"]


@pytest.mark.parametrize(
    "settings_overrides",
    [{"max_concurrent_requests": 1, "admission_queue": 5, "admission_timeout_ms": 50}],
)
async def test_a_request_that_waited_too_long_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    held = Held()
    inside = await held.inside(client)
    before = value(exposition().decode(), "shre_http_requests_refused_total", reason=QUEUE_TIMEOUT)
    assert_problem(await client.get("/api/v1/employees"), 503, "overloaded")
    after = value(exposition().decode(), "shre_http_requests_refused_total", reason=QUEUE_TIMEOUT)
    assert after == before + 1
    assert not inside.done()
    held.release.set()
    await inside


async def test_slow_uploads_never_keep_other_requests_out(
    app: FastAPI, client: httpx.AsyncClient, admin: Account
) -> None:
    """Uploads hold their place as long as their client sends: they have places apart."""
    held = Held()
    multipart = {**admin.headers, "content-type": "multipart/form-data; boundary=x"}
    upload = asyncio.create_task(held.post(client, "/api/v1/documents", headers=multipart))
    await held.reading.wait()
    assert (await client.get("/api/v1/employees", headers=admin.headers)).status_code == 200
    # A second upload while the first holds the uploads' one place is refused.
    second = await client.post("/api/v1/documents", content=b"--x--\r\n", headers=multipart)
    assert_problem(second, 503, "overloaded")
    held.release.set()
    assert_problem(await upload, 422)  # its body was read: it was let in
