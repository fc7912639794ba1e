"""The GREEN-API methods greenstatus calls, described once."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = [
    "ALL_METHODS",
    "DEFAULT_INCOMING_INTERVAL",
    "DEFAULT_STATISTIC_INTERVAL",
    "DELETE_NOTIFICATION",
    "DELETE_STATUS",
    "DOCUMENTED_RATE_LIMITS",
    "GET_CONTACTS",
    "GET_INCOMING_STATUSES",
    "GET_OUTGOING_STATUSES",
    "GET_SETTINGS",
    "GET_STATE_INSTANCE",
    "GET_STATUS_STATISTIC",
    "RECEIVE_NOTIFICATION",
    "SEND_MEDIA_STATUS",
    "SEND_TEXT_STATUS",
    "SEND_VOICE_STATUS",
    "UPLOAD_FILE",
    "ApiMethod",
    "Host",
]


class Host(enum.Enum):
    """Which of an instance's two hosts serves a method."""

    API = "api"
    MEDIA = "media"


@attrs.frozen
class ApiMethod:
    """One GREEN-API method: its name in the URL, its HTTP verb, its host and the
    number of requests per second GREEN-API allows it for one instance."""

    name: str
    http_method: str
    rate_per_second: int | None
    host: Host = Host.API
    answer_max: int = 1024 * 1024
    """The most bytes of an answer greenstatus reads (docs/client.md derives it)."""

    @property
    def idempotent(self) -> bool:
        """A repeated call changes nothing more on the server: the getters, and
        deleting a notification (gone once, gone twice)."""
        return self.http_method in ("GET", "DELETE")


SEND_TEXT_STATUS = ApiMethod("sendTextStatus", "POST", 5)
SEND_VOICE_STATUS = ApiMethod("sendVoiceStatus", "POST", 5)
SEND_MEDIA_STATUS = ApiMethod("sendMediaStatus", "POST", 5)
DELETE_STATUS = ApiMethod("deleteStatus", "POST", 10)
# The getters' answers grow with the account: a day of statuses, each item a
# couple of KiB of fields and a base64 jpegThumbnail of up to ~30 KiB, from the
# 1024 contacts a status reaches posting a status or two: about 64 MiB.
_LIST_ANSWER_MAX = 64 * 1024 * 1024
GET_STATUS_STATISTIC = ApiMethod("getStatusStatistic", "GET", 1, answer_max=_LIST_ANSWER_MAX)
GET_INCOMING_STATUSES = ApiMethod("getIncomingStatuses", "GET", 1, answer_max=_LIST_ANSWER_MAX)
GET_OUTGOING_STATUSES = ApiMethod("getOutgoingStatuses", "GET", 1, answer_max=_LIST_ANSWER_MAX)
DEFAULT_STATISTIC_INTERVAL = 5.0
"""Seconds between two polls of one status's statistic (watchers)."""
DEFAULT_INCOMING_INTERVAL = 10.0
"""Seconds between two polls of contacts' statuses (watchers)."""
# No documented rate: uploads are limited by their size (100 MB) instead.
UPLOAD_FILE = ApiMethod("uploadFile", "POST", None, Host.MEDIA)
# What a sender needs of its instance: not status methods, 1 request/s each.
GET_STATE_INSTANCE = ApiMethod("getStateInstance", "GET", 1)
GET_SETTINGS = ApiMethod("getSettings", "GET", 1)
# Who a status can reach: the contact list, a couple of hundred bytes a contact.
GET_CONTACTS = ApiMethod("getContacts", "GET", 1, answer_max=16 * 1024 * 1024)

STATUS_METHODS = (
    SEND_TEXT_STATUS,
    SEND_VOICE_STATUS,
    SEND_MEDIA_STATUS,
    DELETE_STATUS,
    GET_STATUS_STATISTIC,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
)

INSTANCE_METHODS = (GET_STATE_INSTANCE, GET_SETTINGS, GET_CONTACTS)

# The notification queue: the oldest item (or null after receiveTimeout
# seconds, 5 to 60), and deleting one by its receiptId, which follows the
# token in the URL. An answer is one webhook body: up to the largest message.
RECEIVE_NOTIFICATION = ApiMethod("receiveNotification", "GET", 100, answer_max=16 * 1024 * 1024)
DELETE_NOTIFICATION = ApiMethod("deleteNotification", "DELETE", 100)
NOTIFICATION_METHODS = (RECEIVE_NOTIFICATION, DELETE_NOTIFICATION)

ALL_METHODS = (*STATUS_METHODS, *INSTANCE_METHODS, *NOTIFICATION_METHODS, UPLOAD_FILE)

DOCUMENTED_RATE_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        method.name: method.rate_per_second
        for method in ALL_METHODS
        if method.rate_per_second is not None
    }
)
"""Requests per second GREEN-API allows each method greenstatus calls, per instance:

| method | requests per second |
|---|---|
| sendTextStatus | 5 |
| sendVoiceStatus | 5 |
| sendMediaStatus | 5 |
| deleteStatus | 10 |
| getStatusStatistic | 1 |
| getIncomingStatuses | 1 |
| getOutgoingStatuses | 1 |
| getStateInstance | 1 |
| getSettings | 1 |
| getContacts | 1 |
| receiveNotification | 100 |
| deleteNotification | 100 |

uploadFile has no documented limit. The mapping is read-only.
"""
