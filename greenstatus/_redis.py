"""RedisRateLimiter: GREEN-API's per-instance rate limits kept in Redis, for
every process and machine that shares the Redis server.

The meaning is the in-process limiter's: at most N requests of one method of
one instance in flight or ended within the last second. Each place is a member
of a sorted set whose score is the time it stops counting: while its attempt
runs, the attempt's bound (``RateRequest.hold``) plus the window, so the place
of a process that died expires by itself; once released, the release time plus
the window. Waiters queue in arrival order (a ticket each) and only the first
``free`` of them may take places, so none is overtaken by a later one. Every
step is one Lua script (``_redis_scripts``), run atomically by Redis, on
Redis's own clock (TIME): the processes' clocks never meet. In a process, each
instance's method has a ``Lane`` (``_redis_lane``): its asks and releases go to
Redis one call at a time, together (``_redis_calls``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import attrs

from ._exceptions import RateLimiterUnavailableError
from ._ratelimit import RateRequest
from ._redis_lane import Lane
from ._redis_scripts import ACQUIRE, CALL_TIMEOUT, LEAVE, RELEASE

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "RateLimiterUnavailableError",  # lives in _exceptions with the other errors; named here too
    "RedisRateLimiter",
]

logger = logging.getLogger("greenstatus")


@attrs.define(eq=False)
class RedisPlace:
    """A place held in Redis; ``release`` starts its window there (told with
    the process's next call of this instance's method, or at once when it was
    the last place or wait the process had on it). ``release_soon``, what the
    client's own attempts use, never waits for Redis."""

    limiter: RedisRateLimiter
    places_key: str
    waiter: str
    request: RateRequest
    _lane: Lane = attrs.field(repr=False)
    _released: bool = attrs.field(default=False, repr=False)

    async def release(self) -> None:
        if not self._released:  # once
            self._released = True
            await self._lane.release(self.waiter, self.request.hold)

    async def release_soon(self) -> None:
        """Give the place back without waiting for Redis to hear of it: the
        next call of this instance's method from the process carries it, or
        one of its own within 0.1 s, or ``aclose()``. It counts one window
        from now all the same. A process that ends before any of these (no
        ``aclose()``) leaves it to lapse by its hold, as a killed one does.
        Once the limiter is closed, told before it returns."""
        if self._released:
            return
        if _running_loop() is not self._lane.loop:  # its timer runs on the lane's loop only
            await self.release()
            return
        self._released = True
        if self.limiter._closed:  # no timer outlives aclose(): told now
            await self._lane.release(self.waiter, self.request.hold, at_once=True)
        else:
            self._lane.release_soon(self.waiter, self.request.hold)


class RedisRateLimiter:
    """A [`RateLimiter`][greenstatus.RateLimiter] whose count lives in Redis: at most N requests of
    one method of one instance in flight or ended within the last second,
    across every process and machine that shares the Redis server.

    ``url_or_client`` is a Redis URL (``redis://host:6379/0``; greenstatus then
    owns the connection pool, closed by ``aclose()``) or your own
    ``redis.asyncio.Redis``. Keys are ``{key_prefix}:{<instance>:<method>}:...``,
    and expire when idle. Needs ``pip install 'greenstatus[redis]'`` and runs
    on asyncio (redis-py's asyncio client).

    When Redis cannot be reached, ``acquire`` raises
    [`RateLimiterUnavailableError`][greenstatus.RateLimiterUnavailableError] and nothing is sent.

    A send costs about one script call, fewer at high rates: the asks of one
    instance's method that come while a call is under way go together in the
    next one, and each call carries the places released since the last. A
    released place counts one window from its release, measured by this
    process and placed on Redis's clock; Redis hears of it with the next call,
    within 0.1 s by a call of its own, or before ``release()`` returns when it
    was the last place or wait of its method in this process. The client's
    own attempts give their places back without that wait (the release rides
    with the next ask, or the call of its own): a process that sends one
    request at a time makes one call per request. ``aclose()`` first tells
    Redis of the places released and not yet told; a process that ends
    without it leaves those to lapse by their hold, as a killed process does.
    """

    def __init__(
        self, url_or_client: str | redis.asyncio.Redis, *, key_prefix: str = "greenstatus"
    ) -> None:
        try:
            import redis.asyncio
        except ImportError:  # pragma: no cover - the extra is installed in tests
            raise ImportError(
                "RedisRateLimiter needs redis-py: pip install 'greenstatus[redis]'"
            ) from None
        if not isinstance(key_prefix, str) or not key_prefix or "{" in key_prefix:
            raise ValueError(f"key_prefix must be a non-empty str without '{{', got {key_prefix!r}")
        if isinstance(url_or_client, str):
            self._where = _where(url_or_client)
            # redis-py's own timeouts are a backstop, twice the bound each call
            # runs under: the bound is what ends a stalled call, with its message.
            self._client: Any = redis.asyncio.Redis.from_url(
                url_or_client,
                socket_timeout=2 * CALL_TIMEOUT,
                socket_connect_timeout=2 * CALL_TIMEOUT,
            )
            self._owned = True
        elif isinstance(url_or_client, redis.asyncio.Redis):
            kwargs = url_or_client.connection_pool.connection_kwargs
            self._where = (
                str(kwargs["path"])
                if "path" in kwargs
                else f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
            )
            self._client = url_or_client
            self._owned = False
        else:
            raise TypeError(
                "url_or_client must be a Redis URL or a redis.asyncio.Redis, "
                f"got {type(url_or_client).__name__}"
            )
        self._prefix = key_prefix
        self._acquire = self._client.register_script(ACQUIRE)
        self._release = self._client.register_script(RELEASE)
        self._leave = self._client.register_script(LEAVE)
        self._lanes: dict[str, Lane] = {}
        self._closed = False
        """``aclose()`` ran and no acquire came since: a release is told at once."""
        # Waiters are named by this limiter and a count: unique, and cheap.
        self._name = uuid.uuid4().hex[:20]
        self._count = itertools.count()

    def __repr__(self) -> str:
        return f"<RedisRateLimiter {self._where} key_prefix={self._prefix!r}>"

    async def aclose(self) -> None:
        """Tell Redis of the places released and not yet told (one call per
        instance's method), with no timer left to tell them later, then close
        the connection pool greenstatus made (never a client you gave). A
        place released after it is told at once."""
        self._closed = True
        loop = _running_loop()  # None not on asyncio: no lane of this limiter is there
        for lane in [lane for lane in self._lanes.values() if lane.loop is loop]:
            try:
                await lane.flush()
            except RateLimiterUnavailableError:
                logger.warning(
                    "%s: the rate limiter could not release places as it closed; "
                    "they expire by themselves",
                    lane.method,
                )
        if self._owned:
            await self._client.aclose()

    def keys(self, id_instance: str, api_method: str) -> tuple[str, str, str, str, str]:
        """The keys of one instance's method: places, queue, seen, tickets, limits."""
        base = f"{self._prefix}:{{{id_instance}:{api_method}}}"
        return (
            f"{base}:places",
            f"{base}:queue",
            f"{base}:seen",
            f"{base}:tickets",
            f"{base}:limits",
        )

    async def acquire(self, request: RateRequest) -> RedisPlace:
        """Wait for a place, in arrival order, and take it."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "RedisRateLimiter runs on asyncio (redis-py's asyncio client), not trio"
            ) from None
        self._closed = False  # in use again: aclose() tells what is left
        keys = self.keys(request.id_instance, request.api_method)
        lane = self._lanes.get(keys[0])
        if lane is None or lane.loop is not loop:  # one event loop's lane is not another's
            lane = self._lanes[keys[0]] = Lane(self, keys, request.api_method, self._forget)
        waiter = f"{self._name}:{next(self._count)}"
        await lane.acquire(waiter, request)
        return RedisPlace(self, keys[0], waiter, request, lane)

    def _forget(self, lane: Lane) -> None:
        """A lane with nothing held, asked or left to tell goes."""
        if self._lanes.get(lane.keys[0]) is lane:
            del self._lanes[lane.keys[0]]

    async def _run(
        self,
        script: Any,
        keys: list[str],
        arguments: list[object],
        method: str,
        limit: float,
    ) -> Any:
        """One script call, within ``limit`` seconds: a Redis that cannot
        answer by then (down, stalled, closed with its event loop) is
        unavailable, and says so. So is any other error of the call (a fault
        of redis-py's own): it becomes the same typed error, never one that
        escapes with redis-py's frames (cancellation still propagates)."""
        failure: RateLimiterUnavailableError
        try:
            with anyio.fail_after(limit):
                return await script(keys=keys, args=arguments)
        except Exception as error:
            failure = self._unavailable_error(error, method, limit)
        # Raised outside the except block, so that redis-py's error is not its
        # __context__: that error's traceback holds redis-py's frames, whose
        # locals hold the connection's password.
        raise failure

    def _unavailable_error(
        self, error: BaseException, method: str, limit: float
    ) -> RateLimiterUnavailableError:
        # A frame of its own: the password read here is in no frame of the
        # error's traceback, which starts where the error is raised.
        detail = str(error) or type(error).__name__
        if isinstance(error, TimeoutError):
            detail = f"no answer within {limit:g} s"
        password = self._client.connection_pool.connection_kwargs.get("password")
        if isinstance(password, str) and password:
            detail = detail.replace(password, "***")
        return RateLimiterUnavailableError(
            f"{method}: the rate limiter's Redis at {self._where} cannot be "
            f"used ({type(error).__name__}: {detail}); this request was not sent",
            api_method=method,
        )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _where(url: str) -> str:
    """host:port/db of a Redis URL, without its password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "(an invalid URL)"
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    return f"{host}:{port or 6379}{parts.path if parts.path not in ('', '/') else ''}"
