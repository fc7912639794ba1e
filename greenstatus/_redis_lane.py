"""One instance's method in one process, for RedisRateLimiter: its waiters and
its places, told to Redis by ``_redis_calls.Calls``.

At a steady rate a send costs about one script call, often less: the asks of
the sends in flight go together, and each carries the places released since
the last call. ``release()`` tells at once only when the process holds no
other place of the method and none of its waiters asks (nothing else would
carry it), and then returns once Redis knows. Otherwise, and always for
``release_soon()`` (the client's own attempts: one at a time, the release
rides with the next ask), it is told by the next call, within
``FLUSH_DELAY`` (0.1 s) at the latest, or by ``flush()`` (``aclose``). Either
way the place counts until one window after it was released, measured from
the release itself: being told later keeps it counted no longer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import NoReturn

import anyio

from ._exceptions import RateLimiterUnavailableError
from ._ratelimit import RateRequest
from ._redis_calls import Ask, Calls, Refusal, Scripts
from ._redis_scripts import LET_GO_TIMEOUT

__all__ = ["POLL", "Lane"]

POLL = 0.05
"""Longest a waiter sleeps between two asks: a release may free a place early."""


class Lane:
    """The waiters and places of one instance's method in this process."""

    def __init__(
        self,
        scripts: Scripts,
        keys: tuple[str, ...],
        method: str,
        on_idle: Callable[[Lane], None],
    ) -> None:
        self.keys = list(keys)
        self.method = method
        self.loop = asyncio.get_running_loop()
        self._on_idle = on_idle
        self._busy = 0
        """Places held here, and waiters asking: while there are some, a
        release waits for the next call to carry it."""
        self._calls = Calls(scripts, self.keys, method, self._tidy)

    @property
    def idle(self) -> bool:
        """Nothing held, asked or left to tell: the limiter may forget it."""
        return not self._busy and self._calls.idle

    def _tidy(self) -> None:
        if self.idle:
            self._on_idle(self)

    async def acquire(self, waiter: str, request: RateRequest) -> None:
        """Ask until Redis gives ``waiter`` a place, in its turn."""
        self._busy += 1
        ticket = ""
        ask: Ask | None = None
        try:
            while True:
                ask = Ask(waiter, request, ticket, self.loop)
                self._calls.ask(ask)
                answer = await ask.answer
                if isinstance(answer, Refusal):
                    self._refuse(answer)
                ask = None
                taken, ticket, wait = answer
                if taken:
                    return
                await anyio.sleep(min(wait, POLL))
        except RateLimiterUnavailableError:
            self._busy -= 1  # Redis cannot be asked; this waiter goes stale by itself
            raise
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._abandon(waiter, ask, ticket)
            raise
        finally:
            self._tidy()

    def _refuse(self, refusal: Refusal) -> NoReturn:
        raise RateLimiterUnavailableError(refusal.message, api_method=self.method)

    async def _abandon(self, waiter: str, ask: Ask | None, ticket: str) -> None:
        """Cancelled while waiting: leave the queue, so that the next waiter
        need not wait for this one to go stale; a place Redis gave it as it
        was cancelled (the answer on its way) is released."""
        self._busy -= 1
        queued = bool(ticket)  # Redis queued it on an earlier ask
        if ask is not None and ask.sent:
            queued = True  # its answer may have been a place: let go of both
        elif ask is not None:
            self._calls.withdraw(ask)
        if queued:
            with anyio.move_on_after(LET_GO_TIMEOUT):
                await self._calls.leave(waiter)
        elif not self._busy and self._calls.untold:
            with contextlib.suppress(RateLimiterUnavailableError):
                await self._tell()

    async def release(self, waiter: str, hold: float, *, at_once: bool = False) -> None:
        """A place is given back: noted, and carried by the next call, or told
        now if it was the last place or wait of the method here (or
        ``at_once``: the limiter was closed)."""
        self._busy -= 1
        self._calls.released(waiter, hold)
        if self._busy and not at_once:
            return
        try:
            await self._tell()
        finally:
            self._tidy()

    def release_soon(self, waiter: str, hold: float) -> None:
        """A place is given back, and nothing waits for Redis to hear of it:
        the next call carries it, or one of its own within ``FLUSH_DELAY``."""
        self._busy -= 1
        self._calls.released(waiter, hold)

    async def flush(self) -> None:
        """Tell Redis now of every place released here, and wait for the call
        under way, if any (``aclose``): no timer is left armed."""
        try:
            if not self._calls.idle:
                await self._tell()
        finally:
            self._tidy()

    async def _tell(self) -> None:
        failure: str | None = (
            f"{self.method}: the rate limiter's Redis did not answer within "
            f"{LET_GO_TIMEOUT:g} s; the place lapses by itself"
        )
        # The call has its own bound; a call under way before it, its own.
        with anyio.move_on_after(2 * LET_GO_TIMEOUT):
            failure = await self._calls.tell()
        if failure is not None:
            raise RateLimiterUnavailableError(failure, api_method=self.method)
