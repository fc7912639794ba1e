"""GREEN-API's notification queue as an async iterator: receiveNotification,
then deleteNotification of each item once its consumer has taken it.

An item is deleted when the consumer asks for the next one, so an exception
in the consumer (or leaving the loop) leaves the last item in the queue, to
be received again: at least once, never lost. Each receive waits on GREEN-API's
side up to ``receive_timeout`` seconds for an item, so its HTTP read timeout
is longer than that.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Mapping

import attrs
import httpx

from ._exceptions import GreenStatusError, NotificationError
from ._methods import DELETE_NOTIFICATION, RECEIVE_NOTIFICATION
from ._notifications import Notification, parse_notification
from ._numbers import whole_number
from ._pipeline import Pipeline
from ._watch import Watch, passes

__all__ = ["RECEIVE_TIMEOUT_MAX", "RECEIVE_TIMEOUT_MIN", "NotificationQueue", "parse_deleted"]

logger = logging.getLogger("greenstatus")

RECEIVE_TIMEOUT_MIN = 5
RECEIVE_TIMEOUT_MAX = 60
# What a receive's read may take beyond GREEN-API's own wait for an item.
_READ_MARGIN = 15.0


def parse_deleted(body: object) -> bool:
    """deleteNotification's ``{"result": true}`` (``false``: it was not there)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("result"), bool):
        raise ValueError(f"deleteNotification answered {body!r}, expected {{'result': bool}}")
    return bool(body["result"])


class NotificationQueue(Watch[Notification]):
    """``receive_notifications``: each item of the queue, oldest first."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        delete: bool,
        receive_timeout: int,
        status_ids: Container[str],
    ) -> None:
        super().__init__()
        base = pipeline.timeout
        read = None if base.read is None else max(base.read, receive_timeout + _READ_MARGIN)
        deadline = pipeline.options.deadline
        options = attrs.evolve(
            pipeline.options,
            timeout=httpx.Timeout(
                connect=base.connect, read=read, write=base.write, pool=base.pool
            ),
            # A deadline shorter than GREEN-API's wait would end every receive.
            deadline=None if deadline is not None and deadline < read_or(read) else deadline,
        )
        self._pipeline = attrs.evolve(pipeline, options=options)
        self._delete = delete
        self._receive_timeout = receive_timeout
        self._status_ids = status_ids
        self._taken: int | None = None

    def __repr__(self) -> str:
        return f"<NotificationQueue delete={self._delete} receive_timeout={self._receive_timeout}>"

    async def __anext__(self) -> Notification:
        if self._done:
            raise StopAsyncIteration
        taken, self._taken = self._taken, None
        if taken is not None and self._delete:
            await self._acknowledge(taken)
        clock = self._pipeline.session.pool.clock
        params = {"receiveTimeout": str(self._receive_timeout)}
        while not self._done:
            asked = clock.now()
            try:
                item = await self._pipeline.call(
                    RECEIVE_NOTIFICATION, self._item, None, params=params
                )
            except GreenStatusError as error:
                if not passes(error):
                    self._done = True
                    raise
                item = None
            if item is not None:
                self._taken = item.receipt_id
                return item
            # Empty (or failed): GREEN-API waited receive_timeout seconds for an
            # item; one that answered sooner is given the rest of that time.
            waited = clock.now() - asked
            if waited < self._receive_timeout:
                await self._pipeline.pause(self._receive_timeout - waited, RECEIVE_NOTIFICATION)
        raise StopAsyncIteration

    async def _acknowledge(self, receipt_id: int) -> None:
        try:
            await self._pipeline.call(
                DELETE_NOTIFICATION, parse_deleted, None, path=str(receipt_id)
            )
        except GreenStatusError as error:
            if not passes(error):
                raise
            # Not deleted: GREEN-API sends it again (at least once, never lost).
            logger.warning(
                "deleteNotification of receipt %d failed (%s); the item will be received again",
                receipt_id,
                type(error).__name__,
            )

    def _item(self, answer: object) -> Notification | None:
        """One answer: ``null``, or an item. A body that is malformed as a
        status event still comes out, with its ``problem``, so that the queue
        moves on past it; an item with no receipt to delete it by cannot."""
        if answer is None:
            return None
        if not isinstance(answer, Mapping):
            raise ValueError(
                f"receiveNotification answered {type(answer).__name__}, expected an object"
            )
        receipt_id = whole_number(answer.get("receiptId"))
        body = answer.get("body")
        if receipt_id is None or receipt_id <= 0 or not isinstance(body, Mapping):
            raise ValueError("receiveNotification answered an item without a receiptId and a body")
        kind = body.get("typeWebhook")
        try:
            event = parse_notification(body, status_ids=self._status_ids)
        except NotificationError as problem:
            logger.warning("a notification of the queue is malformed: %s", problem)
            return Notification(
                receipt_id=receipt_id,
                type_webhook=kind if isinstance(kind, str) else "",
                body=body,
                problem=problem,
            )
        return Notification(
            receipt_id=receipt_id,
            type_webhook=kind if isinstance(kind, str) else "",
            body=body,
            status_event=event,
        )


def read_or(read: float | None) -> float:
    return float("inf") if read is None else read
