"""FakeGreenAPI's events, a part of its methods: recipients receiving and
reading its statuses, contacts posting theirs, the notification queue and the
webhooks that carry it. ``_fake.py`` builds the fake of this and its other
parts; everything here happens on the fake's ``clock``, under its lock."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Literal

import httpx

from ._events import StatusEvents
from ._model import StatusModel
from ._notifications import FakeNotification, webhook_url
from ._webhooks import WebhookDelivery, post_webhook

__all__ = ["FakeEvents"]

# GREEN-API waits this long for a webhook's answer.
_WEBHOOK_TIMEOUT = 180.0


class FakeEvents:
    """What happens to the fake's account between requests (a part of
    ``FakeGreenAPI``, which sets these attributes)."""

    _lock: threading.Lock
    _model: StatusModel
    _events: StatusEvents

    # -- recipients' states -----------------------------------------------------------

    def deliver(self, id_message: str, participant: str | None = None) -> None:
        """The status reached ``participant``'s phone now (``None``: every
        recipient): their row of getStatusStatistic becomes ``delivered``,
        stamped with the fake's clock, and an ``outgoingMessageStatus`` is
        queued. A recipient already further on stays where they are.

        Raises ``KeyError`` for an idMessage not in ``statuses``, and
        ``ValueError`` for a participant the status did not reach (a ``@c.us``
        chat id matches by its number alone).
        """
        with self._lock:
            self._events.catch_up()
            self._events.move(id_message, participant, "delivered")

    def read(self, id_message: str, participant: str | None = None) -> None:
        """``participant`` (``None``: every recipient) saw the status now: as
        ``deliver``, to ``read``. An undelivered recipient goes straight to
        ``read``."""
        with self._lock:
            self._events.catch_up()
            self._events.move(id_message, participant, "read")

    def schedule(
        self,
        id_message: str,
        participant: str | None,
        status: Literal["delivered", "read"],
        *,
        at: float | None = None,
        after: float | None = None,
    ) -> None:
        """Move ``participant`` (``None``: every recipient) to ``status`` when
        the fake's clock reaches ``at``, or ``after`` seconds from now (give
        one of them).

        The move happens, stamped with its own time, the first time the fake is
        asked anything (a request, or ``notifications``, ``deliver``, ...) at
        or past that time; moves due together happen in time order, ties in
        the order scheduled. A time already past applies at once. The status
        and participant are checked now, as by ``deliver``; a move of a status
        deleted meanwhile is dropped.
        """
        with self._lock:
            self._events.catch_up()
            self._events.schedule(id_message, participant, status, at=at, after=after)

    # -- contacts' statuses -----------------------------------------------------------

    def post_incoming(
        self,
        sender: str,
        *,
        text: str | None = None,
        type_message: str | None = None,
        caption: str | None = None,
        download_url: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        jpeg_thumbnail: str | None = None,
        sender_name: str | None = None,
        sender_contact_name: str | None = None,
        background_color: str | None = None,
        font: str | None = None,
        timestamp: int | None = None,
    ) -> str:
        """Contact ``sender`` (a chat id) posts a status; returns its idMessage.

        Give ``text`` for a text status (``typeMessage`` extendedTextMessage,
        with ``background_color`` and ``font``), or ``download_url`` for a
        picture, video or voice: its ``typeMessage`` follows ``mime_type``,
        else the extension of ``file_name`` (imageMessage when neither tells);
        ``file_name``, which GREEN-API generates, defaults to the idMessage with
        the type's extension. ``sender_name`` and ``sender_contact_name``
        default to the sender's ``name`` and ``contact_name`` in ``contacts``.
        ``timestamp`` defaults to the fake's clock.

        getIncomingStatuses lists it (it is appended to ``incoming``), and an
        ``incomingMessageReceived`` body from ``status@broadcast`` is queued
        for every instance the fake serves (with ``incomingWebhook`` "yes").
        """
        fields = {
            "text": text,
            "type_message": type_message,
            "caption": caption,
            "download_url": download_url,
            "file_name": file_name,
            "mime_type": mime_type,
            "jpeg_thumbnail": jpeg_thumbnail,
            "sender_name": sender_name,
            "sender_contact_name": sender_contact_name,
            "background_color": background_color,
            "font": font,
        }
        with self._lock:
            self._events.catch_up()
            return self._events.post_incoming(sender, fields, timestamp)

    # -- the notification queue -------------------------------------------------------

    def notify(self, body: Mapping[str, object], *, id_instance: str | None = None) -> int:
        """Queue a webhook body as it is (a copy; any ``typeWebhook``, e.g.
        ``stateInstanceChanged``) for ``id_instance`` (``None``: the fake's
        first instance); returns its receiptId."""
        with self._lock:
            self._events.catch_up()
            return self._events.notify(body, id_instance).receipt_id

    @property
    def notifications(self) -> list[FakeNotification]:
        """The notification queue, oldest first, items older than 24 hours
        dropped: a copy. Set it to change the queue (``fake.notifications =
        []`` empties it)."""
        with self._lock:
            self._events.catch_up()
            return self._model.queue.items

    @notifications.setter
    def notifications(self, value: Sequence[FakeNotification]) -> None:
        with self._lock:
            self._model.queue.items = value

    async def send_webhooks(
        self, *, http_client: httpx.AsyncClient | None = None
    ) -> list[WebhookDelivery]:
        """POST each queued item's body, oldest first, to
        ``settings["webhookUrl"]``, as GREEN-API does while it is set; returns
        what became of each. None is sent while it is empty.

        ``settings["webhookUrlToken"]``, when set, goes in the ``Authorization``
        header exactly as configured. An item answered 2xx leaves the queue; a
        failure or any other answer leaves it, to be sent again by a later call
        (GREEN-API's at-least-once). Requests go over real HTTP with a client
        of their own (GREEN-API's 180 s timeout), or through ``http_client``,
        e.g. one on ``httpx.ASGITransport(app=...)`` to call your app in
        process.
        """
        with self._lock:
            self._events.catch_up()
            url = webhook_url(self._model.settings)
            token = self._model.settings.get("webhookUrlToken")
            queued = self._model.queue.items if url else []
        if not queued:
            return []
        token = token if isinstance(token, str) else ""
        if http_client is not None:
            return await self._post_all(http_client, url, token, queued)
        async with httpx.AsyncClient(timeout=_WEBHOOK_TIMEOUT, trust_env=False) as http:
            return await self._post_all(http, url, token, queued)

    async def _post_all(
        self, http: httpx.AsyncClient, url: str, token: str, queued: list[FakeNotification]
    ) -> list[WebhookDelivery]:
        deliveries = []
        for notification in queued:
            delivery = await post_webhook(http, url, token, notification)
            if delivery.delivered:
                with self._lock:
                    self._model.queue.remove(notification.receipt_id)
            deliveries.append(delivery)
        return deliveries
