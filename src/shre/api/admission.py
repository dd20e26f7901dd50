"""Admission: how many requests a worker works on at once, and what happens to the rest.

A worker that takes every request it is sent shares its CPU among all of them: at
thousands of connections each request waits behind thousands of others, every answer
comes late, and the clients that gave up still get their database work done. Instead, a
`Gate` lets `limit` requests in at a time; up to `queue` more wait their turn in arrival
order, each at most `timeout` seconds; any other is refused at once with a 503 and
Retry-After (`shre.api.middleware`), before it has cost a database statement or a cache
read. The answers that are given stay fast, and the refused ones cost next to nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Final

# Why a request was refused (the `reason` label of shre_http_requests_refused_total).
QUEUE_FULL: Final = "queue_full"
QUEUE_TIMEOUT: Final = "queue_timeout"


@dataclass(eq=False)
class Gate:
    """At most `limit` requests inside at once, `queue` waiting, each at most `timeout`
    seconds. Not thread-safe: one per event loop (a worker has one)."""

    limit: int
    queue: int
    timeout: float
    active: int = 0
    _waiting: deque[asyncio.Future[bool]] = field(default_factory=deque)
    _queued: int = 0  # those of `_waiting` still waiting (not timed out or cancelled)

    @property
    def waiting(self) -> int:
        return self._queued

    async def enter(self) -> str | None:
        """Wait for a place: None once inside (then `leave` once done), or why not."""
        if self.active < self.limit and not self._queued:
            self.active += 1
            return None
        if self._queued >= self.queue:
            return QUEUE_FULL
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(turn)
        self._queued += 1
        expiry = loop.call_later(self.timeout, self._expire, turn)
        try:
            admitted = await turn
        except asyncio.CancelledError:
            # The client went away: while it waited (its turn cancelled with it), or just
            # after a place was handed to it, which goes on to the next one.
            if turn.cancelled():
                self._queued -= 1
            elif turn.result():
                self.leave()
            raise
        finally:
            expiry.cancel()
        return None if admitted else QUEUE_TIMEOUT

    def _expire(self, turn: asyncio.Future[bool]) -> None:
        if not turn.done():
            self._queued -= 1
            turn.set_result(False)

    def leave(self) -> None:
        """Give the place to the longest waiting request, or free it."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                self._queued -= 1
                turn.set_result(True)  # the place passes on: `active` is unchanged
                return
        self.active -= 1
