"""How an ``AsyncStatusClient`` behaves: each option defined, checked and
documented once.

``ClientOptions`` holds what ``with_options`` may change (a derived client is
``attrs.evolve`` of it). ``PoolOptions`` holds what a client and those derived
from it share: the HTTP client, the rate limits and where they are counted.
The constructor, ``from_env`` and ``with_options`` take these as keywords;
``tests/test_options.py`` checks that every field reaches all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import attrs
import httpx

from ._clock import Clock, SystemClock
from ._hooks import OnRetry, check_hook
from ._methods import DOCUMENTED_RATE_LIMITS
from ._ratelimit import InProcessRateLimiter, RateLimiter
from ._retry import ExponentialBackoff, RetryPolicy
from ._validators import positive_number, whole_number_at_least

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "ClientOptions",
    "MaxInFlight",
    "PoolOptions",
    "check_concurrency",
    "check_in_order",
    "check_retry",
]

DEFAULT_MAX_CONCURRENCY = 16


def check_concurrency(name: str, value: int) -> int:
    return whole_number_at_least(name, value, 1, expected="a whole number of at least 1")


def check_retry(retry: RetryPolicy) -> RetryPolicy:
    if not callable(getattr(retry, "next_delay", None)):
        raise TypeError(f"retry must have next_delay(attempt, error), got {type(retry).__name__}")
    return retry


def _timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    seconds = positive_number(
        "timeout", timeout, expected="a positive number of seconds or an httpx.Timeout"
    )
    return httpx.Timeout(float(seconds))


def _deadline(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return float(positive_number("deadline", deadline, expected="a positive number of seconds"))


def _retry(retry: RetryPolicy | None) -> RetryPolicy:
    return check_retry(retry) if retry is not None else ExponentialBackoff()


def _flag(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def _check_links(value: bool) -> bool:
    return _flag("check_links", value)


def _check_audience(value: bool) -> bool:
    return _flag("check_audience", value)


def _max_concurrency(value: int) -> int:
    return check_concurrency("max_concurrency", value)


def _on_retry(hook: OnRetry | None) -> OnRetry | None:
    return check_hook("on_retry", hook)


def _clock(clock: Clock | None) -> Clock:
    return clock if clock is not None else SystemClock()


# Each check is a converter, so options are checked in the order they are
# defined (the order the constructor has always checked them in), and again,
# harmlessly, by ``attrs.evolve``.
@attrs.frozen(kw_only=True)
class ClientOptions:
    """The options of one client; ``with_options`` derives others from them."""

    max_concurrency: int = attrs.field(default=DEFAULT_MAX_CONCURRENCY, converter=_max_concurrency)
    """How many sends ``send_all`` runs at once."""
    timeout: httpx.Timeout | None = attrs.field(default=None, converter=_timeout)
    """Each HTTP exchange's timeout; ``None``: the HTTP client's own."""
    deadline: float | None = attrs.field(default=None, converter=_deadline)
    """Seconds one call may take in all; ``None``: no deadline."""
    retry: RetryPolicy = attrs.field(factory=ExponentialBackoff, converter=_retry)
    """The retry policy; ``None`` given is ``ExponentialBackoff()``."""
    on_retry: OnRetry | None = attrs.field(default=None, converter=_on_retry)
    """Called before each wait to retry."""
    check_links: bool = attrs.field(default=False, converter=_check_links)
    """Check each voice or media link before sending it."""
    check_audience: bool = attrs.field(default=False, converter=_check_audience)
    """Refuse participants a status would not reach before sending it."""


def check_in_order(changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` to ``ClientOptions``, each checked (converted) in the order
    given, so the first bad one is the one reported."""
    fields = attrs.fields_dict(ClientOptions)
    return {name: fields[name].converter(value) for name, value in changes.items()}  # type: ignore[misc,operator]


def _rate_limits(rate_limits: Mapping[str, int | None] | None) -> Mapping[str, int]:
    """GREEN-API's documented limits, with the given ones over them (None: no limit)."""
    if rate_limits is None:
        return {}
    merged = dict(DOCUMENTED_RATE_LIMITS)
    for name, limit in rate_limits.items():
        if name not in DOCUMENTED_RATE_LIMITS:
            known = ", ".join(DOCUMENTED_RATE_LIMITS)
            raise ValueError(f"rate_limits: {name!r} is not one of {known}")
        if limit is None:
            merged.pop(name)
        else:
            merged[name] = whole_number_at_least(
                f"rate_limits[{name!r}]",
                limit,
                1,
                expected="a whole number of requests per second >= 1",
            )
    return merged


MaxInFlight: TypeAlias = "int | Literal['auto'] | None"


def _max_in_flight(value: MaxInFlight) -> MaxInFlight:
    if value is None or value == "auto":
        return value
    return whole_number_at_least(
        "max_in_flight", value, 1, expected='a whole number of at least 1, "auto" or None'
    )


def _rate_limiter(limiter: RateLimiter | None) -> RateLimiter | None:
    if limiter is not None and not callable(getattr(limiter, "acquire", None)):
        raise TypeError(
            f"rate_limiter must have an async acquire(request), got {type(limiter).__name__}"
        )
    return limiter


def _http_client(http: httpx.AsyncClient | None) -> httpx.AsyncClient | None:
    if http is not None and not isinstance(http, httpx.AsyncClient):
        raise TypeError(f"http_client must be an httpx.AsyncClient, got {type(http).__name__}")
    return http


@attrs.frozen(kw_only=True)
class PoolOptions:
    """What a client and the clients derived from it share."""

    clock: Clock = attrs.field(factory=SystemClock, converter=_clock)
    """Where waits happen."""
    rate_limits: Mapping[str, int] = attrs.field(
        factory=lambda: dict(DOCUMENTED_RATE_LIMITS), converter=_rate_limits
    )
    """Requests per second per method; GREEN-API's documented ones by default."""
    rate_limiter: RateLimiter | None = attrs.field(default=None, converter=_rate_limiter)
    """Where the rate limits are counted; ``None``: in this process."""
    http_client: httpx.AsyncClient | None = attrs.field(default=None, converter=_http_client)
    """Your own ``httpx.AsyncClient``, never closed by greenstatus."""
    transport: httpx.AsyncBaseTransport | None = None
    """A transport for the client greenstatus creates."""
    max_in_flight: MaxInFlight = attrs.field(default="auto", converter=_max_in_flight)
    """The most requests in flight at once through the HTTP client (see
    ``_in_flight``): ``"auto"`` caps httpx's own transport (httpcore's pool)
    at what sends the most, up to 64, and nothing else; a number caps any
    transport at it; ``None`` caps nothing. Shared by the clients on one HTTP
    client with the same setting."""

    def __attrs_post_init__(self) -> None:
        if self.http_client is not None and self.transport is not None:
            raise ValueError(
                "pass either http_client or transport, not both: a transport is for "
                "the client greenstatus creates; configure your own client's yourself"
            )
        transport = self.transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                f"transport must be an httpx.AsyncBaseTransport, got {type(transport).__name__}"
            )

    def limiter(self) -> RateLimiter:
        """The rate limiter: the one given, or one of this pool's own."""
        if self.rate_limiter is not None:
            return self.rate_limiter
        return InProcessRateLimiter(self.clock)
