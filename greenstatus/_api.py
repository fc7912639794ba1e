"""Every public name of greenstatus, imported from the private module that
defines it. ``greenstatus/__init__.py`` loads this module on the first use of
any of these names, not on ``import greenstatus``: a command line's
``--version`` or ``--help``, or one command, loads only what it uses."""

from __future__ import annotations

from ._audience import Audience
from ._client import AsyncStatusClient, OnResult, OnRetry
from ._clock import Clock, SystemClock
from ._contacts import Contact
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AudienceError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    GreenStatusError,
    GreenStatusWarning,
    InvalidStatusError,
    LinkCheckError,
    MediaError,
    NotFoundError,
    NotificationError,
    PermissionDeniedError,
    QuotaExceededError,
    QuotaStatus,
    RateLimitError,
    RateLimiterUnavailableError,
    ResponseValidationError,
    ServerError,
    UnexpectedError,
    WebhookAuthError,
)
from ._http import create_http_client
from ._links import CheckedLink
from ._methods import DOCUMENTED_RATE_LIMITS
from ._notifications import (
    IncomingStatusEvent,
    Notification,
    OutgoingStatusEvent,
    StatusEvent,
    parse_notification,
)
from ._observability import (
    otel_aiohttp_request_hook,
    otel_request_hook,
    scrub_sentry_breadcrumb,
    scrub_sentry_event,
)
from ._participants import ALL_CONTACTS, AllContacts
from ._queue import NotificationQueue
from ._ratelimit import InProcessRateLimiter, RateLimiter, RatePlace, RateRequest
from ._readiness import InstanceSettings, InstanceState, Readiness, ReadinessProblem
from ._redis import RedisRateLimiter
from ._requests import Font, MediaStatus, Status, TextStatus, VoiceStatus, normalize_chat_id
from ._results import IncomingStatus, OutgoingStatus, SendResult, SentStatus, StatusRecipient
from ._retry import ExponentialBackoff, NoRetry, RetryPolicy, RetrySafety, retry_safety
from ._upload import UploadedFile
from ._watch import StatisticChange, Watch
from ._webhook import parse_webhook

__all__ = [
    "ALL_CONTACTS",
    "DOCUMENTED_RATE_LIMITS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AllContacts",
    "AsyncStatusClient",
    "Audience",
    "AudienceError",
    "AuthenticationError",
    "BadRequestError",
    "CheckedLink",
    "ClientClosedError",
    "Clock",
    "Contact",
    "ExponentialBackoff",
    "Font",
    "GreenStatusError",
    "GreenStatusWarning",
    "InProcessRateLimiter",
    "IncomingStatus",
    "IncomingStatusEvent",
    "InstanceSettings",
    "InstanceState",
    "InvalidStatusError",
    "LinkCheckError",
    "MediaError",
    "MediaStatus",
    "NoRetry",
    "NotFoundError",
    "Notification",
    "NotificationError",
    "NotificationQueue",
    "OnResult",
    "OnRetry",
    "OutgoingStatus",
    "OutgoingStatusEvent",
    "PermissionDeniedError",
    "QuotaExceededError",
    "QuotaStatus",
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "RatePlace",
    "RateRequest",
    "Readiness",
    "ReadinessProblem",
    "RedisRateLimiter",
    "ResponseValidationError",
    "RetryPolicy",
    "RetrySafety",
    "SendResult",
    "SentStatus",
    "ServerError",
    "StatisticChange",
    "Status",
    "StatusEvent",
    "StatusRecipient",
    "SystemClock",
    "TextStatus",
    "UnexpectedError",
    "UploadedFile",
    "VoiceStatus",
    "Watch",
    "WebhookAuthError",
    "create_http_client",
    "normalize_chat_id",
    "otel_aiohttp_request_hook",
    "otel_request_hook",
    "parse_notification",
    "parse_webhook",
    "retry_safety",
    "scrub_sentry_breadcrumb",
    "scrub_sentry_event",
]
