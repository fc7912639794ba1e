"""What one process has to tell Redis about one instance's method, told one
script call at a time (``Calls``, used by ``_redis_lane.Lane``).

The asks that come while a call is under way go together in the next one: at
64 sends in flight, a call carries several. A released place is not a call of
its own: it is noted with the moment it was released (the event loop's
clock), and the next call carries it as "released that many seconds ago",
which Redis turns into a moment on its own clock. So are the waiters that
stopped waiting. A release that no ask carries is sent by a call of its own
when it is due (``tell``, or ``FLUSH_DELAY`` after it was noted). Calls never
overlap, so a leave always reaches Redis after the ask it follows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ._exceptions import RateLimiterUnavailableError
from ._ratelimit import RateRequest
from ._redis_scripts import CALL_TIMEOUT, LET_GO_TIMEOUT, SPAN, STALE

__all__ = ["FLUSH_DELAY", "Answer", "Ask", "Calls", "Refusal", "Scripts"]

logger = logging.getLogger("greenstatus")

FLUSH_DELAY = 0.1
"""Longest a released place waits for an ask to carry it to Redis."""
MAX_ASKS = 64
"""Most asks one call carries: Redis runs a script alone, so it stays short."""


class Scripts(Protocol):
    """RedisRateLimiter's scripts, and its call bounded in time."""

    _acquire: Callable[..., Awaitable[Any]]
    _release: Callable[..., Awaitable[Any]]
    _leave: Callable[..., Awaitable[Any]]

    async def _run(
        self, script: Any, keys: list[str], arguments: list[object], method: str, limit: float
    ) -> Any: ...


class Refusal:
    """Redis could not be used: what the waiter's error says."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


Answer = tuple[bool, str, float]
"""Taken, the waiter's ticket, and the seconds to wait at most before asking again."""


class Ask:
    """One waiter's ask, for the next call; its answer comes in ``answer``."""

    __slots__ = ("answer", "hold", "limit", "sent", "ticket", "waiter")

    def __init__(
        self, waiter: str, request: RateRequest, ticket: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.waiter = waiter
        self.limit = request.limit
        self.hold = request.hold
        self.ticket = ticket
        self.answer: asyncio.Future[Answer | Refusal] = loop.create_future()
        self.sent = False


class Calls:
    """The asks, leaves and releases of one instance's method not yet told,
    and the task that tells them, one call at a time, while there are some."""

    def __init__(
        self,
        scripts: Scripts,
        keys: list[str],
        method: str,
        quiet: Callable[[], None],
    ) -> None:
        self._scripts = scripts
        self._keys = keys
        self._method = method
        self._quiet = quiet  # called when the last call is done
        self._loop = asyncio.get_running_loop()
        self._asks: list[Ask] = []
        self._leaving: list[tuple[str, asyncio.Future[None]]] = []
        # Places released and not yet told: the waiter, when (the loop's
        # clock), and when its place stops counting by itself at the latest.
        self._released: list[tuple[str, float, float]] = []
        self._told: list[asyncio.Future[str | None]] = []
        self._due = False
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        """Nothing left to tell, and nothing being told."""
        return not (self._released or self._task or self._timer)

    @property
    def untold(self) -> bool:
        """Some released place is not told yet."""
        return bool(self._released)

    def ask(self, ask: Ask) -> None:
        self._asks.append(ask)
        self._start()

    def withdraw(self, ask: Ask) -> None:
        """An ask not sent yet goes (its waiter was cancelled)."""
        if ask in self._asks:
            self._asks.remove(ask)

    def leave(self, waiter: str) -> asyncio.Future[None]:
        """``waiter`` leaves the queue, with the next call (done when told)."""
        left: asyncio.Future[None] = self._loop.create_future()
        self._leaving.append((waiter, left))
        self._start()
        return left

    def released(self, waiter: str, hold: float) -> None:
        """A place was released: told with the next call, or within
        ``FLUSH_DELAY`` by one of its own."""
        now = self._loop.time()
        self._released.append((waiter, now, now + hold + SPAN))
        if self._timer is None:
            self._timer = self._loop.call_later(FLUSH_DELAY, self._flush_due)

    def tell(self) -> asyncio.Future[str | None]:
        """Tell the places released now: the future's result is None once
        told, or what made Redis unavailable."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        told: asyncio.Future[str | None] = self._loop.create_future()
        self._told.append(told)
        self._start()
        return told

    def _flush_due(self) -> None:
        self._timer = None
        if not self._released:
            self._quiet()
            return
        oldest = self._released[0][1]
        if self._loop.time() - oldest >= 0.9 * FLUSH_DELAY:
            self._due = True
            self._start()
        else:  # carried meanwhile: the ones left are younger
            self._timer = self._loop.call_at(oldest + FLUSH_DELAY, self._flush_due)

    # -- the calls -------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None:
            self._task = self._loop.create_task(self._calls())

    async def _calls(self) -> None:
        try:
            while True:
                if self._asks:
                    await self._call_acquire()
                elif self._leaving:
                    await self._call_leave()
                elif self._told or (self._released and self._due):
                    await self._call_release()
                else:
                    break
        finally:
            self._task = None
            self._end_all()
            self._quiet()

    def _let_go(self) -> tuple[list[object], list[asyncio.Future[str | None]]]:
        """The places released since the last call (the ``LET_GO`` arguments
        without the leavers), and those waiting for them to be told."""
        now = self._loop.time()
        released, self._released = self._released, []
        self._due = False
        told, self._told = self._told, []
        pairs: list[object] = []
        for waiter, when, forgotten in released:
            if forgotten > now:  # else Redis has let it go by itself
                pairs += (waiter, round(now - when, 6))
        return [len(pairs) // 2, *pairs], told

    async def _call_acquire(self) -> None:
        asks, self._asks = self._asks[:MAX_ASKS], self._asks[MAX_ASKS:]
        leaving, self._leaving = self._leaving, []
        let_go, told = self._let_go()
        first, *others = asks
        arguments: list[object] = [first.waiter, first.limit, first.hold, SPAN, STALE, first.ticket]
        if others or leaving or len(let_go) > 1:
            arguments.append(len(others))
            for ask in others:
                arguments += (ask.waiter, ask.limit, ask.hold, ask.ticket)
            arguments += [*let_go, *(waiter for waiter, _ in leaving)]
        for ask in asks:
            ask.sent = True
        failure: Refusal | None = None
        try:
            answer = await self._scripts._run(
                self._scripts._acquire, self._keys, arguments, self._method, CALL_TIMEOUT
            )
            answers = [_read(answer[index : index + 3]) for index in range(0, 3 * len(asks), 3)]
        except RateLimiterUnavailableError as error:
            failure = Refusal(str(error))
        except Exception as error:  # an answer it cannot read: kept in this task, not raised
            failure = Refusal(
                f"{self._method}: the rate limiter failed ({type(error).__name__}); "
                "this request was not sent"
            )
        except BaseException:  # cancelled: the asks end, and so does the task
            failure = Refusal(f"{self._method}: the rate limiter failed; this request was not sent")
            raise
        finally:
            if failure is not None:  # the asks that came meanwhile would meet the same Redis
                for ask in [*asks, *self._asks]:
                    _end(ask.answer, failure)
                self._asks = []
            for future in told:
                _end(future, None if failure is None else failure.message)
            for _, left in leaving:  # gone from the queue, or lapsing by itself
                _end(left, None)
        if failure is None:
            for ask, read in zip(asks, answers, strict=True):
                _end(ask.answer, read)

    async def _call_leave(self) -> None:
        leaving, self._leaving = self._leaving, []
        let_go, told = self._let_go()
        (first, _), *others = leaving
        places, queue, seen, _, limits = self._keys
        failure: str | None = None
        try:
            await self._scripts._run(
                self._scripts._leave,
                [queue, seen, places, limits],
                [first, SPAN, *let_go, *(waiter for waiter, _ in others)],
                self._method,
                LET_GO_TIMEOUT,
            )
        except RateLimiterUnavailableError as error:
            failure = str(error)  # the turns and places lapse by themselves
        finally:
            for _, left in leaving:
                _end(left, None)
            for future in told:
                _end(future, failure)

    async def _call_release(self) -> None:
        let_go, told = self._let_go()
        failure: str | None = None
        try:
            if len(let_go) > 1:
                await self._scripts._run(
                    self._scripts._release,
                    self._keys[:1],
                    [SPAN, *let_go],
                    self._method,
                    LET_GO_TIMEOUT,
                )
        except RateLimiterUnavailableError as error:
            failure = str(error)  # the places lapse by themselves
            if not told:  # no release() waits to report it
                logger.warning(
                    "%s: the rate limiter could not release %d places (its Redis cannot "
                    "be used); they expire by themselves",
                    self._method,
                    let_go[0],
                )
        finally:
            for future in told:
                _end(future, failure)

    def _end_all(self) -> None:
        """Nothing is left waiting on calls that stopped (their task was
        cancelled with its event loop)."""
        stopped = f"{self._method}: the rate limiter stopped; this request was not sent"
        for ask in self._asks:
            _end(ask.answer, Refusal(stopped))
        for _, left in self._leaving:
            _end(left, None)
        for told in self._told:
            _end(told, stopped)
        self._asks, self._leaving, self._told = [], [], []


def _read(values: list[Any]) -> Answer:
    taken, ticket, wait_ms = values
    ticket = ticket.decode() if isinstance(ticket, bytes) else str(ticket)
    return bool(int(taken)), ticket, int(wait_ms) / 1000


def _end(future: asyncio.Future[Any], result: object) -> None:
    if not future.done():  # a cancelled waiter's is
        future.set_result(result)
