"""The HTTP/1.1 protocol `shre serve` runs: uvicorn's httptools one, with an answer's
head and body sent in one write.

uvicorn writes an answer's status line and headers as soon as the application starts
it, and its body in a second write: two `send` calls, two TCP segments, two wake-ups of
the client for every answer. Under load those sends were 7% of a worker's time. Here a
write is held until the next one or the end of the event loop's turn, whichever comes
first: the head waits for the body the application sends right after it, and both go
out as one. Nothing waits longer than the turn, at most one write is held per
connection (a streamed body's chunks still go out as they come, paired), and closing
the connection sends what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A body longer than this is written on its own after the held head, not copied into
# one buffer with it.
JOIN_MAX_BYTES = 64 * 1024


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


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `HeldWriteTransport` (`shre serve` passes it
    as uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        held = HeldWriteTransport(transport, self.loop)
        super().connection_made(held)  # type: ignore[arg-type]
