"""How many of greenstatus's requests are in flight through one HTTP client.

httpx's own transport, ``httpx.AsyncHTTPTransport``, sends through httpcore's
connection pool, which serves fewer requests per second the more are in flight
on it: each request that starts or ends rescans every connection, several
requests handed the same idle connection in one turn of the event loop all but
one go round again, and past ``max_keepalive_connections`` (20 by default)
each answered connection is closed, so the next request opens a new one.
Measured over TLS on loopback (``benchmarks/own_client.py``), greenstatus on a
plain ``httpx.AsyncClient()`` sent about 1,300 requests per second with 1 or 2
in flight, 900 with 8, 530 with 16 and 450 with 32; against a server answering
in 100 to 300 ms, more in flight is what sends more, until the pool queues.

So a request to such a pool first waits here, at a gate of that HTTP client
and transport, shared by every ``AsyncStatusClient`` sending through them with
the same ``max_in_flight``:

- ``"auto"`` (the default) on httpcore's pool: at most ``AUTO_CEILING`` in
  flight, the limit starting at ``AUTO_START`` and moved to whatever sends
  the most per second (``InFlightGate``, below). Other
  transports (greenstatus's own on asyncio, httpx-aiohttp's, a mock) get no
  gate. greenstatus's own client on trio runs on httpx's own transport, with
  one instance on it, and is capped the same way; a ``create_http_client()``
  a user shares between instances is not, so that the gate cannot undo its
  per-instance shares (a stuck instance would hold the gate's places);
- a whole number: at most that many, fixed, on any transport;
- ``None``: no gate.

A request waits before it takes its rate-limit place (``_pipeline``): while it
waits it was not sent, and the place's bound does not include the wait.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias

import anyio
import httpx

from ._http import EventLoopTransport, on_asyncio
from ._methods import Host
from ._options import MaxInFlight

if TYPE_CHECKING:
    from ._instance import Instance

__all__ = ["AUTO_CEILING", "AUTO_START", "Climb", "Gate", "InFlightGate", "gate_for"]

logger = logging.getLogger("greenstatus")

AUTO_CEILING = 64
"""The most ``"auto"`` lets in flight: greenstatus's own pool's size, below
httpx's default 100 connections, past which requests queue inside httpcore's
pool (with 256 in flight against a server answering in 100 to 300 ms, a plain
client sent 110 requests per second where 64 sent 260)."""
AUTO_START = 2
"""Where ``"auto"`` starts: at the loopback peak (1 to 3). Every connection
opened stays in httpcore's pool, rescanned at each request, until it has been
idle for the pool's keep-alive expiry (5 s): starting at 8 and coming down to
2 cost a third more CPU per request for the seconds that took. Upwards, the
first steps grow (``Climb``), so a server answering in hundreds of
milliseconds gets its dozens in flight within a few seconds."""
_MAX_STRIDE = 4
"""The most steps one move takes while the limit first climbs."""

_MIN_EPOCH = 0.2
"""Seconds a measurement lasts at least: shorter ones measure the event loop's
batches, not the limit."""
_MAX_EPOCH = 1.0
"""Seconds a measurement lasts at most while requests wait (slow answers
must not keep the limit where it is until they end)."""
_BUSY = 0.75
"""The share of a measurement's answers that must have had a request waiting
behind them: below it, fewer were asked for than the limit allowed, and the
throughput says nothing about the limit."""
_TIE = 0.10
"""Rates within 10 % of each other are the same rate: the smaller limit wins
them (fewer in flight cost less)."""


def _steps(ceiling: int) -> tuple[int, ...]:
    """The limits ``"auto"`` moves between: 1, 2, 3, 4, 6, 8, 12, 16, ... up to
    ``ceiling`` (each step a half or a third more than the last)."""
    steps = {ceiling}
    power = 1
    while power < ceiling:
        steps.update(step for step in (power, 3 * power) if step < ceiling)
        power *= 2
    return tuple(sorted(steps))


class Climb:
    """The limit of an adaptive gate, moved between 1 and ``ceiling`` (on
    ``_steps``) to whatever sends the most per second, by perturbing and
    observing.

    Each measurement gives a rate: one higher than the last keeps the limit
    moving the way it went, a lower one turns it round, and a tie takes it
    down a step (fewer in flight cost less). Until the first turn or tie the
    limit goes up, each move twice as many steps as the last while the rate
    keeps rising (up to ``_MAX_STRIDE``), then one step at a time. A
    measurement with too few requests waiting behind its answers (``_BUSY``)
    says nothing about the limit and is left out, and so is the first (it
    opened the connections). One that a waiter's timer ended, with fewer
    answers than the limit, found the places held by slow answers rather than
    by the CPU: the limit goes up.
    """

    __slots__ = ("_climbing", "_down", "_last_rate", "_step", "_steps", "_stride", "_warming")

    def __init__(self, ceiling: int, start: int) -> None:
        self._steps = _steps(ceiling)
        self._step = max(i for i, step in enumerate(self._steps) if step <= start)
        self._last_rate: float | None = None
        self._down = False
        self._climbing = True  # until the first turn or tie
        self._stride = 1
        self._warming = True

    @property
    def limit(self) -> int:
        return self._steps[self._step]

    def measured(self, done: int, busy: int, elapsed: float, *, timed_out: bool) -> None:
        """One measurement: ``done`` answers in ``elapsed`` seconds, ``busy``
        of them with a request waiting behind; ``timed_out`` when a waiter's
        timer ended it."""
        if busy < _BUSY * done:
            self.forget()
            return
        if timed_out and done < self.limit:
            self.forget()
            self._move(down=False)
            return
        if self._warming:
            # The first measurement opened the gate's connections: handshakes
            # in it, and no comparison with it would be fair.
            self._warming = False
            return
        rate, last = done / elapsed, self._last_rate
        self._last_rate = rate
        if last is None or rate > last * (1 + _TIE):
            if last is not None and self._climbing:
                self._stride = min(2 * self._stride, _MAX_STRIDE)
            self._move(down=self._down)  # better (or a first): on the same way
            return
        self._climbing, self._stride = False, 1
        if rate < last * (1 - _TIE):
            self._move(down=not self._down)
        else:
            self._move(down=True)

    def forget(self) -> None:
        """The next measurement is compared with none."""
        self._last_rate = None

    def _move(self, *, down: bool) -> None:
        self._down = down
        top = len(self._steps) - 1
        step = self._step - self._stride if down else self._step + self._stride
        self._step = max(0, min(top, step))


class _Waiter:
    __slots__ = ("event", "granted")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False  # a place was handed to it: it holds it


class InFlightGate:
    """At most ``limit`` requests in flight; the others wait, first come
    first served. Entered around one attempt (``async with gate:``).

    With a ``Climb``, the limit moves: each measurement lasts at least
    ``2 * limit + 8`` answers and ``_MIN_EPOCH`` seconds, or ``_MAX_EPOCH``
    seconds while requests wait (a waiter's timer ends it).
    """

    __slots__ = (
        "_busy",
        "_done",
        "_in_flight",
        "_now",
        "_started",
        "_waiters",
        "ceiling",
        "climb",
    )

    def __init__(
        self,
        ceiling: int,
        climb: Climb | None = None,
        *,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ceiling = ceiling
        """The most it ever lets in flight."""
        self.climb = climb
        self._in_flight = 0
        self._waiters: OrderedDict[_Waiter, None] = OrderedDict()
        self._now = now
        self._started = now()
        self._done = 0
        self._busy = 0

    @property
    def limit(self) -> int:
        """How many may be in flight now."""
        return self.ceiling if self.climb is None else self.climb.limit

    @property
    def in_flight(self) -> int:
        """How many hold a place (in flight, or about to be)."""
        return self._in_flight

    async def __aenter__(self) -> None:
        if self._in_flight < self.limit and not self._waiters:
            self._in_flight += 1
            return
        if self.climb is not None and not self._waiters:
            # The first to wait after a while: what was measured since was
            # measured with fewer asked for than allowed.
            now = self._now()
            if now - self._started >= _MAX_EPOCH:
                self._restart(now)
                self.climb.forget()
        waiter = _Waiter()
        self._waiters[waiter] = None
        try:
            while not waiter.granted:
                if self.climb is None:
                    await waiter.event.wait()
                    continue
                with anyio.move_on_after(self._started + _MAX_EPOCH - self._now()):
                    await waiter.event.wait()
                if not waiter.granted:
                    self._tick()
        except BaseException:
            # Cancelled (a close, a deadline): not sent. A place handed to it
            # in the meantime goes to the next in line.
            if waiter.granted:
                self._in_flight -= 1
                self._fill()
            else:
                del self._waiters[waiter]
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._in_flight -= 1
        if self.climb is not None:
            self._done += 1
            if self._waiters:
                self._busy += 1
            if self._done >= 2 * self.climb.limit + 8:
                now = self._now()
                if now - self._started >= _MIN_EPOCH:
                    self._measured(now, timed_out=False)
        self._fill()

    def _fill(self) -> None:
        """Hand free places to the first in line."""
        while self._waiters and self._in_flight < self.limit:
            waiter, _ = self._waiters.popitem(last=False)
            waiter.granted = True
            self._in_flight += 1
            waiter.event.set()

    def _tick(self) -> None:
        """A waiter's timer: a measurement that has lasted ``_MAX_EPOCH``
        with requests waiting ends now."""
        now = self._now()
        if now - self._started >= _MAX_EPOCH:
            self._measured(now, timed_out=True)
            self._fill()

    def _measured(self, now: float, *, timed_out: bool) -> None:
        assert self.climb is not None
        done, busy, elapsed = self._done, self._busy, now - self._started
        self._restart(now)
        self.climb.measured(done, busy, elapsed, timed_out=timed_out)

    def _restart(self, now: float) -> None:
        self._started, self._done, self._busy = now, 0, 0


class _NoGate:
    """No cap: entering it costs nothing."""

    __slots__ = ()

    ceiling: int | None = None

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


NO_GATE = _NoGate()

Gate: TypeAlias = "InFlightGate | _NoGate"

_GATES: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[tuple[int, int | str], InFlightGate]] = (
    weakref.WeakKeyDictionary()
)
"""Each HTTP client's gates, by the transport they cap and the setting."""


def runs_on_httpcore(transport: httpx.AsyncBaseTransport, *, owned: bool) -> bool:
    """Whether ``"auto"`` caps requests through ``transport``: httpx's own
    (httpcore's pool), mounted or the default, or greenstatus's own client's
    when it runs on httpx's own (on trio, or behind a SOCKS proxy) and the
    client is greenstatus's own (one instance, no shares to keep)."""
    if isinstance(transport, httpx.AsyncHTTPTransport):
        return True
    if isinstance(transport, EventLoopTransport) and owned:
        inner = getattr(transport, "_inner", None)
        return isinstance(inner, httpx.AsyncHTTPTransport) or not on_asyncio()
    return False


def gate_for(
    http: httpx.AsyncClient, host: Host, instance: Instance, setting: MaxInFlight, *, owned: bool
) -> Gate:
    """The gate of the requests to ``instance``'s ``host`` through ``http``,
    with ``setting`` (``max_in_flight``): made, and said, on first use. Called
    inside the event loop (greenstatus's own transport is chosen by it)."""
    if setting is None:
        return NO_GATE
    base = instance.api_url if host is Host.API else instance.media_url
    # httpx's own routing (mounts, proxies from the environment): read, never
    # changed. The base URL holds no token; mounts match scheme, host and port.
    transport = http._transport_for_url(httpx.URL(base))
    adaptive = setting == "auto"
    if adaptive and not runs_on_httpcore(transport, owned=owned):
        return NO_GATE
    key = (id(transport), setting)
    gates = _GATES.setdefault(http, {})
    gate = gates.get(key)
    if gate is None:
        ceiling = AUTO_CEILING if isinstance(setting, str) else setting
        climb = Climb(ceiling, AUTO_START) if adaptive else None
        gate = gates[key] = InFlightGate(ceiling, climb)
        if adaptive:
            _say(httpx.URL(base), owned=owned)
    return gate


def _say(url: httpx.URL, *, owned: bool) -> None:
    """Once per gate: what greenstatus does, why, and the way round it."""
    # Scheme, host and port only: never a path, nor credentials in the URL.
    origin = f"{url.scheme}://{url.host}" + ("" if url.port is None else f":{url.port}")
    if owned:
        logger.debug(
            "requests to %s go through httpx's own transport (httpcore's pool): "
            "at most %d in flight at once, starting at %d and adapting to the "
            "throughput measured",
            origin,
            AUTO_CEILING,
            AUTO_START,
        )
        return
    logger.info(
        "the http_client sends requests to %s through httpx's own AsyncHTTPTransport, "
        "whose connection pool (httpcore's) serves fewer requests per second the more "
        "are in flight; greenstatus keeps at most %d of its requests through it in "
        "flight at once, starting at %d and adapting to the throughput it measures. "
        "For the fast path, pass greenstatus.create_http_client(), or an "
        "httpx.AsyncClient on httpx_aiohttp.AiohttpTransport(); max_in_flight=None "
        "lifts the cap, max_in_flight=<n> fixes it",
        origin,
        AUTO_CEILING,
        AUTO_START,
    )
