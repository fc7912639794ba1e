"""greenstatus: an async client for GREEN-API's WhatsApp status (Stories) methods.

Everything public is importable from here; the underscore modules are private.
"""

from __future__ import annotations

from ._client import AsyncStatusClient
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    GreenStatusError,
    InvalidStatusError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    QuotaStatus,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from ._requests import Font, MediaStatus, Status, TextStatus, VoiceStatus, normalize_chat_id
from ._results import IncomingStatus, OutgoingStatus, SendResult, SentStatus, StatusRecipient
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncStatusClient",
    "AuthenticationError",
    "BadRequestError",
    "Font",
    "GreenStatusError",
    "IncomingStatus",
    "InvalidStatusError",
    "MediaStatus",
    "NotFoundError",
    "OutgoingStatus",
    "PermissionDeniedError",
    "QuotaExceededError",
    "QuotaStatus",
    "RateLimitError",
    "ResponseValidationError",
    "SendResult",
    "SentStatus",
    "ServerError",
    "Status",
    "StatusRecipient",
    "TextStatus",
    "VoiceStatus",
    "__version__",
    "normalize_chat_id",
]

# Tracebacks and reprs read ``greenstatus.RateLimitError``, not the private module.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) or callable(_obj):
        _obj.__module__ = __name__
del _name, _obj
