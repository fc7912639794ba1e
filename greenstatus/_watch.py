"""Watchers: GREEN-API has no event for statuses, so greenstatus polls the
getters it has and yields what changed.

Every poll is an ordinary call through the pipeline, so it takes a place of
the client's rate limiter like any other: however many watchers a program (or,
with ``RedisRateLimiter``, a fleet of processes) runs on one instance, each
getter stays within its documented 1 request per second, the watchers sharing
it. A watcher (``Watch``) runs only while its consumer asks for the next
item, so leaving it (``break``, ``aclosing``, cancellation) leaves nothing
running.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import TypeVar

import attrs

from ._exceptions import (
    APIConnectionError,
    BadRequestError,
    ClientClosedError,
    GreenStatusError,
    RateLimitError,
    RateLimiterUnavailableError,
    ServerError,
)
from ._methods import (
    DEFAULT_INCOMING_INTERVAL,
    DEFAULT_STATISTIC_INTERVAL,
    GET_INCOMING_STATUSES,
    GET_STATUS_STATISTIC,
    ApiMethod,
)
from ._outcome import CallProgress, closed_during
from ._pipeline import Pipeline
from ._results import IncomingStatus, parse_incoming, parse_statistic

__all__ = [
    "DEFAULT_INCOMING_INTERVAL",
    "DEFAULT_STATISTIC_INTERVAL",
    "STATUS_LIFETIME",
    "IncomingWatch",
    "StatisticChange",
    "StatisticWatch",
    "Watch",
    "passes",
]

T = TypeVar("T")

STATUS_LIFETIME = 24 * 60 * 60.0
"""A status shows for 24 hours: a watcher's default end, from its first sight."""
# The order a recipient's state moves in; a state GREEN-API adds later ranks
# with none of these and is reported whenever it differs.
_RANKS = {"sent": 1, "delivered": 2, "read": 3}
# getIncomingStatuses' window: GREEN-API keeps contacts' statuses 30 days.
_MAX_MINUTES = 30 * 24 * 60
_DEFAULT_MINUTES = 24 * 60
# Minutes added to the time since the last poll: a status GREEN-API accepted
# a little before it listed it is still in the window.
_MINUTES_MARGIN = 5


@attrs.frozen(kw_only=True)
class StatisticChange:
    """One recipient of a status seen for the first time, or further along.

    ``status`` is ``"sent"``, ``"delivered"`` or ``"read"`` (kept as GREEN-API
    sends it, should more appear); ``previous`` is the state seen before, or
    ``None`` when the recipient first appears. A recipient seen ``sent`` and
    then ``read`` gives one change, from ``"sent"`` to ``"read"``: only what a
    poll saw is reported. ``timestamp`` is GREEN-API's, of that state.
    """

    id_message: str
    participant: str
    status: str
    previous: str | None
    timestamp: int


def passes(error: GreenStatusError) -> bool:
    """A failure a later poll may not meet (the retry policy has already
    given it its attempts): the watcher goes on. Anything else ends it."""
    if isinstance(error, ClientClosedError):
        return False
    if isinstance(error, BadRequestError):
        return error.instance_not_ready
    return isinstance(
        error, (APIConnectionError, RateLimitError, ServerError, RateLimiterUnavailableError)
    )


def _moved(previous: str | None, status: str) -> bool:
    if previous is None:
        return True
    before, now = _RANKS.get(previous), _RANKS.get(status)
    if before is None or now is None:
        return status != previous
    return now > before


class Watch(AsyncIterator[T]):
    """An async iterator of what a watcher sees, which can be closed early.

    Not an async generator: it keeps its state in itself and runs only inside
    ``__anext__``, so leaving it (``break``, cancellation, ``aclose()``,
    ``async with``) leaves nothing running and nothing to finalize, on asyncio
    and trio alike.
    """

    def __init__(self, pipeline: Pipeline, method: ApiMethod) -> None:
        self._pipeline = pipeline
        self._method = method
        self._ready: deque[T] = deque()
        self._done = False  # it ended by itself: what is ready still comes out
        self._closed = False  # it was closed: nothing more comes out
        self._started = False

    def __aiter__(self) -> Watch[T]:
        return self

    async def __anext__(self) -> T:
        while not self._ready:
            if self._done or self._closed:
                raise StopAsyncIteration
            if self._pipeline.session.is_closed:
                self._done = True
                raise closed_during(
                    self._method.name, CallProgress(), self._pipeline.url_of(self._method)
                )
            if self._started:
                await self._between()
            else:
                self._start()
            self._started = True
            if self._done or self._closed:
                raise StopAsyncIteration
            try:
                await self._poll()
            except Exception:
                self._done = True  # it ends with the error that ended its poll
                raise
            # (A cancellation of the consumer is not an end: it may ask again.)
        if self._closed:
            raise StopAsyncIteration  # closed while it polled
        return self._ready.popleft()

    async def aclose(self) -> None:
        """Stop: nothing more comes out, not even what a poll under way finds."""
        self._closed = True
        self._ready.clear()

    async def __aenter__(self) -> Watch[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _start(self) -> None:
        """Before the first poll: where its time counts from."""

    async def _poll(self) -> None:
        """One poll: what it sees goes to ``_ready``; ``_done`` when it is over."""
        raise NotImplementedError

    async def _between(self) -> None:
        """The wait before the next poll (it may decide it is over)."""
        raise NotImplementedError


class StatisticWatch(Watch[StatisticChange]):
    """``watch_statistic``: polls getStatusStatistic and yields each
    recipient's changes, until all have read the status or ``until`` seconds
    have passed (by default, 24 hours from the status's first sight)."""

    def __init__(
        self, pipeline: Pipeline, id_message: str, until: float | None, interval: float
    ) -> None:
        super().__init__(pipeline, GET_STATUS_STATISTIC)
        self._clock = pipeline.session.pool.clock
        self._id_message = id_message
        self._interval = interval
        self._until = until
        self._started_at = 0.0
        self._end: float | None = None
        self._known: dict[str, str] = {}

    def _start(self) -> None:
        # Its time counts from the first ask, not from when it was made.
        self._started_at = self._clock.now()
        self._end = None if self._until is None else self._started_at + self._until

    def __repr__(self) -> str:
        return f"<StatisticWatch id_message={self._id_message!r} recipients={len(self._known)}>"

    async def _poll(self) -> None:
        params = {"idMessage": self._id_message}
        try:
            rows = await self._pipeline.call(
                GET_STATUS_STATISTIC, parse_statistic, None, params=params
            )
        except GreenStatusError as error:
            if not passes(error):
                raise
            rows = []
        if rows and self._end is None:
            self._end = self._clock.now() + STATUS_LIFETIME
        # The order seen: by GREEN-API's timestamp, then as it lists them.
        for row in sorted(rows, key=lambda row: row.timestamp):
            previous = self._known.get(row.participant)
            if _moved(previous, row.status):
                self._known[row.participant] = row.status
                self._ready.append(
                    StatisticChange(
                        id_message=self._id_message,
                        participant=row.participant,
                        status=row.status,
                        previous=previous,
                        timestamp=row.timestamp,
                    )
                )
        known = self._known
        if (known and all(status == "read" for status in known.values())) or self._left() <= 0:
            self._done = True

    async def _between(self) -> None:
        # The last poll comes at the end itself, so a change up to it is seen.
        await self._pipeline.pause(min(self._interval, self._left()), GET_STATUS_STATISTIC)

    def _left(self) -> float:
        end = self._end if self._end is not None else self._started_at + STATUS_LIFETIME
        return end - self._clock.now()


class IncomingWatch(Watch[IncomingStatus]):
    """``watch_incoming``: polls getIncomingStatuses and yields each status
    not yielded before, oldest first: on the first poll, all there is (or
    those from ``since``, a Unix time, on)."""

    def __init__(self, pipeline: Pipeline, interval: float, since: float | None) -> None:
        super().__init__(pipeline, GET_INCOMING_STATUSES)
        self._clock = pipeline.session.pool.clock
        self._interval = interval
        self._since = since
        self._seen: dict[str, int] = {}
        self._first_window = _DEFAULT_MINUTES if since is None else _minutes_since(since)
        self._last_polled: float | None = None  # when the last poll that answered asked

    def __repr__(self) -> str:
        return f"<IncomingWatch seen={len(self._seen)}>"

    async def _poll(self) -> None:
        now = self._clock.now()
        minutes = (
            self._first_window
            if self._last_polled is None
            # Back to the last poll that answered, and a little further.
            else min(_MAX_MINUTES, math.ceil((now - self._last_polled) / 60) + _MINUTES_MARGIN)
        )
        try:
            statuses = await self._pipeline.call(
                GET_INCOMING_STATUSES, parse_incoming, None, params={"minutes": str(minutes)}
            )
        except GreenStatusError as error:
            if not passes(error):
                raise
            return
        self._last_polled = now
        for status in sorted(statuses, key=lambda status: status.timestamp):
            if status.id_message in self._seen:
                continue
            self._seen[status.id_message] = status.timestamp
            if self._since is None or status.timestamp >= self._since:
                self._ready.append(status)
        _forget_old(self._seen)

    async def _between(self) -> None:
        await self._pipeline.pause(self._interval, GET_INCOMING_STATUSES)


def _minutes_since(since: float) -> int:
    """The window of the first poll: back to ``since``, and at least
    GREEN-API's default day."""
    back = math.ceil(max(0.0, time.time() - since) / 60) + _MINUTES_MARGIN
    return min(_MAX_MINUTES, max(_DEFAULT_MINUTES, back))


def _forget_old(seen: dict[str, int]) -> None:
    """Forget ids far older than the newest: later windows never reach them."""
    if len(seen) < 1024:
        return
    newest = max(seen.values())
    for id_message, timestamp in list(seen.items()):
        if timestamp < newest - 2 * 24 * 60 * 60:
            del seen[id_message]
