"""One attempt's place with the rate limiter: taken before the request,
given back whatever ends the attempt, even a cancellation."""

from __future__ import annotations

import logging

import anyio

from ._ratelimit import RateLimiter, RatePlace, RateRequest

__all__ = ["NO_PLACE", "AttemptPlace"]

logger = logging.getLogger("greenstatus")


class AttemptPlace:
    """One attempt's rate-limit place: acquired on entering, released on
    leaving (a class, not a generator: it is entered once per request). Its
    ``__aenter__`` gives the longest the place is held (``None``: no limit)."""

    __slots__ = ("_held", "_limiter", "_request")

    def __init__(self, limiter: RateLimiter | None, request: RateRequest | None) -> None:
        self._limiter = limiter
        self._request = request
        self._held: RatePlace | None = None

    async def __aenter__(self) -> float | None:
        if self._limiter is None or self._request is None:
            return None  # no limit: no place
        self._held = await self._limiter.acquire(self._request)
        return self._request.hold

    async def __aexit__(self, *exc_info: object) -> None:
        held, self._held = self._held, None
        if held is not None and self._request is not None:
            await _release(held, self._request.api_method)


NO_PLACE = AttemptPlace(None, None)


async def _release(place: RatePlace, method: str) -> None:
    """Give a place back, whatever cancels the attempt. A place with
    ``release_soon`` (RedisRateLimiter's) is given back without waiting for
    its Redis to hear of it: the next ask carries it. A limiter that cannot
    (its Redis is gone) is logged: the place then expires by itself."""
    with anyio.CancelScope(shield=True):
        try:
            soon = getattr(place, "release_soon", None)
            await (place.release() if soon is None else soon())
        except Exception as error:
            logger.warning(
                "%s: the rate limiter could not release a place (%s); it expires by itself",
                method,
                type(error).__name__,
            )
