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

Refusing through the application still costs a request's whole way in: an asyncio task,
the framework's layers, a sleeping coroutine while it is paced. Under overload most
requests are refused (10,000 closed-loop connections: two to four refusals for every
answer), so the HTTP protocol of `shre serve` (shre.api.protocol) asks the application's
admission first (`Door.early`, found in the server's lifespan state under `DOOR`): a
request that would be refused at once is answered by the protocol itself, from bytes
made once, after its pace, with no task started at all.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict, deque
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

# Why a request was refused (the `reason` label of shre_http_requests_refused_total).
QUEUE_FULL: Final = "queue_full"
QUEUE_TIMEOUT: Final = "queue_timeout"
# The key of the server's lifespan state (shared with every request's `scope["state"]`)
# under which the application's admission offers itself to the HTTP protocol.
DOOR: Final = "shre.admission"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A 503 the HTTP protocol sends itself: after `delay` seconds (its pace), `headers`
    (the server's own, such as Date, go first) and `body`; `close`: the connection is
    closed after it (the request's body is left unread)."""

    delay: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    close: bool


class Door(Protocol):
    def early(self, scope: Mapping[str, Any]) -> Refusal | None:
        """The refusal of a request that would be refused at once (its headers are all
        there is yet), counted as refused; None when it may go on to the application."""


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

    def refuses(self) -> str | None:
        """Why a request arriving now would be refused at once, or None (let in or queued)."""
        if self._queued >= self.queue and (self._queued or self.active >= self.limit):
            return QUEUE_FULL
        return None

    async def enter(self) -> str | None:
        """Wait for a place: None once inside (then `leave` once done), or why not."""
        if self.active < self.limit and not self._queued:
            self.active += 1
            return None
        refused = self.refuses()
        if refused is not None:
            return refused
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


# How many refusals a second a worker makes before it asks for a longer Retry-After: at
# about 0.1 ms of CPU each, 500 take it some 5% of a core.
CHEAP_REFUSALS_PER_SECOND: Final = 500.0
# The longest Retry-After a worker asks for, however many connections it refuses.
LONGEST_RETRY_AFTER: Final = 5


@dataclass(eq=False)
class Pacer:
    """Refusals of one connection (`scope["client"]`) at most one per Retry-After, and
    that Retry-After. `every` seconds while few connections are refused; once more are
    refused within their Retry-After than `cheap` refusals a second would answer in
    `every` seconds, the time `cheap` a second takes to refuse each of them once (at
    most `longest`). Thousands of connections that ask again the moment their
    Retry-After is over (a closed-loop benchmark, retry loops) then cost the worker
    about `cheap` refusals a second, not thousands, and leave its CPU to the requests it
    lets in. Remembers only the connections whose Retry-After is not over. Not
    thread-safe: one per event loop."""

    every: float
    cheap: float = CHEAP_REFUSALS_PER_SECOND
    longest: float = LONGEST_RETRY_AFTER
    # Each connection refused: when its Retry-After is over.
    _last: OrderedDict[Hashable, float] = field(default_factory=OrderedDict)

    def retry_after(self) -> float:
        """The Retry-After of a refusal now (a client is told it in whole seconds,
        rounded up: one that waits what it is told is never held)."""
        return max(self.every, min(self.longest, len(self._last) / self.cheap))

    async def pace(self, connection: Hashable | None) -> int:
        """Wait until this connection's last Retry-After is over; its new Retry-After."""
        wait, retry_after = self.delay(connection, asyncio.get_running_loop().time())
        if wait > 0:
            await asyncio.sleep(wait)
        return retry_after

    def delay(self, connection: Hashable | None, now: float) -> tuple[float, int]:
        """How long from `now` (the event loop's clock) this connection's refusal waits
        (until the Retry-After of its last one is over), and the Retry-After it gives;
        the refusal is remembered as made then."""
        retry_after = self.retry_after()
        if connection is None:
            return 0.0, math.ceil(retry_after)
        due = self._last.pop(connection, None)
        wait = 0.0 if due is None else max(0.0, due - now)
        self._last[connection] = now + wait + retry_after  # newest last: first to forget
        while self._last:  # (one paced or given a shorter wait is forgotten a little late)
            oldest, over = next(iter(self._last.items()))
            if over > now:
                break
            del self._last[oldest]
        return wait, math.ceil(retry_after)

    @property
    def remembered(self) -> int:
        return len(self._last)
