"""The HTTP/1.1 protocol `shre serve` runs: uvicorn's httptools one, sending an answer's
head and body in one write and accepting waiting connections many at a time.

uvicorn writes an answer's status line and headers as soon as the application starts
it, and its body in a second write: two `send` calls, two TCP segments, two wake-ups of
the client for every answer. Under load those sends were 7% of a worker's time. Here a
write is held until the next one or the end of the event loop's turn, whichever comes
first: the head waits for the body the application sends right after it, and both go
out as one. Nothing waits longer than the turn, at most one write is held per
connection (a streamed body's chunks still go out as they come, paired), and closing
the connection sends what is held first.

It also accepts waiting connections many at a time. libuv (under uvloop) accepts one
connection per turn of the event loop; a worker busy with thousands of requests takes
tens of milliseconds a turn, so 10,000 clients connecting at once waited in the kernel's
accept queue for up to 10 s, too long for the clients, which gave up and connected again
(measured: 6,000-9,600 connections queued throughout a 30 s overload, drained at about
350 a second). The first connection a worker serves finds the listening socket it came
through; from then on a reader of its own accepts up to `ACCEPT_BATCH` connections at a
time beside libuv's, and each is served by this protocol as any other. An accepted
request meets admission (shre.api.admission) at once: served, queued or refused with
503 and Retry-After, instead of waiting unseen.

And it refuses without the application what the application would refuse at once. Before
it starts a request's task, it asks the admission the application offered in the
server's lifespan state (`shre.api.admission.DOOR`); a request refused there is answered
from here when its pace allows, with bytes made once, and costs a timer instead of a
task, the framework's layers and a sleeping coroutine. Under overload that is most
requests (two to four refusals for every answer at 10,000 closed-loop connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import stat
import weakref
from collections.abc import Callable
from typing import Any

import structlog
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from shre.api.admission import DOOR, Door, Refusal

log = structlog.get_logger("shre.serve")

# A body longer than this is written on its own after the held head, not copied into
# one buffer with it.
JOIN_MAX_BYTES = 64 * 1024
# Connections accepted at most per readiness of the listening socket (asyncio's own loop
# takes up to its backlog, 100, the same way).
ACCEPT_BATCH = 64
# After an error that is not the queue being empty (out of file descriptors): this long
# before accepting again, as asyncio does; libuv's own accepting goes on meanwhile.
ACCEPT_RETRY_SECONDS = 1.0
# A listening socket bound to every address accepts connections to any of them.
ANY_ADDRESS = ("0.0.0.0", "::")  # noqa: S104 - compared with, not bound to


class HeldWriteTransport:
    """A transport whose `write` is held until the next `write`, `close` or the end of
    the loop's turn; everything else is the wrapped transport's."""

    __slots__ = ("_held", "_loop", "_scheduled", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            if not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self.flush)
            return
        self._held = None
        if len(data) <= JOIN_MAX_BYTES:
            self.transport.write(b"".join((held, data)))
        else:
            self.transport.write(held)
            self.transport.write(data)

    def flush(self) -> None:
        self._scheduled = False
        held, self._held = self._held, None
        if held is not None and not self.transport.is_closing():
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._held = None
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def listening_socket(local: Any) -> tuple[socket.socket, int] | None:
    """This process's listening socket that accepted a connection to `local` (its
    sockname), as a socket of its own (a duplicate descriptor), and the descriptor it
    was found at; None when there is none to be found (not a TCP connection, no
    /proc/self/fd or /dev/fd)."""
    if not isinstance(local, tuple) or len(local) < 2:
        return None
    host, port = local[0], local[1]
    for directory in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            descriptors = [int(name) for name in os.listdir(directory)]
            break
    else:
        return None
    for fd in descriptors:
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            candidate = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        if _listens_at(candidate, host, port):
            return candidate, fd
        candidate.close()
    return None


def _listens_at(candidate: socket.socket, host: str, port: int) -> bool:
    try:
        bound = candidate.getsockname()
        listening = candidate.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    except OSError:
        return False
    return (
        candidate.type == socket.SOCK_STREAM
        and bool(listening)
        and isinstance(bound, tuple)
        and bound[1] == port
        and bound[0] in (host, *ANY_ADDRESS)
    )


class Acceptor:
    """A second reader on a listening socket, accepting up to `ACCEPT_BATCH` waiting
    connections each time it is ready, each served by `protocol()` over uvloop's (or
    asyncio's) transport."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        listener: socket.socket,
        origin: int,
        protocol: Callable[[], asyncio.Protocol],
    ) -> None:
        self.loop = loop
        self.listener = listener
        # The server's own descriptor of the socket: once the server closed it (it is
        # stopping), this accepts no more either.
        self.origin = origin
        self._inode = os.fstat(listener.fileno()).st_ino
        self.protocol = protocol
        self.accepted = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        listener.setblocking(False)
        loop.add_reader(listener.fileno(), self.accept)

    def _serving(self) -> bool:
        try:
            return os.fstat(self.origin).st_ino == self._inode
        except OSError:
            return False

    def accept(self) -> None:
        if not self._serving():
            self.close()
            return
        for _ in range(ACCEPT_BATCH):
            try:
                connection, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return  # none waiting (libuv's reader or another worker took it)
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.warning("serve.accept_paused", error=errno.errorcode.get(exc.errno))
                    self.loop.remove_reader(self.listener.fileno())
                    self.loop.call_later(ACCEPT_RETRY_SECONDS, self._resume)
                    return
                raise
            self.accepted += 1
            connection.setblocking(False)
            task = self.loop.create_task(self._serve(connection))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, connection: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(self.protocol, connection)
        except OSError:
            connection.close()  # gone before it was served: nothing to answer

    def _resume(self) -> None:
        if self.listener.fileno() >= 0:
            self.loop.add_reader(self.listener.fileno(), self.accept)

    def close(self) -> None:
        if self.listener.fileno() >= 0:
            self.loop.remove_reader(self.listener.fileno())
            self.listener.close()


# Per event loop: its acceptor, or None once it was looked for and could not be made.
ACCEPTORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Acceptor | None] = (
    weakref.WeakKeyDictionary()
)


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `HeldWriteTransport`; the first of a worker's
    connections starts its `Acceptor`, and a request the application's admission refuses
    at once is answered here, without a task (`shre serve` passes it as uvicorn's
    `http`)."""

    _refusing: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held = HeldWriteTransport(transport, self.loop)
        super().connection_made(held)  # type: ignore[arg-type]
        if self.loop not in ACCEPTORS:
            ACCEPTORS[self.loop] = self._acceptor(transport.get_extra_info("sockname"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refusing is not None:
            self._refusing.cancel()
            self._refusing = None
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        door: Door | None = self.app_state.get(DOOR)
        refusal = door.early(cycle.scope) if door is not None else None
        if refusal is None:
            super()._start_asgi_task(cycle, app)
            return
        # Its answer waits for its pace (and at least for this turn of the loop: the
        # request's own parsing is not over yet); a pipelined request waits behind it.
        self._refusing = self.loop.call_later(refusal.delay, self._refuse, cycle, refusal)

    def _refuse(self, cycle: RequestResponseCycle, refusal: Refusal) -> None:
        """Send `refusal` as uvicorn sends an answer, then go on as after any answer."""
        self._refusing = None
        if cycle.disconnected or self.transport.is_closing():
            return
        keep_alive = cycle.keep_alive and not refusal.close
        content = [STATUS_LINE[503]]
        for name, value in (*cycle.default_headers, *refusal.headers):
            content.extend((name, b": ", value, b"\r\n"))
        if not keep_alive and not refusal.close:  # (a close carries its own header)
            content.append(b"connection: close\r\n")
        content.append(b"\r\n")
        if cycle.scope["method"] != "HEAD":
            content.append(refusal.body)
        self.transport.write(b"".join(content))
        cycle.response_complete = True
        cycle.message_event.set()
        if not keep_alive:
            self.transport.close()
        cycle.on_response()

    def _acceptor(self, local: Any) -> Acceptor | None:
        found = listening_socket(local)
        if found is None:
            return None
        listener, origin = found

        def protocol() -> asyncio.Protocol:
            return type(self)(
                config=self.config,
                server_state=self.server_state,
                app_state=self.app_state,
                _loop=self.loop,
            )

        return Acceptor(self.loop, listener, origin, protocol)

    def shutdown(self) -> None:
        # The server is stopping: accept no more (uvicorn closes libuv's reader; the
        # acceptor would also stop at the next connection, finding the socket closed).
        acceptor = ACCEPTORS.get(self.loop)
        if acceptor is not None:
            acceptor.close()
        super().shutdown()
