"""The HTTP protocol `shre serve` runs (shre.api.protocol): an answer's head and body go
out in one write, and holding a write never delays, loses or reorders a byte — served by
a real uvicorn server on a real socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
import uvloop

from shre.api.middleware import RequestMiddleware
from shre.api.protocol import ACCEPTORS, JOIN_MAX_BYTES, Protocol, listening_socket

BIG = bytes(range(256)) * (JOIN_MAX_BYTES // 128)  # twice the joining limit
CHUNKS = [b"first,", b"second,", b"third"]


class Counted:
    """The socket's transport under the protocol's, counting the writes that reach it."""

    writes: list[bytes] = []

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def write(self, data: bytes) -> None:
        Counted.writes.append(bytes(data))
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class CountedProtocol(Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(Counted(transport))  # type: ignore[arg-type]


class App:
    """Answers of every shape: small, empty, streamed, larger than the joining limit, and
    one whose body waits for the test (`release`) after its head was sent."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for chunk in CHUNKS:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": b""})
            return
        body = {"/small": b"hello", "/empty": b"", "/big": BIG, "/later": b"at last"}[path]
        status = 204 if path == "/empty" else 200
        headers = [] if status == 204 else [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if path == "/later":
            await self.release.wait()
        await send({"type": "http.response.body", "body": body})


async def started(
    app: Any, protocol: type[Protocol], lifespan: str = "off"
) -> tuple[uvicorn.Server, socket.socket]:
    """A uvicorn server serving `app` with `protocol` on a port of its own, in this
    event loop (no main loop, no signal handlers), as `shre serve` passes a worker its
    socket; stop it with `server.shutdown(sockets=[sock])`."""
    config = uvicorn.Config(app, http=protocol, log_config=None, lifespan=lifespan)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await server.startup(sockets=[sock])
    return server, sock


async def raw(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A plain TCP connection to the server at `url`, to send bytes as they are."""
    return await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, App]]:
    app = App()
    server, sock = await started(app, CountedProtocol)
    Counted.writes = []
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        await server.shutdown(sockets=[sock])
        sock.close()
        # The tests share one event loop: its acceptor (and the duplicate of this
        # server's socket it listens on) goes with this server, not with the session.
        acceptor = ACCEPTORS.pop(asyncio.get_running_loop(), None)
        if acceptor is not None:
            acceptor.close()


async def test_the_head_and_the_body_of_an_answer_go_out_in_one_write(
    served: tuple[str, App],
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as client:  # one kept-alive connection
        for _ in range(3):
            answer = await client.get("/small")
            assert (answer.status_code, answer.content) == (200, b"hello")
    assert len(Counted.writes) == 3
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") for w in Counted.writes)
    assert all(w.endswith(b"\r\n\r\nhello") for w in Counted.writes)


async def test_answers_without_a_body_are_sent_whole(served: tuple[str, App]) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        empty = await client.get("/empty")
        head = await client.head("/small")
        after = await client.get("/small")
    assert empty.status_code == 204
    assert empty.content == b""
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "5", b"")
    assert after.content == b"hello"  # the same connection, still in step


async def test_a_streamed_body_and_a_large_one_arrive_whole_and_in_order(
    served: tuple[str, App],
) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        streamed = await client.get("/stream")
        big = await client.get("/big")
        small = await client.get("/small")
    assert streamed.content == b"".join(CHUNKS)
    assert big.content == BIG
    assert small.content == b"hello"
    # Past the joining limit the head goes alone, then the body as it was given.
    assert BIG in Counted.writes


async def test_a_head_is_sent_without_waiting_for_a_late_body(served: tuple[str, App]) -> None:
    url, app = served
    reader, writer = await raw(url)
    try:
        writer.write(b"GET /later HTTP/1.1\r\nHost: test\r\n\r\n")
        # The body waits for `release`: the head must come on its own, at the turn's end.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        app.release.set()
        assert await asyncio.wait_for(reader.readexactly(7), timeout=5) == b"at last"
    finally:
        writer.close()


async def test_closing_the_connection_sends_what_is_held_first(served: tuple[str, App]) -> None:
    reader, writer = await raw(served[0])
    try:
        # HEAD: uvicorn writes no body to join, so the head is still held when it closes.
        writer.write(b"HEAD /small HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), timeout=5)  # up to the server's close
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\ncontent-length: 5\r\n" in answer
    assert answer.endswith(b"\r\n\r\n")


# --- accepting many connections at once ------------------------------------------------


def test_a_worker_accepts_waiting_connections_many_at_a_time() -> None:
    """Under uvloop, as `shre serve` runs: libuv alone accepts one connection per turn of
    the loop; the first connection served starts the acceptor, which takes the rest of a
    queue of hundreds within a few turns, and serves them as any other."""

    async def scenario() -> None:
        server, sock = await started(App(), Protocol)
        port = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        waiting: list[socket.socket] = []
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/small")).content == b"hello"
            acceptor = ACCEPTORS.get(loop)
            assert acceptor is not None
            assert acceptor.listener.getsockname() == sock.getsockname()
            # The kernel completes these connections while the loop is not running.
            waiting = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
            for _ in range(10):  # ten turns of the loop
                await asyncio.sleep(0)
            served = {tuple(c.client) for c in server.server_state.connections if c.client}
            assert {s.getsockname() for s in waiting} <= served
            assert acceptor.accepted >= 290
            # A connection the acceptor took is served like any other.
            last = waiting[-1]
            last.setblocking(False)
            await loop.sock_sendall(last, b"GET /small HTTP/1.1\r\nHost: test\r\n\r\n")
            answer = b""
            while not answer.endswith(b"hello"):
                answer += await asyncio.wait_for(loop.sock_recv(last, 4096), timeout=5)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        finally:
            for client_socket in waiting:
                client_socket.close()
            await server.shutdown(sockets=[sock])
        assert acceptor.listener.fileno() == -1  # stopping: it accepts no more

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())


def test_no_acceptor_where_no_listening_socket_can_be_found() -> None:
    assert listening_socket(None) is None
    assert listening_socket("/run/shre.sock") is None  # a Unix socket's name
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, not listening
        assert listening_socket(unused.getsockname()) is None
        unused.listen()
        found = listening_socket(unused.getsockname())
        assert found is not None
        listener, origin = found
        with listener:
            assert origin == unused.fileno()
            assert listener.fileno() != unused.fileno()  # its own descriptor
            assert listener.getsockname() == unused.getsockname()


def test_the_acceptor_stops_once_the_server_closed_its_socket() -> None:
    """A worker stopping with no connection open (nothing to tell the acceptor): the
    next connection finds the server's socket closed, and is not served."""

    async def scenario() -> None:
        server, sock = await started(App(), Protocol)
        port = sock.getsockname()[1]
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/small")).content == b"hello"
        acceptor = ACCEPTORS.get(loop)
        assert acceptor is not None
        for _ in range(500):  # until the server saw the client's connection close
            if not server.server_state.connections:
                break
            await asyncio.sleep(0.01)
        assert not server.server_state.connections
        await server.shutdown(sockets=[sock])
        assert acceptor.listener.fileno() != -1  # no connection was there to tell it
        # Only the acceptor's descriptor still listens: a client can still connect.
        late = socket.create_connection(("127.0.0.1", port))
        try:
            for _ in range(10):
                await asyncio.sleep(0)
            assert acceptor.listener.fileno() == -1
            assert acceptor.accepted == 0
            late.settimeout(5)
            assert late.recv(1) == b""  # closed unanswered (or reset)
        except ConnectionResetError:
            pass
        finally:
            late.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())


# --- refusing without the application --------------------------------------------------


class Holding:
    """The application behind admission: `/hold` keeps its place until `release`; every
    other request is answered at once. It counts the requests that reach admission (the
    `RequestMiddleware`) and those that reach it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.holding = asyncio.Event()
        self.reached: list[str] = []
        self.admission = RequestMiddleware(
            self.inner,
            default_limit=1024,
            metrics=False,
            max_concurrent=1,
            queue=0,
            queue_timeout=60,
            retry_after=1,
        )
        self.asked: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.asked.append(scope["path"])
        await self.admission(scope, receive, send)

    async def inner(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.reached.append(scope["path"])
        if scope["path"] == "/hold":
            self.holding.set()
            await self.release.wait()
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})


async def answer_of(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One answer's head (lower-cased) and body, read by its Content-Length."""
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)).lower()
    length = int(head.split(b"\r\ncontent-length: ", 1)[1].split(b"\r\n", 1)[0])
    return head, await asyncio.wait_for(reader.readexactly(length), timeout=5)


@asynccontextmanager
async def holding_served(app: Holding) -> AsyncIterator[str]:
    """`app` served by shre's protocol (its lifespan on: admission offers itself), at the
    URL yielded; its held request released and the server stopped afterwards."""
    server, sock = await started(app, Protocol, lifespan="on")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        app.release.set()
        await server.shutdown(sockets=[sock])
        sock.close()
        acceptor = ACCEPTORS.pop(asyncio.get_running_loop(), None)
        if acceptor is not None:
            acceptor.close()


async def test_a_request_refused_at_once_is_answered_by_the_protocol_with_no_task() -> None:
    app = Holding()
    loop = asyncio.get_running_loop()
    async with holding_served(app) as url:
        inside = asyncio.create_task(httpx.AsyncClient(base_url=url).get("/hold"))
        await asyncio.wait_for(app.holding.wait(), timeout=5)  # the one place is taken
        reader, writer = await raw(url)
        first = loop.time()
        writer.write(b"GET /refused HTTP/1.1\r\nHost: test\r\nX-Request-ID: early-1\r\n\r\n")
        head, body = await answer_of(reader)
        assert head.startswith(b"http/1.1 503 service unavailable\r\n")
        assert b"\r\nretry-after: 1\r\n" in head
        assert b"\r\nx-request-id: early-1\r\n" in head
        assert b"\r\ncache-control: no-store\r\n" in head
        assert b"\r\nconnection: close" not in head  # no body: the connection stays
        assert b'"code":"overloaded"' in body
        # Refused before the application saw it: not even admission's ASGI layer ran.
        assert app.asked == ["/hold"]
        assert app.reached == ["/hold"]

        # Asked again at once on the same connection: answered once its Retry-After is
        # over, then the connection goes on (a HEAD's answer has no body).
        writer.write(b"HEAD /refused HTTP/1.1\r\nHost: test\r\n\r\n")
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)).lower()
        assert loop.time() - first >= 0.99  # (asyncio may wake a timer a tick early)
        assert head.startswith(b"http/1.1 503 ")
        assert b"\r\ncontent-length: " in head

        # A refused request with a body: its connection is closed after the answer.
        other_reader, other_writer = await raw(url)
        other_writer.write(b"POST /refused HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
        head, _ = await answer_of(other_reader)
        assert b"\r\nconnection: close\r\n" in head
        assert await asyncio.wait_for(other_reader.read(), timeout=5) == b""
        other_writer.close()
        # A connection that goes away while its refusal waits for its pace costs nothing.
        writer.write(b"GET /refused HTTP/1.1\r\nHost: test\r\n\r\n")
        await asyncio.sleep(0.05)
        writer.close()

        app.release.set()
        assert (await inside).text == "ok"
        # The place is free: the next request goes to the application, and is answered.
        reader, writer = await raw(url)
        writer.write(b"GET /served HTTP/1.1\r\nHost: test\r\n\r\n")
        head, body = await answer_of(reader)
        assert (head[:12], body) == (b"http/1.1 200", b"ok")
        assert app.reached == ["/hold", "/served"]
        writer.close()


async def test_more_connections_refused_are_told_a_longer_retry_after() -> None:
    """Refused connections past what the worker refuses cheaply in a Retry-After are
    told to come back later (here: one refusal a second is cheap), in the header and the
    problem's detail alike."""
    app = Holding()
    app.admission.pacer.cheap = 1.0
    async with holding_served(app) as url:
        inside = asyncio.create_task(httpx.AsyncClient(base_url=url).get("/hold"))
        await asyncio.wait_for(app.holding.wait(), timeout=5)
        told = []
        for _ in range(4):
            reader, writer = await raw(url)
            writer.write(b"GET /refused HTTP/1.1\r\nHost: test\r\n\r\n")
            head, body = await answer_of(reader)
            seconds = head.split(b"\r\nretry-after: ", 1)[1].split(b"\r\n", 1)[0]
            assert f"retry in {int(seconds)} s".encode() in body
            told.append(int(seconds))
            writer.close()
        assert told == [1, 1, 2, 3]
        app.release.set()
        assert (await inside).text == "ok"
