"""Typed, frozen results, and the parsers that build them from GREEN-API's JSON.

Parsers raise ``ValueError`` describing what is off; the client turns that into a
``ResponseValidationError`` that names the method. Fields GREEN-API adds later are
never an error: every getter result keeps the item it came from in ``raw``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import attrs

from ._exceptions import GreenStatusError
from ._numbers import whole_number
from ._raw import RawItem as RawItem  # results pickled before it moved name it here
from ._raw import raw_field
from ._requests import Status

__all__ = [
    "IncomingStatus",
    "OutgoingStatus",
    "SendResult",
    "SentStatus",
    "StatusRecipient",
    "parse_incoming",
    "parse_outgoing",
    "parse_sent",
    "parse_statistic",
]


@attrs.frozen
class SentStatus:
    """A status GREEN-API accepted into its send queue."""

    id_message: str


@attrs.frozen
class SendResult:
    """The outcome of one status of [`send_all`][greenstatus.AsyncStatusClient.send_all].

    Exactly one of ``id_message`` and ``error`` is set.
    """

    request: Status
    id_message: str | None = None
    error: GreenStatusError | None = None

    @property
    def ok(self) -> bool:
        """The status was accepted (``id_message`` is set)."""
        return self.error is None


@attrs.frozen(kw_only=True)
class StatusRecipient:
    """One recipient of a status and how far it got (getStatusStatistic).

    GREEN-API shows ``delivered`` for statuses sent through the API, keeps
    statistics 30 days, and records them only while the instance's
    ``outgoingWebhook`` setting is on (otherwise the list is empty). The
    ``timestamp`` is the time of the last action (GREEN-API's Russian page)
    or of acceptance (its English page).
    """

    participant: str
    status: str
    """``"sent"``, ``"delivered"`` or ``"read"`` (kept as sent, should more appear)."""
    timestamp: int
    raw: Mapping[str, object] = raw_field()


@attrs.frozen(kw_only=True)
class IncomingStatus:
    """A status one of the account's contacts posted (getIncomingStatuses).

    GREEN-API returns only contacts' statuses, and keeps them 30 days;
    ``timestamp`` is when it accepted the status.
    """

    id_message: str
    timestamp: int
    type_message: str
    type: str = "incoming"
    chat_id: str | None = None
    sender_id: str | None = None
    sender_name: str | None = None
    sender_contact_name: str | None = None
    text_message: str | None = None
    background_color: str | None = None
    """A text status's background, ``#RRGGBB``."""
    font: str | None = None
    """A text status's font, as GREEN-API names it (see [`Font`][greenstatus.Font])."""
    download_url: str | None = None
    caption: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    jpeg_thumbnail: str | None = None
    raw: Mapping[str, object] = raw_field()


@attrs.frozen(kw_only=True)
class OutgoingStatus:
    """A status the account posted (getOutgoingStatuses).

    ``timestamp`` is the time of the last action on the status (sent,
    delivered, read), not the time it was sent.
    """

    id_message: str
    timestamp: int
    type_message: str
    type: str = "outgoing"
    chat_id: str | None = None
    status_message: str | None = None
    send_by_api: bool | None = None
    participants: tuple[str, ...] = ()
    """Whom it was sent to; documented as empty when it went to all contacts,
    but reported empty even when participants were given (green-api/issues#1129,
    open): the statistic (getStatusStatistic) says who got a status."""
    text_message: str | None = None
    background_color: str | None = None
    """A text status's background, ``#RRGGBB``."""
    font: str | None = None
    """A text status's font, as GREEN-API names it (see [`Font`][greenstatus.Font])."""
    download_url: str | None = None
    caption: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    jpeg_thumbnail: str | None = None
    raw: Mapping[str, object] = raw_field()


class _Content(TypedDict):
    text_message: str | None
    background_color: str | None
    font: str | None
    download_url: str | None
    caption: str | None
    file_name: str | None
    mime_type: str | None
    jpeg_thumbnail: str | None


class _Item:
    """Typed reads from one JSON object, with errors that say where."""

    def __init__(self, item: object, where: str) -> None:
        if not isinstance(item, dict):
            raise ValueError(f"{where} is {type(item).__name__}, expected an object")
        self.item: dict[str, object] = item
        self.where = where

    def required_str(self, key: str) -> str:
        value = self.item.get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{self.where}.{key} is {value!r}, expected a non-empty string")
        return value

    def str_or_strs(self, key: str) -> list[str]:
        """A non-empty string, or a non-empty array of them."""
        value = self.item.get(key)
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return list(value)
        return [self.required_str(key)]

    def required_int(self, key: str) -> int:
        value = self.item.get(key)
        number = whole_number(value) if not isinstance(value, float) else None
        if number is None:
            raise ValueError(f"{self.where}.{key} is {value!r}, expected an integer")
        return number

    def optional_str(self, key: str) -> str | None:
        value = self.item.get(key)
        return value if isinstance(value, str) else None

    def optional_bool(self, key: str) -> bool | None:
        value = self.item.get(key)
        return value if isinstance(value, bool) else None

    def media(self, key: str) -> str | None:
        """A media detail, top-level or inside ``fileMessageData``."""
        found = self.optional_str(key)
        nested = self.item.get("fileMessageData")
        if found is None and isinstance(nested, dict):
            value = nested.get(key)
            found = value if isinstance(value, str) else None
        return found

    def content(self) -> _Content:
        """What the status shows: its text, or its media file's details."""
        return _Content(
            text_message=self._text_message(),
            background_color=self._extended("backgroundColor"),
            font=self._extended("font"),
            download_url=self.media("downloadUrl"),
            caption=self.media("caption"),
            file_name=self.media("fileName"),
            mime_type=self.media("mimeType"),
            jpeg_thumbnail=self.media("jpegThumbnail"),
        )

    def _extended(self, key: str) -> str | None:
        extended = self.item.get("extendedTextMessage")
        value = extended.get(key) if isinstance(extended, dict) else None
        return value if isinstance(value, str) else None

    def participants(self) -> tuple[str, ...]:
        """Top-level for media, inside ``extendedTextMessage`` for text."""
        found = self.item.get("participants")
        extended = self.item.get("extendedTextMessage")
        if not isinstance(found, list) and isinstance(extended, dict):
            found = extended.get("participants")
        if not isinstance(found, list):
            return ()
        return tuple(item for item in found if isinstance(item, str))

    def _text_message(self) -> str | None:
        found = self.optional_str("textMessage")
        extended = self.item.get("extendedTextMessage")
        if found is None and isinstance(extended, dict):
            value = extended.get("text")
            found = value if isinstance(value, str) else None
        return found


def _array(body: object, method: str) -> list[object]:
    if not isinstance(body, list):
        raise ValueError(f"{method} answered {type(body).__name__}, expected an array")
    return body


def parse_sent(body: object) -> SentStatus:
    """``{"idMessage": "..."}`` of the three sends."""
    return SentStatus(_Item(body, "answer").required_str("idMessage"))


def parse_statistic(body: object) -> list[StatusRecipient]:
    """The array of recipients of getStatusStatistic.

    GREEN-API's table types ``participant`` as an array, its example as a
    string: an array gives one recipient per chat id in it.
    """
    recipients: list[StatusRecipient] = []
    for index, entry in enumerate(_array(body, "getStatusStatistic")):
        item = _Item(entry, f"[{index}]")
        status = item.required_str("status")
        timestamp = item.required_int("timestamp")
        recipients.extend(
            StatusRecipient(participant=chat_id, status=status, timestamp=timestamp, raw=item.item)
            for chat_id in item.str_or_strs("participant")
        )
    return recipients


def parse_incoming(body: object) -> list[IncomingStatus]:
    """The array of getIncomingStatuses."""
    statuses = []
    for index, entry in enumerate(_array(body, "getIncomingStatuses")):
        item = _Item(entry, f"[{index}]")
        statuses.append(
            IncomingStatus(
                id_message=item.required_str("idMessage"),
                timestamp=item.required_int("timestamp"),
                type_message=item.required_str("typeMessage"),
                type=item.optional_str("type") or "incoming",
                chat_id=item.optional_str("chatId"),
                sender_id=item.optional_str("senderId"),
                sender_name=item.optional_str("senderName"),
                sender_contact_name=item.optional_str("senderContactName"),
                **item.content(),
                raw=item.item,
            )
        )
    return statuses


def parse_outgoing(body: object) -> list[OutgoingStatus]:
    """The array of getOutgoingStatuses."""
    statuses = []
    for index, entry in enumerate(_array(body, "getOutgoingStatuses")):
        item = _Item(entry, f"[{index}]")
        statuses.append(
            OutgoingStatus(
                id_message=item.required_str("idMessage"),
                timestamp=item.required_int("timestamp"),
                type_message=item.required_str("typeMessage"),
                type=item.optional_str("type") or "outgoing",
                chat_id=item.optional_str("chatId"),
                status_message=item.optional_str("statusMessage"),
                send_by_api=item.optional_bool("sendByApi"),
                participants=item.participants(),
                **item.content(),
                raw=item.item,
            )
        )
    return statuses
