"""RedisRateLimiter: GREEN-API's per-instance rate limits kept in Redis, for
every process and machine that shares the Redis server.

The meaning is the in-process limiter's: at most N requests of one method of
one instance in flight or ended within the last second. Each place is a member
of a sorted set whose score is the time it stops counting: while its attempt
runs, the attempt's bound (``RateRequest.hold``) plus the window, so the place
of a process that died expires by itself; once released, the release time plus
the window. Waiters queue in arrival order (a ticket each) and only the first
``free`` of them may take places, so none is overtaken by a later one. Every
step is one Lua script, run atomically by Redis, on Redis's own clock (TIME):
the processes' clocks never meet.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import attrs

from ._exceptions import RateLimiterUnavailableError
from ._ratelimit import MARGIN, WINDOW, RateRequest

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "RateLimiterUnavailableError",  # lives in _exceptions with the other errors; named here too
    "RedisRateLimiter",
]

_POLL = 0.05
"""Longest a waiter sleeps between two asks: a release may free a place early."""
_CALL_TIMEOUT = 5.0
"""Longest one script call may take (a stalled Redis is an unavailable one)."""
_LET_GO_TIMEOUT = 1.0
"""Longest a release or a leave may take: its place or turn lapses anyway."""
_STALE = _CALL_TIMEOUT + 1.0
"""A waiter that has not asked for this long has gone (its process died): its
turn passes to the next. Longer than any one call, so a slow Redis evicts no
one; a waiter evicted all the same comes back with its ticket, in its turn."""

# KEYS: places, queue, seen, tickets, limits.
# ARGV: waiter, limit, hold, window, stale, ticket ("" for a first ask).
# Returns {1, ticket, 0} when the place is taken, else {0, ticket, milliseconds
# to wait at most}. A waiter may take a place when its rank in the queue is
# below the free places under the lowest limit of it and those ahead of it:
# clients that ask for different limits then never overtake one another.
_ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local places, queue, seen, tickets = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local waiter = ARGV[1]
local limit, hold = tonumber(ARGV[2]), tonumber(ARGV[3])
local window, stale = tonumber(ARGV[4]), tonumber(ARGV[5])
local limits = KEYS[5]
redis.call('ZREMRANGEBYSCORE', places, '-inf', now)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', seen, '-inf', now - stale)) do
  redis.call('ZREM', queue, gone)
  redis.call('ZREM', seen, gone)
  redis.call('HDEL', limits, gone)
end
local ticket = redis.call('ZSCORE', queue, waiter)
if not ticket then
  ticket = ARGV[6]
  if ticket == '' then ticket = redis.call('INCR', tickets) end
  redis.call('ZADD', queue, ticket, waiter)
end
redis.call('ZADD', seen, now, waiter)
redis.call('HSET', limits, waiter, limit)
local function expire_when_idle()
  local keep = math.ceil((hold + window + stale + 1) * 1000)
  for _, key in ipairs(KEYS) do
    local ttl = redis.call('PTTL', key)
    if ttl ~= -2 and ttl < keep then redis.call('PEXPIRE', key, keep) end
  end
end
local rank = redis.call('ZRANK', queue, waiter)
local lowest = limit
for _, ahead in ipairs(redis.call('ZRANGE', queue, 0, rank)) do
  local other = tonumber(redis.call('HGET', limits, ahead))
  if other and other < lowest then lowest = other end
end
if rank < lowest - redis.call('ZCARD', places) then
  redis.call('ZREM', queue, waiter)
  redis.call('ZREM', seen, waiter)
  redis.call('HDEL', limits, waiter)
  redis.call('ZADD', places, now + hold + window, waiter)
  expire_when_idle()
  return {1, tostring(ticket), 0}
end
expire_when_idle()
local first = redis.call('ZRANGE', places, 0, 0, 'WITHSCORES')
local wait = window
if first[2] then wait = tonumber(first[2]) - now end
return {0, tostring(ticket), math.max(1, math.ceil(wait * 1000))}
"""

# KEYS: places. ARGV: waiter, window. The place counts one window from now.
_RELEASE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > until_ then
  redis.call('ZADD', KEYS[1], until_, ARGV[1])
end
return 1
"""

# KEYS: queue, seen, places, limits. ARGV: waiter, window. A waiter that stops waiting
# leaves the queue; a place it was given as it was cancelled (the answer lost
# on the way) is released, counting one window from now.
_LEAVE = """
if redis.replicate_commands then redis.replicate_commands() end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
local t = redis.call('TIME')
local until_ = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[2])
local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
if score and tonumber(score) > until_ then
  redis.call('ZADD', KEYS[3], until_, ARGV[1])
end
return 1
"""


@attrs.define(eq=False)
class RedisPlace:
    """A place held in Redis; ``release`` starts its window there."""

    limiter: RedisRateLimiter
    places_key: str
    waiter: str
    request: RateRequest

    async def release(self) -> None:
        await self.limiter._run(
            self.limiter._release,
            [self.places_key],
            [self.waiter, WINDOW + MARGIN],
            self.request,
            _LET_GO_TIMEOUT,
        )


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
                socket_timeout=2 * _CALL_TIMEOUT,
                socket_connect_timeout=2 * _CALL_TIMEOUT,
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
        self._acquire = self._client.register_script(_ACQUIRE)
        self._release = self._client.register_script(_RELEASE)
        self._leave = self._client.register_script(_LEAVE)
        # What a Redis that cannot be used raises: its own errors, the
        # network's, a call past its time, a client whose event loop closed.
        self._unavailable: tuple[type[BaseException], ...] = (
            redis.exceptions.RedisError,
            OSError,
            TimeoutError,
            RuntimeError,
        )

    def __repr__(self) -> str:
        return f"<RedisRateLimiter {self._where} key_prefix={self._prefix!r}>"

    async def aclose(self) -> None:
        """Close the connection pool greenstatus made (never a client you gave)."""
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
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "RedisRateLimiter runs on asyncio (redis-py's asyncio client), not trio"
            ) from None
        keys = list(self.keys(request.id_instance, request.api_method))
        waiter = uuid.uuid4().hex
        ticket = ""
        try:
            while True:
                arguments = [waiter, request.limit, request.hold, WINDOW + MARGIN, _STALE, ticket]
                taken, ticket, wait_ms = await self._run(
                    self._acquire, keys, arguments, request, _CALL_TIMEOUT
                )
                ticket = ticket.decode() if isinstance(ticket, bytes) else str(ticket)
                if taken:
                    return RedisPlace(self, keys[0], waiter, request)
                await anyio.sleep(min(int(wait_ms) / 1000, _POLL))
        except RateLimiterUnavailableError:
            raise  # Redis cannot be asked; this waiter goes stale by itself
        except BaseException:
            # Cancelled while waiting: leave the queue, so the next waiter
            # need not wait for this one to go stale.
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await self._run(
                    self._leave,
                    [keys[1], keys[2], keys[0], keys[4]],
                    [waiter, WINDOW + MARGIN],
                    request,
                    _LET_GO_TIMEOUT,
                )
            raise

    async def _run(
        self,
        script: Any,
        keys: list[str],
        arguments: list[object],
        request: RateRequest,
        limit: float,
    ) -> Any:
        """One script call, within ``limit`` seconds: a Redis that cannot
        answer by then (down, stalled, closed with its event loop) is
        unavailable, and says so."""
        failure: RateLimiterUnavailableError
        try:
            with anyio.fail_after(limit):
                return await script(keys=keys, args=arguments)
        except self._unavailable as error:
            failure = self._unavailable_error(error, request, limit)
        # Raised outside the except block, so that redis-py's error is not its
        # __context__: that error's traceback holds redis-py's frames, whose
        # locals hold the connection's password.
        raise failure

    def _unavailable_error(
        self, error: BaseException, request: RateRequest, limit: float
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
            f"{request.api_method}: the rate limiter's Redis at {self._where} cannot be "
            f"used ({type(error).__name__}: {detail}); this request was not sent",
            api_method=request.api_method,
        )


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
