"""The notification methods of ``AsyncStatusClient``: GREEN-API's queue of
notifications, read as an async iterator (``_queue``)."""

from __future__ import annotations

from collections.abc import Container

from ._client_parts import ClientParts
from ._methods import DELETE_NOTIFICATION
from ._notifications import check_status_ids
from ._queue import RECEIVE_TIMEOUT_MAX, RECEIVE_TIMEOUT_MIN, NotificationQueue, parse_deleted
from ._retry import RetryPolicy
from ._validators import whole_number_at_least

__all__ = ["NotificationMethods"]


class NotificationMethods(ClientParts):
    def receive_notifications(
        self,
        *,
        delete: bool = True,
        receive_timeout: int = 5,
        status_ids: Container[str] = (),
    ) -> NotificationQueue:
        """GREEN-API's notification queue: an async iterator of
        [`Notification`][greenstatus.Notification]s, oldest first.

        Each item comes from receiveNotification, which waits up to
        ``receive_timeout`` seconds (5 to 60) for one. With ``delete=True`` an
        item is deleted (deleteNotification) when the consumer asks for the
        next one: an exception in the consumer, or leaving the loop, leaves it
        in the queue to be received again (at least once). With
        ``delete=False``, delete each yourself (``delete_notification``), or
        the oldest comes back again and again. ``status_event`` says what an
        item tells of statuses; ``status_ids`` are the ids of your statuses,
        which GREEN-API does not mark in ``outgoingMessageStatus``.

        The queue gives nothing while the instance has a webhook URL set
        (GREEN-API sends to one or the other); it keeps items 24 hours.
        """
        if not isinstance(delete, bool):
            raise TypeError(f"delete must be True or False, got {delete!r}")
        whole_number_at_least(
            "receive_timeout",
            receive_timeout,
            RECEIVE_TIMEOUT_MIN,
            expected=f"a whole number of seconds from {RECEIVE_TIMEOUT_MIN} to "
            f"{RECEIVE_TIMEOUT_MAX}",
        )
        if receive_timeout > RECEIVE_TIMEOUT_MAX:
            raise ValueError(
                f"receive_timeout must be a whole number of seconds from {RECEIVE_TIMEOUT_MIN} "
                f"to {RECEIVE_TIMEOUT_MAX}, got {receive_timeout!r}"
            )
        check_status_ids(status_ids)
        self._session.check_open()
        return NotificationQueue(
            self._pipeline,
            delete=delete,
            receive_timeout=receive_timeout,
            status_ids=status_ids,
        )

    async def delete_notification(
        self, receipt_id: int, *, retry: RetryPolicy | None = None
    ) -> bool:
        """Delete one item of the notification queue by its ``receipt_id``
        (deleteNotification); ``False`` when it was not there."""
        checked = whole_number_at_least(
            "receipt_id", receipt_id, 1, expected="a positive receipt id"
        )
        return await self._pipeline.call(
            DELETE_NOTIFICATION, parse_deleted, retry, path=str(checked)
        )
