"""Whom each status reached, and how far it got with each: the rows of
getStatusStatistic, which move forward over time (sent, delivered, read).

Who a status reached is decided when it is sent (``_contacts``' rule); a status
a test put in ``statuses`` by hand follows the contacts of the moment it is
read, until it is first moved: then its recipients are kept as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final, Literal

import attrs

from ._contacts import same_chat
from ._fake_status import FakeStatus

__all__ = [
    "RECIPIENT_STATES",
    "RecipientRow",
    "RecipientState",
    "Recipients",
    "advance",
    "chosen",
    "furthest",
    "state_of",
]

RecipientState = Literal["sent", "delivered", "read"]
RECIPIENT_STATES: Final = ("sent", "delivered", "read")
"""The states of a recipient, in the only order they move in."""


@attrs.define
class RecipientRow:
    """One row of a status's statistic: a recipient, how far the status got
    with them, and when it got there."""

    participant: str
    status: RecipientState
    timestamp: int

    def wire(self) -> dict[str, object]:
        return {"timestamp": self.timestamp, "participant": self.participant, "status": self.status}


class Recipients:
    """The rows of every status the fake accepted, by instance and idMessage.
    Not thread-safe: ``FakeGreenAPI`` calls it under its lock."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], tuple[FakeStatus, list[RecipientRow]]] = {}

    def record(self, status: FakeStatus, participants: Iterable[str]) -> None:
        """``status`` was sent, and reached ``participants``."""
        self._rows[(status.id_instance, status.id_message)] = (
            status,
            [RecipientRow(participant, "sent", status.timestamp) for participant in participants],
        )

    def forget(self, status: FakeStatus) -> None:
        self._rows.pop((status.id_instance, status.id_message), None)

    def rows(
        self, status: FakeStatus, reached: Callable[[], list[str]], *, keep: bool = False
    ) -> list[RecipientRow]:
        """``status``'s rows. A status put in ``statuses`` by hand has none
        recorded: its rows are made of ``reached()`` now, and kept if ``keep``."""
        key = (status.id_instance, status.id_message)
        recorded = self._rows.get(key)
        if recorded is not None and recorded[0] is status:
            return recorded[1]
        rows = [RecipientRow(participant, "sent", status.timestamp) for participant in reached()]
        if keep:
            self._rows[key] = (status, rows)
        return rows


def furthest(rows: Sequence[RecipientRow], status: FakeStatus) -> tuple[RecipientState, int]:
    """getOutgoingStatuses' ``statusMessage`` and ``timestamp``: the furthest
    state any recipient reached, and the time of the last change."""
    state: RecipientState = "sent"
    for row in rows:
        if RECIPIENT_STATES.index(row.status) > RECIPIENT_STATES.index(state):
            state = row.status
    return state, max([status.timestamp, *(row.timestamp for row in rows)])


def chosen(
    rows: list[RecipientRow], participant: str | None, id_message: str
) -> list[RecipientRow]:
    """The rows ``participant`` names (``None``: all); ``ValueError`` when the
    status did not reach them. A ``@c.us`` chat id matches by its number alone."""
    if participant is None:
        return rows
    for row in rows:
        if same_chat(row.participant, participant):
            return [row]
    reached = ", ".join(row.participant for row in rows) or "no one"
    raise ValueError(
        f"status {id_message} did not reach {participant!r}: its recipients are {reached}"
    )


def advance(rows: Iterable[RecipientRow], to: RecipientState, timestamp: int) -> list[RecipientRow]:
    """Move each row to ``to`` if that is further than it is; the rows moved.
    States only move forward: sent, delivered, read (read straight from sent
    too, as when a recipient's phone reports the read alone)."""
    moved = []
    for row in rows:
        if RECIPIENT_STATES.index(to) > RECIPIENT_STATES.index(row.status):
            row.status, row.timestamp = to, timestamp
            moved.append(row)
    return moved


def state_of(value: object) -> RecipientState:
    """``value`` as a state a recipient can be moved to, or ``ValueError``."""
    if value == "delivered":
        return "delivered"
    if value == "read":
        return "read"
    raise ValueError(f"a recipient can be moved to 'delivered' or 'read', not {value!r}")
