"""The notification queue, as GREEN-API serves it to receiveNotification and
deleteNotification, and sends it to a webhook URL.

Each instance has its own queue. receiveNotification answers the oldest item
(FIFO) without removing it: an item is received again until deleteNotification
removes it by its receiptId. Items are kept 24 hours on the fake's clock.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping

import attrs

from ._replies import Refused

__all__ = [
    "KEPT_SECONDS",
    "FakeNotification",
    "NotificationQueue",
    "instance_data",
    "polling",
    "webhook_url",
]

KEPT_SECONDS = 24 * 60 * 60
"""How long an item waits in the queue before it is dropped."""

_TIMEOUT_RANGE = range(5, 61)


@attrs.frozen(kw_only=True)
class FakeNotification:
    """One item of the fake's notification queue: what receiveNotification
    answers as ``{"receiptId": receipt_id, "body": body}``."""

    receipt_id: int
    id_instance: str
    """The instance whose queue holds it."""
    body: Mapping[str, object]
    """The webhook body (``typeWebhook``, ``instanceData``, ``timestamp``, ...)."""
    queued_at: float
    """When it was queued, by the fake's clock; it is dropped 24 hours later."""


class NotificationQueue:
    """Every instance's queue, in the order items were queued. Not
    thread-safe: ``FakeGreenAPI`` calls it under its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._items: list[FakeNotification] = []
        self._receipts = itertools.count(1)

    def add(self, id_instance: str, body: object, *, at: float | None = None) -> FakeNotification:
        """Queue a copy of ``body`` (a JSON object) for ``id_instance``."""
        if not isinstance(body, Mapping):
            raise TypeError(f"a notification body is a JSON object, not {type(body).__name__}")
        try:
            copied = json.loads(json.dumps(body))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"a notification body must be JSON: {exc}") from None
        item = FakeNotification(
            receipt_id=next(self._receipts),
            id_instance=id_instance,
            body=copied,
            queued_at=self._clock() if at is None else at,
        )
        self._items.append(item)
        return item

    @property
    def items(self) -> list[FakeNotification]:
        """The items still kept, oldest first."""
        self._expire()
        return list(self._items)

    @items.setter
    def items(self, value: Iterable[FakeNotification]) -> None:
        items = list(value)
        for item in items:
            if not isinstance(item, FakeNotification):
                raise TypeError(f"notifications are FakeNotification, not {type(item).__name__}")
        self._items = items

    def remove(self, receipt_id: int, id_instance: str | None = None) -> bool:
        """Remove an item still kept (of ``id_instance``, if given); whether
        there was one."""
        self._expire()
        for item in self._items:
            if item.receipt_id == receipt_id and id_instance in (None, item.id_instance):
                self._items.remove(item)
                return True
        return False

    def receive(self, id_instance: str, query: Mapping[str, str], *, polling: bool) -> object:
        """receiveNotification's answer: the oldest item of the instance's
        queue, or ``None`` (JSON ``null``) when there is none, or while a
        webhook URL is set (not ``polling``)."""
        raw = query.get("receiveTimeout")
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) in _TIMEOUT_RANGE):
            raise Refused(
                400, "Validation failed. Details: 'receiveTimeout' must be an integer from 5 to 60"
            )
        if not polling:
            return None
        self._expire()
        for item in self._items:
            if item.id_instance == id_instance:
                return {"receiptId": item.receipt_id, "body": item.body}
        return None

    def delete(self, id_instance: str, receipt: str | None) -> dict[str, object]:
        """deleteNotification's answer: ``{"result": true}`` when the item
        was there, ``false`` when not; a receiptId that is no integer is 400."""
        if receipt is None or not (receipt.isascii() and receipt.isdigit()):
            raise Refused(400, "Validation failed. Details: 'receiptId' must be an integer")
        return {"result": self.remove(int(receipt), id_instance)}

    def _expire(self) -> None:
        since = self._clock() - KEPT_SECONDS
        self._items = [item for item in self._items if item.queued_at > since]


def polling(settings: Mapping[str, object]) -> bool:
    """Whether the queue is polled: not while a webhook URL is set (GREEN-API:
    receiving by HTTP API polling does not work while a webhook URL is set)."""
    return not webhook_url(settings)


def webhook_url(settings: Mapping[str, object]) -> str:
    """The webhook URL set, or ``""``."""
    url = settings.get("webhookUrl")
    return url if isinstance(url, str) and url.strip() else ""


def instance_data(id_instance: str, settings: Mapping[str, object]) -> dict[str, object]:
    """Every body's ``instanceData``: ``idInstance`` is a number on the wire."""
    wid = settings.get("wid")
    return {
        "idInstance": int(id_instance)
        if id_instance.isascii() and id_instance.isdigit()
        else id_instance,
        "wid": wid if isinstance(wid, str) else "",
        "typeInstance": "whatsapp",
    }
