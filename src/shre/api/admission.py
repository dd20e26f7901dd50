"""Admission: how many requests a worker works on at once, and what happens to the rest.

A worker that takes every request it is sent shares its CPU among all of them: at
thousands of connections each request waits behind thousands of others, every answer
comes late, and the clients that gave up still get their database work done. Instead, a
`Gate` lets `limit` requests in at a time; up to `queue` more wait their turn in arrival
order, each at most `timeout` seconds; any other is refused at once with a 503 and
Retry-After (`shre.api.middleware`), before it has cost a database statement or a cache
read. The answers that are given stay fast, and the refused ones cost next to nothing.

Next to nothing is still something: a client that sends again the moment it is refused,
without waiting the Retry-After it was given (a closed-loop benchmark, a retry loop), on
thousands of connections, would keep the worker busy refusing, and every request it does
admit would wait behind those refusals at each turn of the event loop. `Pacer` spaces the
refusals of one connection by the Retry-After: its next 503 comes when it should have
asked again, and meanwhile the connection costs a timer.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Hashable
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


@dataclass(eq=False)
class Pacer:
    """Refusals of one connection (`scope["client"]`) at most one per `every` seconds.
    Remembers only the connections refused within the last `every` seconds. Not
    thread-safe: one per event loop."""

    every: float
    _last: OrderedDict[Hashable, float] = field(default_factory=OrderedDict)

    async def pace(self, connection: Hashable | None) -> None:
        """Wait until `every` seconds have passed since this connection's last refusal."""
        if connection is None:
            return
        loop = asyncio.get_running_loop()
        last = self._last.pop(connection, None)
        if last is not None:
            wait = last + self.every - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        now = loop.time()
        self._last[connection] = now  # newest last: the oldest are first to forget
        while self._last:
            oldest, at = next(iter(self._last.items()))
            if at > now - self.every:
                break
            del self._last[oldest]

    @property
    def remembered(self) -> int:
        return len(self._last)
