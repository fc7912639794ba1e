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
from ._notifications import Notification, describe, parse_notification, receipt_id_of
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
        super().__init__(attrs.evolve(pipeline, options=options), RECEIVE_NOTIFICATION)
        self._delete = delete
        self._receive_timeout = receive_timeout
        self._status_ids = status_ids
        self._taken: int | None = None

    def __repr__(self) -> str:
        return f"<NotificationQueue delete={self._delete} receive_timeout={self._receive_timeout}>"

    async def __anext__(self) -> Notification:
        if self._done or self._closed:
            raise StopAsyncIteration
        await self._pipeline.pause(0, RECEIVE_NOTIFICATION)  # a closed client: typed
        taken, self._taken = self._taken, None
        if taken is not None and self._delete:
            await self._acknowledge(taken)
        clock = self._pipeline.session.pool.clock
        params = {"receiveTimeout": str(self._receive_timeout)}
        while not (self._done or self._closed):
            asked = clock.now()
            try:
                item = await self._pipeline.call(RECEIVE_NOTIFICATION, _item, None, params=params)
            except GreenStatusError as error:
                if not passes(error):
                    self._done = True
                    raise
                item = None
            if item is not None and not self._closed:
                self._taken = item.receipt_id
                # Read here, outside the call: status_ids is the caller's code.
                return self._read(item)
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

    def _read(self, item: _Item) -> Notification:
        """The item as it comes out: what it says about statuses, or, for a
        body malformed as one, its ``problem`` (it still comes out, so that
        the queue moves past it)."""
        body = item.body if item.body is not None else {}
        kind = body.get("typeWebhook")
        problem = item.problem
        event = None
        if problem is None:
            try:
                event = parse_notification(body, status_ids=self._status_ids)
            except NotificationError as malformed:
                problem = malformed
        if problem is not None:
            logger.warning("a notification of the queue is malformed: %s", problem)
        return Notification(
            receipt_id=item.receipt_id,
            type_webhook=kind if isinstance(kind, str) else "",
            body=body,
            status_event=event,
            problem=problem,
        )


@attrs.frozen
class _Item:
    """One answer of receiveNotification that is an item, as read."""

    receipt_id: int
    body: Mapping[str, object] | None
    problem: NotificationError | None = None


def _item(answer: object) -> _Item | None:
    """One answer: ``null``, or an item with a receipt to delete it by (else
    the answer is not what GREEN-API documents). A body that is no object is
    the item's problem: it comes out, and is deleted, like any other."""
    if answer is None:
        return None
    if not isinstance(answer, Mapping):
        kind = type(answer).__name__
        raise ValueError(f"receiveNotification answered {kind}, expected an object")
    raw = answer.get("receiptId")
    receipt_id = receipt_id_of(raw)
    if receipt_id is None:
        raise ValueError(f"receiveNotification answered receiptId {raw!r}, expected a positive id")
    body = answer.get("body")
    if isinstance(body, Mapping):
        return _Item(receipt_id, body)
    problem = NotificationError("body", f"is {describe(body)}, expected an object")
    return _Item(receipt_id, None, problem)


def read_or(read: float | None) -> float:
    return float("inf") if read is None else read
