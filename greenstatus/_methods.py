"""The GREEN-API methods greenstatus calls, described once."""

from __future__ import annotations

import enum

import attrs

__all__ = [
    "DELETE_STATUS",
    "GET_INCOMING_STATUSES",
    "GET_OUTGOING_STATUSES",
    "GET_STATUS_STATISTIC",
    "SEND_MEDIA_STATUS",
    "SEND_TEXT_STATUS",
    "SEND_VOICE_STATUS",
    "STATUS_METHODS",
    "ApiMethod",
    "Host",
]


class Host(enum.Enum):
    """Which of an instance's two hosts serves a method."""

    API = "api"
    MEDIA = "media"


@attrs.frozen
class ApiMethod:
    """One GREEN-API method: its name in the URL and its HTTP verb."""

    name: str
    http_method: str
    host: Host = Host.API

    @property
    def idempotent(self) -> bool:
        """A repeated call changes nothing on the server (the getters)."""
        return self.http_method == "GET"


SEND_TEXT_STATUS = ApiMethod("sendTextStatus", "POST")
SEND_VOICE_STATUS = ApiMethod("sendVoiceStatus", "POST")
SEND_MEDIA_STATUS = ApiMethod("sendMediaStatus", "POST")
DELETE_STATUS = ApiMethod("deleteStatus", "POST")
GET_STATUS_STATISTIC = ApiMethod("getStatusStatistic", "GET")
GET_INCOMING_STATUSES = ApiMethod("getIncomingStatuses", "GET")
GET_OUTGOING_STATUSES = ApiMethod("getOutgoingStatuses", "GET")

STATUS_METHODS = (
    SEND_TEXT_STATUS,
    SEND_VOICE_STATUS,
    SEND_MEDIA_STATUS,
    DELETE_STATUS,
    GET_STATUS_STATISTIC,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
)
