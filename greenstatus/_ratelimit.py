"""Keeping each API method under GREEN-API's per-instance rate limit.

A limit of N per second means: at most N requests of a method reach GREEN-API
within any one-second window. The client cannot see when a request arrives,
only that it arrived before its answer came (or its attempt ended), so each of
the last N requests holds its slot until then and for one window after: a new
request starts only when fewer than N are in flight or ended within the last
window. Counting from the start instead breaks when the first requests of a
burst spend longer in connection set-up than the later ones on warm
connections; a token bucket that bursts N and refills continuously lets
2N - 1 through in some second. Both draw 429s.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import attrs

from ._clock import Clock

__all__ = ["MethodRateLimiter", "RateLimiter", "Slot"]

WINDOW = 1.0
# For clock granularity only: the answer always comes after the arrival.
MARGIN = 0.01


@attrs.define(eq=False)
class Slot:
    """One request's place in its method's window; ``ended`` is set on release."""

    limiter: MethodRateLimiter | None
    ended: float | None = None

    def release(self) -> None:
        """The attempt is over (answered, failed or cancelled): start its window."""
        if self.limiter is not None and self.ended is None:
            self.limiter._release(self)


_UNLIMITED = Slot(None)


class MethodRateLimiter:
    """At most ``limit`` requests in flight or ended within the last window;
    FIFO-fair and cancellation-safe."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._slots: list[Slot] = []
        self._lock: anyio.Lock | None = None
        self._released: anyio.Event | None = None

    async def acquire(self) -> Slot:
        """Wait for a place, then take it. A cancelled wait takes none."""
        if self._lock is None:  # made inside the running event loop
            self._lock = anyio.Lock()
        # anyio's Lock is fair: waiters take it in the order they came. Only the
        # holder waits for capacity, so a cancelled waiter simply leaves the queue.
        async with self._lock:
            while True:
                now = self._clock.now()
                self._slots = [
                    slot
                    for slot in self._slots
                    if slot.ended is None or slot.ended + WINDOW + MARGIN > now
                ]
                if len(self._slots) < self.limit:
                    slot = Slot(self)
                    self._slots.append(slot)
                    return slot
                ended = [slot.ended for slot in self._slots if slot.ended is not None]
                if ended:  # the first to leave the window frees a place
                    await self._clock.sleep(min(ended) + WINDOW + MARGIN - now)
                else:  # all in flight: the next to end starts its window
                    self._released = anyio.Event()
                    await self._released.wait()

    def _release(self, slot: Slot) -> None:
        slot.ended = self._clock.now()
        if self._released is not None:
            self._released.set()


class RateLimiter:
    """One ``MethodRateLimiter`` per limited API method of one instance."""

    def __init__(self, limits: Mapping[str, int], clock: Clock) -> None:
        self._methods = {name: MethodRateLimiter(limit, clock) for name, limit in limits.items()}

    async def acquire(self, api_method: str) -> Slot:
        limiter = self._methods.get(api_method)
        if limiter is None:
            return _UNLIMITED
        return await limiter.acquire()
