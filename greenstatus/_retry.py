"""Deciding whether a failed call may be sent again, and after how long.

GREEN-API has no idempotency key and queues every send, so sending again after a
lost answer may post a status twice. Only failures the server certainly refused
or never saw are retried by default; "maybe delivered" is the caller's call.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import attrs

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    GreenStatusError,
    RateLimitError,
)
from ._methods import ALL_METHODS, UPLOAD_FILE
from ._validators import at_least, non_negative

__all__ = ["ExponentialBackoff", "NoRetry", "RetryPolicy", "RetrySafety", "retry_safety"]

# 503: the service refused the request, try again. 500 is left out: it also
# means "file too large".
_RETRYABLE_STATUS = frozenset({503})
# A gateway answers 502 or 504 when the upstream failed or was slow, which may
# be after the upstream queued the status; 499 when the client gave up on a
# request the server may have done.
_MAYBE_PROCESSED_STATUS = frozenset({499, 502, 504})
# Repeating these after an ambiguous failure does no harm: the getters change
# nothing, and a second upload only makes a second link.
_IDEMPOTENT = frozenset(
    [*(method.name for method in ALL_METHODS if method.idempotent), UPLOAD_FILE.name]
)


@runtime_checkable
class RetryPolicy(Protocol):
    """Decides, after a failed attempt, whether and when to try again.

    ``attempt`` counts the failed attempts so far, from 1. Return the seconds to
    wait before the next attempt, or ``None`` to give up and raise ``error``.
    """

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None: ...


class RetrySafety(enum.Enum):
    """What sending a failed request again risks."""

    SAFE = "safe"
    """The server refused it or never saw it: sending again cannot duplicate."""
    AMBIGUOUS = "ambiguous"
    """It may have been processed: sending again may post a status twice."""
    FINAL = "final"
    """Sending the same request again would fail the same way."""


def retry_safety(error: GreenStatusError) -> RetrySafety:
    """Classify a failure by what happened on the wire.

    Ambiguous failures of the getters (GET, idempotent) and of uploadFile (a
    second upload makes a second link, nothing more) count as safe.
    """
    safety = _safety(error)
    if safety is RetrySafety.AMBIGUOUS and getattr(error, "api_method", None) in _IDEMPOTENT:
        return RetrySafety.SAFE
    return safety


def _safety(error: GreenStatusError) -> RetrySafety:
    if isinstance(error, APIConnectionError):
        return RetrySafety.AMBIGUOUS if error.request_sent else RetrySafety.SAFE
    if isinstance(error, RateLimitError):
        return RetrySafety.SAFE
    if isinstance(error, BadRequestError):
        return RetrySafety.SAFE if error.instance_not_ready else RetrySafety.FINAL
    if isinstance(error, APIStatusError):
        if error.status_code in _RETRYABLE_STATUS:
            return RetrySafety.SAFE
        if error.status_code in _MAYBE_PROCESSED_STATUS:
            return RetrySafety.AMBIGUOUS
    return RetrySafety.FINAL


@attrs.frozen(kw_only=True)
class ExponentialBackoff:
    """Retry what is safe to retry, with capped exponential backoff and full jitter.

    ``max_attempts`` counts every attempt, the first included. The wait before
    attempt ``n + 1`` is ``uniform(0, min(max_delay, initial * 2 ** (n - 1)))``,
    and at least a 429's ``retry_after``; a ``retry_after`` over
    ``max_retry_after`` gives up at once. ``retry_ambiguous=True`` also retries
    failures that may have been delivered (read timeouts, dropped connections,
    499), accepting that a status may then be posted twice.

    A 400 saying the instance is not ready (starting, or its account not
    linked) is not retried: such a state lasts minutes, and GREEN-API's advice
    is to poll the instance's state about once a minute, so retrying within
    seconds only adds requests. ``not_ready_delay=60`` retries it after that
    many seconds instead, within ``max_attempts``.
    """

    max_attempts: int = attrs.field(default=4, validator=at_least(1))
    initial: float = attrs.field(default=0.5, validator=non_negative())
    max_delay: float = attrs.field(default=8.0, validator=non_negative())
    max_retry_after: float = attrs.field(default=120.0, validator=non_negative())
    retry_ambiguous: bool = False
    not_ready_delay: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(non_negative())
    )
    uniform: Callable[[float, float], float] = attrs.field(
        default=random.uniform, repr=False, eq=False
    )
    """The jitter's source; tests pass a deterministic one."""

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        if attempt >= self.max_attempts:
            return None
        safety = retry_safety(error)
        if safety is RetrySafety.FINAL or (
            safety is RetrySafety.AMBIGUOUS and not self.retry_ambiguous
        ):
            return None
        if isinstance(error, BadRequestError) and error.instance_not_ready:
            return self.not_ready_delay
        delay = self.uniform(0.0, min(self.max_delay, self.initial * 2 ** (attempt - 1)))
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            delay = max(delay, error.retry_after)
        return delay


@attrs.frozen
class NoRetry:
    """Never retry: every failure is raised at once."""

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        return None
