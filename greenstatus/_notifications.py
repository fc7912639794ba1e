"""What GREEN-API's notifications say about statuses.

GREEN-API has no notification type for statuses. Its notification bodies (the
``body`` of a webhook POST, the same as that of a ``receiveNotification`` item)
carry them by accident, in two ways:

- a contact's new status arrives as an ``incomingMessageReceived`` whose
  ``senderData.chatId`` is ``status@broadcast``: an
  [`IncomingStatusEvent`][greenstatus.IncomingStatusEvent];
- what became of a status the account sent may arrive as an
  ``outgoingMessageStatus`` (sent, delivered, read, failed...), which GREEN-API
  documents for messages and does not mark as being about a status: only the
  caller knows which ``idMessage`` values are its statuses, and passes them as
  ``status_ids`` to get an [`OutgoingStatusEvent`][greenstatus.OutgoingStatusEvent].

Every other body is not about statuses and reads as ``None``, whatever its type,
known or yet to come. A body about a status that lacks what the event needs
raises [`NotificationError`][greenstatus.NotificationError], naming the field.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TypeAlias

import attrs

from ._exceptions import NotificationError
from ._numbers import whole_number
from ._raw import RawItem, raw_field

__all__ = [
    "STATUS_BROADCAST",
    "IncomingStatusEvent",
    "Notification",
    "OutgoingStatusEvent",
    "StatusEvent",
    "parse_notification",
    "parse_queue_item",
    "receipt_id_of",
]

STATUS_BROADCAST = "status@broadcast"
"""The ``senderData.chatId`` of a contact's status in an ``incomingMessageReceived``."""

_INCOMING = "incomingMessageReceived"
_OUTGOING_STATUS = "outgoingMessageStatus"


@attrs.frozen(kw_only=True)
class IncomingStatusEvent:
    """A status a contact posted, as an ``incomingMessageReceived`` notification
    from ``status@broadcast`` carries it.

    ``sender`` is the chat id of the contact who posted it; ``type_message`` is
    GREEN-API's ``messageData.typeMessage`` (``textMessage``,
    ``extendedTextMessage``, ``imageMessage``, ``videoMessage``,
    ``audioMessage``...). A text status has ``text`` (and, when GREEN-API gives
    them, ``background_color`` and ``font``); a media status has the
    ``fileMessageData`` details (``download_url``, ``caption``...). Details of
    another type than documented read as ``None``; ``raw`` keeps the whole body.
    """

    id_message: str
    timestamp: int
    sender: str
    type_message: str
    id_instance: str | None = None
    """The instance's ``idInstance``, as a string of digits."""
    sender_name: str | None = None
    sender_contact_name: str | None = None
    text: str | None = None
    background_color: str | None = None
    font: str | None = None
    caption: str | None = None
    download_url: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    jpeg_thumbnail: str | None = None
    raw: Mapping[str, object] = raw_field()


@attrs.frozen(kw_only=True)
class OutgoingStatusEvent:
    """What became of a status the account sent, as an ``outgoingMessageStatus``
    notification carries it: only for an ``idMessage`` given in ``status_ids``.

    ``status`` is kept as GREEN-API sent it: ``sent``, ``delivered``, ``read``,
    ``failed``, ``noAccount``, ``notInGroup``, ``yellowCard`` (or one it adds
    later). GREEN-API documents this notification for messages; whether and
    when it comes for statuses it does not say, so getStatusStatistic stays
    the reference for who saw a status. ``description`` is GREEN-API's reason
    for a ``failed``, when it gives one.
    """

    id_message: str
    status: str
    timestamp: int
    chat_id: str | None = None
    send_by_api: bool | None = None
    id_instance: str | None = None
    """The instance's ``idInstance``, as a string of digits."""
    description: str | None = None
    raw: Mapping[str, object] = raw_field()


StatusEvent: TypeAlias = IncomingStatusEvent | OutgoingStatusEvent
"""What a notification says about statuses: one of the two events."""


@attrs.frozen(kw_only=True)
class Notification:
    """One item of GREEN-API's notification queue (``receiveNotification``).

    ``receipt_id`` is what ``deleteNotification`` takes once the item is
    handled; ``body`` is the notification, read-only, whatever its type;
    ``status_event`` is what it says about statuses, or ``None``. ``problem``
    is set, and ``status_event`` is ``None``, when the body is about statuses
    but malformed: the item still comes out, so the queue moves past it.
    """

    receipt_id: int
    type_webhook: str
    body: Mapping[str, object] = attrs.field(converter=RawItem, hash=False)
    status_event: StatusEvent | None = None
    problem: NotificationError | None = attrs.field(default=None, eq=False)


class _Reader:
    """Typed reads from one JSON object, with errors naming the dotted path."""

    def __init__(self, item: Mapping[str, object], path: str) -> None:
        self.item = item
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, value: object, expected: str) -> NotificationError:
        shown = "missing" if key not in self.item else describe(value)
        return NotificationError(self._where(key), f"is {shown}, expected {expected}")

    def required_str(self, key: str) -> str:
        value = self.item.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(key, value, "a non-empty string")
        return value

    def type_webhook(self) -> str:
        """Any string: a type greenstatus does not know is no error."""
        value = self.item.get("typeWebhook")
        if not isinstance(value, str):
            raise self.fail("typeWebhook", value, "a string")
        return value

    def required_int(self, key: str) -> int:
        value = self.item.get(key)
        number = None if isinstance(value, float) else whole_number(value)
        if number is None:
            raise self.fail(key, value, "an integer")
        return number

    def required_object(self, key: str) -> _Reader:
        value = self.item.get(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, value, "an object")
        return _Reader(value, self._where(key))

    def optional_object(self, key: str) -> _Reader | None:
        value = self.item.get(key)
        return _Reader(value, self._where(key)) if isinstance(value, Mapping) else None

    def optional_str(self, key: str) -> str | None:
        value = self.item.get(key)
        return value if isinstance(value, str) else None

    def optional_bool(self, key: str) -> bool | None:
        value = self.item.get(key)
        return value if isinstance(value, bool) else None

    def id_instance(self) -> str | None:
        """``instanceData.idInstance`` (a JSON number) as digits; absent is ``None``."""
        if self.item.get("instanceData") is None:
            return None
        instance = self.required_object("instanceData")
        value = instance.item.get("idInstance")
        if value is None:
            return None
        number = None if isinstance(value, float) else whole_number(value)
        if number is None or number < 0:
            raise instance.fail("idInstance", value, "a whole number")
        return str(number)


def describe(value: object) -> str:
    """What a JSON value is, for a message: numbers shown, text never (a
    body's strings may be what people wrote)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):  # NaN, infinities and huge ints unshown
        return f"the number {value!r}" if abs(value) < 1e20 else "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def parse_notification(
    body: Mapping[str, object], *, status_ids: Container[str] = ()
) -> StatusEvent | None:
    """What one notification body says about statuses, or ``None``.

    ``body`` is a webhook POST's JSON, or the ``body`` of a ``receiveNotification``
    item. ``status_ids`` holds the ``idMessage`` of the statuses the caller sent
    (a set, say): an ``outgoingMessageStatus`` about one of them is an
    ``OutgoingStatusEvent``, about anything else ``None``.

    Raises ``NotificationError`` when the body is not an object, has no string
    ``typeWebhook``, or is about a status and lacks a field the event needs.
    A body of any other type (messages, calls, instance states, types GREEN-API
    adds later) is ``None`` and is not looked into.
    """
    return _parse(body, status_ids, "")


def check_status_ids(status_ids: object) -> Container[str]:
    """``status_ids`` if it is a collection of ids (``in`` works on it): not
    one string, whose ``in`` would match any part of it."""
    if isinstance(status_ids, (str, bytes)):
        raise TypeError("status_ids is one string: pass a collection of idMessage values")
    if not isinstance(status_ids, Container):
        raise TypeError(
            f"status_ids is {type(status_ids).__name__}: pass a collection of idMessage values"
        )
    return status_ids


def _parse(body: object, status_ids: Container[str], path: str) -> StatusEvent | None:
    check_status_ids(status_ids)
    if not isinstance(body, Mapping):
        raise NotificationError(path or "body", f"is {describe(body)}, expected an object")
    reader = _Reader(body, path)
    type_webhook = reader.type_webhook()
    if type_webhook == _INCOMING:
        return _incoming(reader)
    if type_webhook == _OUTGOING_STATUS:
        return _outgoing(reader, status_ids)
    return None


def _incoming(reader: _Reader) -> IncomingStatusEvent | None:
    sender_data = reader.item.get("senderData")
    if not isinstance(sender_data, Mapping) or sender_data.get("chatId") != STATUS_BROADCAST:
        return None  # from a chat, or not saying: not a contact's status
    message = reader.required_object("messageData")
    type_message = message.required_str("typeMessage")
    plain = message.optional_object("textMessageData")
    extended = message.optional_object("extendedTextMessageData")
    files = message.optional_object("fileMessageData")
    text = plain.optional_str("textMessage") if plain is not None else None
    if text is None and extended is not None:
        text = extended.optional_str("text")

    def detail(part: _Reader | None, key: str) -> str | None:
        return part.optional_str(key) if part is not None else None

    sender = reader.required_object("senderData")
    return IncomingStatusEvent(
        id_message=reader.required_str("idMessage"),
        timestamp=reader.required_int("timestamp"),
        sender=sender.required_str("sender"),
        type_message=type_message,
        id_instance=reader.id_instance(),
        sender_name=sender.optional_str("senderName"),
        sender_contact_name=sender.optional_str("senderContactName"),
        text=text,
        background_color=detail(extended, "backgroundColor"),
        font=detail(extended, "font"),
        caption=detail(files, "caption"),
        download_url=detail(files, "downloadUrl"),
        file_name=detail(files, "fileName"),
        mime_type=detail(files, "mimeType"),
        jpeg_thumbnail=detail(files, "jpegThumbnail"),
        raw=reader.item,
    )


def _outgoing(reader: _Reader, status_ids: Container[str]) -> OutgoingStatusEvent | None:
    id_message = reader.item.get("idMessage")
    if not isinstance(id_message, str) or id_message not in status_ids:
        return None  # not one of the caller's statuses, or not saying which
    return OutgoingStatusEvent(
        id_message=id_message,
        status=reader.required_str("status"),
        timestamp=reader.required_int("timestamp"),
        chat_id=reader.optional_str("chatId"),
        send_by_api=reader.optional_bool("sendByApi"),
        id_instance=reader.id_instance(),
        description=reader.optional_str("description"),
        raw=reader.item,
    )


def receipt_id_of(value: object) -> int | None:
    """A queue item's ``receiptId`` if it is one: a positive whole number (a
    JSON integer or a string of digits, never a float or a bool) that fits in
    64 bits; else ``None``."""
    receipt_id = None if isinstance(value, float) else whole_number(value)
    return receipt_id if receipt_id is not None and 0 < receipt_id < 2**63 else None


def parse_queue_item(item: object, *, status_ids: Container[str] = ()) -> Notification:
    """One ``receiveNotification`` answer that is not ``null``:
    ``{"receiptId": 1234567, "body": {...}}``.

    Raises ``NotificationError`` when ``receiptId`` is not a positive integer,
    ``body`` is not an object, or the body is malformed as
    [`parse_notification`][greenstatus.parse_notification] says (its fields
    named under ``body.``, e.g. ``body.idMessage``).
    """
    if not isinstance(item, Mapping):
        raise NotificationError("item", f"is {describe(item)}, expected an object")
    reader = _Reader(item, "")
    receipt = item.get("receiptId")
    receipt_id = receipt_id_of(receipt)
    if receipt_id is None:
        raise reader.fail("receiptId", receipt, "a positive integer")
    body = reader.required_object("body")
    event = _parse(body.item, status_ids, "body")
    return Notification(
        receipt_id=receipt_id,
        type_webhook=body.type_webhook(),
        body=body.item,
        status_event=event,
    )
