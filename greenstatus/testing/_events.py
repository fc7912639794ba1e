"""What happens to the account between requests, on the fake's clock:
recipients receive and read its statuses (now, or at a time scheduled),
contacts post statuses of their own, and each event queues the notification
GREEN-API would send for it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping

import attrs

from ._fake_status import FakeStatus
from ._incoming import incoming_post
from ._model import StatusModel
from ._notifications import FakeNotification, instance_data
from ._recipients import RecipientRow, RecipientState, advance, chosen, state_of

__all__ = ["StatusEvents"]


@attrs.frozen(kw_only=True)
class _Scheduled:
    """A move of a status's recipients (``participant``, or all) to ``state``,
    due at ``at`` on the fake's clock; ``order`` keeps ties in the order asked."""

    at: float
    order: int
    status: FakeStatus
    participant: str | None
    state: RecipientState


class StatusEvents:
    """The events of the fake's account. Not thread-safe: ``FakeGreenAPI``
    calls it under its lock, and first has it ``catch_up`` with the clock."""

    def __init__(self, model: StatusModel, clock: Callable[[], float]) -> None:
        self._model = model
        self._clock = clock
        self._scheduled: list[_Scheduled] = []
        self._orders = itertools.count()
        self._incoming_ids = itertools.count(1)

    def move(self, id_message: object, participant: object, to: RecipientState) -> None:
        """Move a status's recipient (``None``: every recipient) to ``to`` now."""
        status = self._status(id_message)
        rows = chosen(
            self._model.rows_of(status, keep=True), _participant(participant), status.id_message
        )
        self._moved(status, advance(rows, to, int(self._clock())))

    def schedule(
        self,
        id_message: object,
        participant: object,
        to: object,
        *,
        at: float | None,
        after: float | None,
    ) -> None:
        """Move a recipient (``None``: every recipient) to ``to`` when the
        clock reaches ``at``, or ``after`` seconds from now."""
        state = state_of(to)
        if (at is None) == (after is None):
            raise TypeError("schedule takes at= (a time on the fake's clock) or after= (seconds)")
        when = at if at is not None else after
        if isinstance(when, bool) or not isinstance(when, (int, float)):
            raise TypeError(f"at= and after= take a number of seconds, not {when!r}")
        if after is not None and after < 0:
            raise ValueError(f"after= takes seconds from now, not {after!r}")
        status = self._status(id_message)
        chosen_one = _participant(participant)
        chosen(self._model.rows_of(status, keep=True), chosen_one, status.id_message)
        self._scheduled.append(
            _Scheduled(
                at=float(when) if at is not None else self._clock() + float(when),
                order=next(self._orders),
                status=status,
                participant=chosen_one,
                state=state,
            )
        )
        self.catch_up()

    def catch_up(self) -> None:
        """Apply every scheduled move whose time has come, in time order, each
        at its own time; a move of a status deleted since is dropped."""
        now = self._clock()
        due = sorted(
            (entry for entry in self._scheduled if entry.at <= now),
            key=lambda entry: (entry.at, entry.order),
        )
        if not due:
            return
        self._scheduled = [entry for entry in self._scheduled if entry.at > now]
        for entry in due:
            if not any(status is entry.status for status in self._model.statuses):
                continue
            rows = chosen(
                self._model.rows_of(entry.status, keep=True),
                entry.participant,
                entry.status.id_message,
            )
            self._moved(entry.status, advance(rows, entry.state, int(entry.at)), at=entry.at)

    def post_incoming(
        self, sender: str, fields: Mapping[str, str | None], timestamp: int | None
    ) -> str:
        """A contact posts a status: listed by getIncomingStatuses, and its
        ``incomingMessageReceived`` queued for every instance; its idMessage."""
        if timestamp is not None and (
            isinstance(timestamp, bool) or not isinstance(timestamp, int)
        ):
            raise TypeError(f"timestamp must be an int (seconds), not {timestamp!r}")
        post = incoming_post(
            f"BAE5{next(self._incoming_ids):012X}",
            sender,
            timestamp=int(self._clock()) if timestamp is None else timestamp,
            contacts=self._model.book.contacts,
            fields=fields,
        )
        self._model.incoming.append(post.item())
        if self._model.settings.get("incomingWebhook") == "yes":
            for id_instance in self._model.instances:
                self._model.queue.add(
                    id_instance, post.webhook(instance_data(id_instance, self._model.settings))
                )
        return post.id_message

    def notify(self, body: object, id_instance: str | None) -> FakeNotification:
        """Queue ``body`` as it is for ``id_instance`` (``None``: the first)."""
        if id_instance is None:
            id_instance = next(iter(self._model.instances))
        elif id_instance not in self._model.instances:
            raise KeyError(f"the fake serves no instance {id_instance!r}")
        return self._model.queue.add(id_instance, body)

    def _status(self, id_message: object) -> FakeStatus:
        for status in self._model.statuses:
            if status.id_message == id_message:
                return status
        raise KeyError(f"no status {id_message!r} among fake.statuses (deleted, or never sent)")

    def _moved(self, status: FakeStatus, rows: list[RecipientRow], at: float | None = None) -> None:
        """Queue an ``outgoingMessageStatus`` for each row moved, as GREEN-API
        sends them for messages (with ``outgoingWebhook`` "yes")."""
        settings = self._model.settings
        if settings.get("outgoingWebhook") != "yes":
            return
        for row in rows:
            body = {
                "typeWebhook": "outgoingMessageStatus",
                "instanceData": instance_data(status.id_instance, settings),
                "timestamp": row.timestamp,
                "idMessage": status.id_message,
                "status": row.status,
                "chatId": row.participant,
                "sendByApi": True,
            }
            self._model.queue.add(status.id_instance, body, at=at)


def _participant(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"participant must be a chat id (str) or None, not {type(value).__name__}")
