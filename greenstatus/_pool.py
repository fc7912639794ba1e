"""What a client and the clients derived from it share, and how each ends.

A ``Pool`` is the HTTP client, the rate limiter, the links known, the
contacts remembered and the calls
under way, shared by a client and every client ``with_options`` derives from
it. A ``Session`` is one client's own life on that pool: closing it ends that
client's waiting calls, and, when the pool is greenstatus's own, the pool.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import anyio
import attrs
import httpx

from ._clock import Clock
from ._contact_memory import ContactMemory
from ._http import DEFAULT_LIMITS, DEFAULT_TIMEOUT, create_http_client
from ._in_flight import Gate, gate_for
from ._links import LinkChecker
from ._methods import Host
from ._options import MaxInFlight, PoolOptions
from ._outcome import CallProgress
from ._ratelimit import RateLimiter

if TYPE_CHECKING:
    from ._instance import Instance

__all__ = ["Pool", "Session"]


@attrs.define(eq=False)
class Pool:
    """The HTTP client and the rate limiter a client and those derived from it share."""

    http: httpx.AsyncClient
    owned: bool
    """greenstatus created it, so greenstatus closes it."""
    max_in_flight: int | None
    """Connections of greenstatus's own default pool; ``None`` when unknown."""
    limiter: RateLimiter
    limits: Mapping[str, int]
    clock: Clock
    closed: bool = False
    loop: object = None
    """The event loop of the first call: pools and rate limiters belong to one."""
    links: LinkChecker = attrs.field(factory=LinkChecker)
    """Links checked and uploaded: one record per pool, so per client."""
    contacts: ContactMemory = attrs.field(factory=ContactMemory)
    """The instance's contacts, remembered for the audience step."""
    calls: dict[anyio.CancelScope, tuple[Session, CallProgress]] = attrs.field(factory=dict)
    """The calls under way, each in a scope that closing its client (or the
    pool) cancels while it waits, with the session that made it."""
    in_flight_cap: MaxInFlight = "auto"
    """``max_in_flight``: how many requests may be in flight through ``http``."""
    gates: dict[Host, Gate] = attrs.field(factory=dict)
    """The gate of the requests to each of the instance's hosts (``_in_flight``),
    found on the first call to it."""

    @classmethod
    def create(cls, options: PoolOptions, timeout: httpx.Timeout | None) -> Pool:
        """The pool of a new client: the user's ``http_client`` as it is, or
        greenstatus's own, on ``transport`` when given."""
        limiter, limits, clock = options.limiter(), options.rate_limits, options.clock
        cap = options.max_in_flight
        if options.http_client is not None:
            return cls(options.http_client, False, None, limiter, limits, clock, in_flight_cap=cap)
        # A pool of one instance's own: the shares that keep a stuck instance
        # from holding a shared pool would only hold this one back.
        http = create_http_client(
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=options.transport,
            max_connections_per_host=None,
            max_requests_per_instance=None,
        )
        own_pool = DEFAULT_LIMITS.max_connections if options.transport is None else None
        return cls(http, True, own_pool, limiter, limits, clock, in_flight_cap=cap)

    def gate(self, host: Host, instance: Instance) -> Gate:
        """The gate a request to ``instance``'s ``host`` waits at before its
        rate-limit place (``_in_flight``); inside the event loop."""
        try:
            return self.gates[host]
        except KeyError:
            gate = gate_for(self.http, host, instance, self.in_flight_cap, owned=self.owned)
            self.gates[host] = gate
            return gate

    def check_event_loop(self) -> None:
        loop = _running_loop()
        if self.loop is None:
            self.loop = loop
        elif loop is not self.loop:
            raise RuntimeError(
                "this AsyncStatusClient was first used in another event loop, and its "
                "connection pool and rate limiter belong to that loop: create one client "
                "per event loop (per asyncio.run() or trio.run(), per test)"
            )


@attrs.define(eq=False)
class Session:
    """One client's life on a pool."""

    pool: Pool
    closes_pool: bool
    """This client closes the pool when it closes: the first client of
    greenstatus's own pool (never a user's, nor a derived client)."""
    closed: bool = False

    @property
    def is_closed(self) -> bool:
        """Closed: this client, the pool (its owner closed it), or the user's
        ``http_client`` under it."""
        return self.closed or self.pool.closed or self.pool.http.is_closed

    def check_open(self) -> None:
        if self.closed:
            raise RuntimeError(
                "this AsyncStatusClient is closed; create a new one to make more calls"
            )
        if self.pool.closed:
            raise RuntimeError(
                "the AsyncStatusClient this one was derived from (with_options) is closed, "
                "and its connection pool with it"
            )

    async def close(self) -> None:
        """End this client: its pool too when it owns it, then every call of
        it (of every client on the pool, when the pool closed) still waiting."""
        if self.closed:
            return
        self.closed = True
        pool = self.pool
        if self.closes_pool and not pool.closed:
            pool.closed = True
            await pool.http.aclose()
        for scope, (session, progress) in list(pool.calls.items()):
            if (session is self or pool.closed) and not progress.in_flight:
                scope.cancel()


def _running_loop() -> object:
    """The running event loop: asyncio's loop object, or trio's run token."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        return trio.lowlevel.current_trio_token()
    raise RuntimeError("greenstatus runs inside an asyncio or trio event loop")
