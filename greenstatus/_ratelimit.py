"""Keeping each API method under GREEN-API's per-instance rate limit.

A limit of N per second means: at most N requests of a method *start* within
any one-second window. A token bucket that bursts N and refills continuously
lets 2N - 1 through in some second and draws 429s, so this keeps the start
times of the last N requests instead, and a new one starts only once the
oldest of them is a full window old.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import anyio

from ._clock import Clock

__all__ = ["MethodRateLimiter", "RateLimiter"]

WINDOW = 1.0
# Starts are spaced a little more than a window apart: a request's arrival at
# GREEN-API trails its start by a variable network delay, and two arrivals
# closer than the window would draw a 429 the schedule did not intend.
MARGIN = 0.05


class MethodRateLimiter:
    """At most ``limit`` starts per window, FIFO-fair and cancellation-safe."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._starts: deque[float] = deque(maxlen=limit)
        self._lock: anyio.Lock | None = None

    async def acquire(self) -> None:
        """Wait for a slot, then take it. A cancelled wait takes no slot."""
        if self._lock is None:  # made inside the running event loop
            self._lock = anyio.Lock()
        # anyio's Lock is fair: waiters take it in the order they came. Only the
        # holder sleeps, so a cancelled waiter simply leaves the queue.
        async with self._lock:
            if len(self._starts) == self.limit:
                wait = self._starts[0] + WINDOW + MARGIN - self._clock.now()
                if wait > 0:
                    await self._clock.sleep(wait)
            self._starts.append(self._clock.now())


class RateLimiter:
    """One ``MethodRateLimiter`` per limited API method of one instance."""

    def __init__(self, limits: Mapping[str, int], clock: Clock) -> None:
        self._methods = {name: MethodRateLimiter(limit, clock) for name, limit in limits.items()}

    async def acquire(self, api_method: str) -> None:
        limiter = self._methods.get(api_method)
        if limiter is not None:
            await limiter.acquire()
