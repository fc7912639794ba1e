"""Shares of one connection pool: per instance, per host, and in all.

A pool shared by many instances is only as good as its worst host. Without
shares, requests to a host that accepts connections and never answers pile up
until they hold every connection (each for the whole read timeout), and every
other instance waits behind them. The gate admits a request only while

- its instance (``/waInstance<digits>/`` in the path) on its host holds fewer
  than ``max_requests_per_instance`` requests,
- its host (scheme, host and port) holds fewer than ``max_connections_per_host``,
- the pool holds fewer than ``max_connections``,

taking the three in that order, so no two requests can wait on each other.
The last share keeps every waiting request here, where closing the pool can
fail it with an httpx error, and never in aiohttp's or httpcore's own queue
(aiohttp cancels its waiters when it closes). A request holds its shares until
its answer's body is closed, as it holds its connection.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import anyio
import httpx

__all__ = ["PoolGate"]

_INSTANCE = re.compile(rb"/waInstance(\d+)/")

CLOSED_WHILE_WAITING = "the connection pool was closed while this request waited for a connection"
CLOSED_BEFORE = "the connection pool was closed before this request could get a connection"

_Origin = tuple[bytes, bytes, "int | None"]


class PoolClosedError(httpx.ConnectError):
    """The pool was closed before the request got a connection: it was not sent."""


class _Waiter:
    __slots__ = ("event", "granted", "refused")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False  # the slot was handed over: the waiter holds it
        self.refused = False  # the gate was closed under it


class _Slots:
    """A counting semaphore, first come first served, whose releases hand the
    slot straight to the first waiter (so a newcomer cannot overtake it)."""

    __slots__ = ("held", "size", "waiters")

    def __init__(self, size: int) -> None:
        self.size = size
        self.held = 0
        self.waiters: OrderedDict[_Waiter, None] = OrderedDict()

    def try_take(self) -> bool:
        if self.held < self.size and not self.waiters:
            self.held += 1
            return True
        return False

    def release(self) -> None:
        if self.waiters:
            waiter, _ = self.waiters.popitem(last=False)
            waiter.granted = True
            waiter.event.set()
        else:
            self.held -= 1

    @property
    def idle(self) -> bool:
        return self.held == 0 and not self.waiters


class _Shares:
    """One slot per key (instance or host), each key's slots made on first use
    and dropped when idle: a platform's thousands of instances cost nothing
    while they send nothing."""

    __slots__ = ("by_key", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.by_key: dict[object, _Slots] = {}

    def slots(self, key: object) -> _Slots:
        slots = self.by_key.get(key)
        if slots is None:
            slots = self.by_key[key] = _Slots(self.size)
        return slots

    def forget_if_idle(self, key: object) -> None:
        slots = self.by_key.get(key)
        if slots is not None and slots.idle:
            del self.by_key[key]


class PoolGate:
    """Admits a request while its instance, its host and the pool have room."""

    def __init__(
        self,
        *,
        max_connections: int | None,
        max_connections_per_host: int | None,
        max_requests_per_instance: int | None,
    ) -> None:
        self._total = _Slots(max_connections) if max_connections is not None else None
        self._hosts = _Shares(max_connections_per_host) if max_connections_per_host else None
        self._instances = _Shares(max_requests_per_instance) if max_requests_per_instance else None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def enter(self, request: httpx.Request) -> Callable[[], None]:
        """Wait for the request's shares; returns what gives them back (once).

        Raises ``httpx.PoolTimeout`` when waiting took the request's pool
        timeout, and ``PoolClosedError`` once the gate is closed.
        """
        if self._closed:
            raise PoolClosedError(CLOSED_BEFORE, request=request)
        origin: _Origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        levels: list[tuple[_Shares, object]] = []
        if self._instances is not None:
            found = _INSTANCE.search(request.url.raw_path)
            if found is not None:
                levels.append((self._instances, (origin, found.group(1))))
        if self._hosts is not None:
            levels.append((self._hosts, origin))
        taken: list[tuple[_Slots, _Shares | None, object]] = []
        deadline: float | None = None
        try:
            for shares, key in levels:
                slots = shares.slots(key)
                if not slots.try_take():
                    deadline = _deadline(request) if deadline is None else deadline
                    await self._wait(slots, deadline, request, shares, key)
                taken.append((slots, shares, key))
            if self._total is not None:
                if not self._total.try_take():
                    deadline = _deadline(request) if deadline is None else deadline
                    await self._wait(self._total, deadline, request, None, None)
                taken.append((self._total, None, None))
            self._refuse_if_closed(request)  # closed as its last slot was handed over
        except BaseException:
            _give_back(taken)
            raise
        return _Once(taken)

    async def _wait(
        self,
        slots: _Slots,
        deadline: float,
        request: httpx.Request,
        shares: _Shares | None,
        key: object,
    ) -> None:
        self._refuse_if_closed(request)
        waiter = _Waiter()
        slots.waiters[waiter] = None
        try:
            with anyio.CancelScope(deadline=deadline):
                await waiter.event.wait()
        except BaseException:  # the caller itself was cancelled
            if waiter.granted:
                slots.release()
            else:
                slots.waiters.pop(waiter, None)
            if shares is not None:
                shares.forget_if_idle(key)
            raise
        if waiter.granted:
            return
        slots.waiters.pop(waiter, None)
        if shares is not None:
            shares.forget_if_idle(key)
        if waiter.refused:
            raise PoolClosedError(CLOSED_WHILE_WAITING, request=request)
        raise httpx.PoolTimeout(
            "timed out waiting for this instance's, this host's or the pool's share of connections",
            request=request,
        )

    def _refuse_if_closed(self, request: httpx.Request) -> None:
        if self._closed:
            raise PoolClosedError(CLOSED_WHILE_WAITING, request=request)

    def close(self) -> None:
        """Fail every waiting request, and every later one, with ``PoolClosedError``."""
        self._closed = True
        every: list[_Slots] = [] if self._total is None else [self._total]
        for shares in (self._hosts, self._instances):
            if shares is not None:
                every.extend(shares.by_key.values())
        for slots in every:
            while slots.waiters:
                waiter, _ = slots.waiters.popitem(last=False)
                waiter.refused = True
                waiter.event.set()


def _deadline(request: httpx.Request) -> float:
    """When waiting for a share must end: httpx's pool timeout, from the moment
    the request first had to wait (as httpcore counts it)."""
    pool = request.extensions.get("timeout", {}).get("pool")
    return math.inf if pool is None else anyio.current_time() + float(pool)


def _give_back(taken: list[tuple[_Slots, _Shares | None, object]]) -> None:
    for slots, shares, key in reversed(taken):
        slots.release()
        if shares is not None:
            shares.forget_if_idle(key)


class _Once:
    """Gives the shares back the first time it is called."""

    __slots__ = ("_taken",)

    def __init__(self, taken: list[tuple[_Slots, _Shares | None, object]]) -> None:
        self._taken: list[tuple[_Slots, _Shares | None, object]] | None = taken

    def __call__(self) -> None:
        taken, self._taken = self._taken, None
        if taken is not None:
            _give_back(taken)


class ReleasingStream(httpx.AsyncByteStream):
    """An answer's body that gives the request's shares back when it is closed,
    as the pool takes its connection back then."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()
