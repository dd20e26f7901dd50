"""A circuit breaker for the cache: after a few failures in a row the backend is left
alone for a while (calls return at once), then one trial call decides whether it is back.
So a dead Redis costs a request microseconds, not a connection timeout each time.

Whether it is open is the `shre_cache_circuit_open` gauge (one breaker per process: the
Redis cache's)."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

from shre.observability.prometheus import CACHE_CIRCUIT_OPEN


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        reset_after: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.clock = clock
        self.state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        self.times_opened = 0

    @property
    def is_open(self) -> bool:
        return self.state is not State.CLOSED

    def allow(self) -> bool:
        """May a call go to the backend now?"""
        if self.state is State.CLOSED:
            return True
        if self.state is State.OPEN and self.clock() - self._opened_at >= self.reset_after:
            self.state = State.HALF_OPEN
        if self.state is State.HALF_OPEN and not self._trial_running:
            self._trial_running = True  # exactly one trial call at a time
            return True
        return False

    def success(self) -> bool:
        """Record a call that worked; True when it closed an open circuit (reconnected)."""
        reconnected = self.state is not State.CLOSED
        self.state = State.CLOSED
        if reconnected:
            CACHE_CIRCUIT_OPEN.set(0)
        self._failures = 0
        self._trial_running = False
        return reconnected

    def failure(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self.state is State.HALF_OPEN or self._failures >= self.failure_threshold:
            if self.state is State.CLOSED:
                self.times_opened += 1
            self.state = State.OPEN
            self._opened_at = self.clock()
            CACHE_CIRCUIT_OPEN.set(1)
