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

from collections import deque
from typing import Protocol, runtime_checkable

import anyio
import anyio.lowlevel
import attrs

from ._clock import Clock, SystemClock

__all__ = ["InProcessRateLimiter", "RateLimiter", "RatePlace", "RateRequest"]

WINDOW = 1.0
# For clock granularity only: the answer always comes after the arrival.
MARGIN = 0.01


@attrs.frozen
class RateRequest:
    """What a rate limiter is asked for: a place for one request (one attempt)
    of ``api_method`` of instance ``id_instance``, under a limit of ``limit``
    requests per second."""

    id_instance: str
    api_method: str
    limit: int
    hold: float
    """The longest the attempt can take, in seconds (its timeout). A place
    never released (its process died) counts until ``hold`` plus the window
    have passed."""


@runtime_checkable
class RatePlace(Protocol):
    """A place taken for one attempt."""

    async def release(self) -> None:
        """The attempt is over (answered, failed or cancelled): its window
        starts. Called once, shielded from cancellation."""


@runtime_checkable
class RateLimiter(Protocol):
    """Keeps each method of each instance under its limit: at most ``limit``
    requests in flight or ended within the last second.

    ``acquire`` waits for a place and takes it; a cancelled wait takes none.
    ``greenstatus.InProcessRateLimiter`` (the default) keeps the count in one
    process; ``greenstatus.RedisRateLimiter`` keeps it in Redis, for every
    process and machine that shares it.
    """

    async def acquire(self, request: RateRequest) -> RatePlace:
        """Wait for a place for ``request``, and take it."""
        ...


@attrs.define(eq=False)
class Slot:
    """One request's place in its method's window; ``ended`` is set on release."""

    limiter: MethodRateLimiter
    ended: float | None = None

    async def release(self) -> None:
        """The attempt is over (answered, failed or cancelled): start its window."""
        if self.ended is None:
            self.limiter._release(self)


class MethodRateLimiter:
    """At most ``limit`` requests in flight or ended within the last window;
    FIFO-fair and cancellation-safe.

    Constant time per acquire and release, whatever the limit: the places in
    flight are a set, and the ended ones a deque, appended as they are
    released and so in the order they ended: those that have left the window
    are at its left end, each popped once.
    """

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._held: set[Slot] = set()
        self._ended: deque[tuple[float, Slot]] = deque()  # when each ended
        self._lock: anyio.Lock | None = None
        self._released: anyio.Event | None = None

    async def acquire(self) -> Slot:
        """Wait for a place, then take it. A cancelled wait takes none."""
        lock = self._lock
        if lock is None:  # made inside the running event loop
            lock = self._lock = anyio.Lock()
        await anyio.lowlevel.checkpoint_if_cancelled()  # a cancelled caller takes none
        # Nobody waits (a waiter holds the lock, or is handed it as it is
        # released): a free place is taken at once, with no turn of the event
        # loop; 64 sends in flight would otherwise queue on the lock each time.
        if not lock.locked():
            slot = self._take(self._clock.now())
            if slot is not None:
                return slot
        # anyio's Lock is fair: waiters take it in the order they came. Only the
        # holder waits for capacity, so a cancelled waiter simply leaves the queue.
        async with lock:
            ended = self._ended
            while True:
                now = self._clock.now()
                slot = self._take(now)
                if slot is not None:
                    return slot
                if ended:  # the first to leave the window frees a place
                    await self._clock.sleep(ended[0][0] + WINDOW + MARGIN - now)
                else:  # all in flight: the next to end starts its window
                    self._released = anyio.Event()
                    await self._released.wait()

    def _take(self, now: float) -> Slot | None:
        """A place, if one is free at ``now``; the ended ones that have left
        the window by then go first."""
        ended = self._ended
        while ended and ended[0][0] + WINDOW + MARGIN <= now:
            ended.popleft()
        if len(self._held) + len(ended) >= self.limit:
            return None
        slot = Slot(self)
        self._held.add(slot)
        return slot

    def _release(self, slot: Slot) -> None:
        slot.ended = now = self._clock.now()
        self._held.discard(slot)
        # A clock that went back would leave an earlier end behind a later
        # one: it then leaves the window with the later one, never sooner.
        self._ended.append((now, slot))
        if self._released is not None:
            self._released.set()


class InProcessRateLimiter:
    """The default [`RateLimiter`][greenstatus.RateLimiter]: counts in this process, per instance
    and method (one ``MethodRateLimiter`` each, FIFO-fair).

    One is made for each ``AsyncStatusClient`` and shared with the clients
    derived from it; pass one to several clients of the same instance in one
    process to share their count. Waits go through ``clock``.

    An acquire and a release take constant time, however many places the
    last second holds (3,000 at a limit of 3,000 per second cost what 10
    do), and when nobody waits a free place is taken without a turn of the
    event loop.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._methods: dict[tuple[str, str], MethodRateLimiter] = {}

    async def acquire(self, request: RateRequest) -> Slot:
        key = (request.id_instance, request.api_method)
        limiter = self._methods.get(key)
        if limiter is None:
            limiter = self._methods[key] = MethodRateLimiter(request.limit, self._clock)
        limiter.limit = request.limit  # the latest asked for, should clients differ
        return await limiter.acquire()
