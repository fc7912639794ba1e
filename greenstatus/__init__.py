"""greenstatus: an async client for GREEN-API's WhatsApp status (Stories) methods.

Everything public is importable from here; the underscore modules are private.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from ._redaction import install_log_filter
from ._version import __version__

if TYPE_CHECKING:
    from ._api import *  # noqa: F403 (the names below, for type checkers)

# A library leaves output to the application: with no logging configured,
# greenstatus's records go nowhere (not to logging's last-resort stderr handler).
logging.getLogger("greenstatus").addHandler(logging.NullHandler())

# httpx logs every request's URL, and GREEN-API's URLs hold the token: from the
# moment greenstatus is imported, its filter masks them.
install_log_filter()

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
    "__version__",
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


def _publish() -> None:
    """Load every public name (``_api.py``) at once: each then reads as
    ``greenstatus.<name>`` in reprs, tracebacks and pickles, as if imported
    eagerly. A name already set here (assigned by a user) is kept."""
    from . import _api

    namespace = globals()
    for public in _LAZY:
        obj = getattr(_api, public)
        # issubclass(type(...), type): on 3.10 a generic alias passes
        # isinstance(..., type).
        if issubclass(type(obj), type) or inspect.isfunction(obj):
            obj.__module__ = __name__
        namespace.setdefault(public, obj)


# At run time only: type checkers see the names themselves (above), and a
# misspelled one stays an error for them.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """The public names load on first use (PEP 562), all at once."""
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        _publish()
        return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


_LAZY = frozenset(__all__) - {"__version__"}
