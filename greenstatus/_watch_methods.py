"""The status-following methods of ``AsyncStatusClient``: one outgoing status
by its id, and the watchers (``_watch``), each checking its arguments before
anything is asked."""

from __future__ import annotations

from datetime import datetime

from ._client_parts import ClientParts
from ._results import IncomingStatus, OutgoingStatus
from ._retry import RetryPolicy
from ._status_methods import StatusMethods, check_id_message
from ._validators import positive_number, whole_number_at_least
from ._watch import (
    DEFAULT_INCOMING_INTERVAL,
    DEFAULT_STATISTIC_INTERVAL,
    IncomingWatch,
    StatisticChange,
    StatisticWatch,
    Watch,
)

__all__ = ["WatchMethods"]


class WatchMethods(StatusMethods, ClientParts):
    async def get_outgoing_status(
        self, id_message: str, *, minutes: int = 1440, retry: RetryPolicy | None = None
    ) -> OutgoingStatus | None:
        """The account's status with this id among those of the last
        ``minutes`` (getOutgoingStatuses), or ``None``. Like the list, it needs
        the ``outgoingWebhook`` setting on."""
        wanted = check_id_message(id_message)
        whole_number_at_least("minutes", minutes, 1, expected="a positive whole number")
        for status in await self.get_outgoing_statuses(minutes, retry=retry):
            if status.id_message == wanted:
                return status
        return None

    def watch_statistic(
        self, id_message: str, *, until: float | None = None, interval: float | None = None
    ) -> Watch[StatisticChange]:
        """Each change of a status's recipients, as it is seen: a recipient
        appearing, or moving on (sent, delivered, read).

        An async iterator that polls getStatusStatistic every ``interval``
        seconds (5 by default; the rate limiter spaces the polls of every
        watcher on the instance to 1 request per second in all). It ends by
        itself once every recipient seen has read the status, or ``until``
        seconds after it started (by default 24 hours after the status was
        first seen: a status shows that long). A poll that fails is retried
        by the client's retry policy; a failure that will not pass (a wrong
        token, a closed client) ends it with that error. Leave it early with
        ``break``, ``aclose()``, ``async with`` or cancellation: nothing is
        left running. Statistics need the ``outgoingWebhook`` setting on.
        """
        wanted = check_id_message(id_message)
        if until is not None:
            positive_number("until", until, expected="a positive number of seconds")
        pace = (
            DEFAULT_STATISTIC_INTERVAL
            if interval is None
            else positive_number("interval", interval, expected="a positive number of seconds")
        )
        self._session.check_open()
        return StatisticWatch(self._pipeline, wanted, until, pace)

    def watch_incoming(
        self, *, interval: float | None = None, since: float | datetime | None = None
    ) -> Watch[IncomingStatus]:
        """Contacts' statuses as they come: an async iterator polling
        getIncomingStatuses every ``interval`` seconds (10 by default, spaced
        with every other poll by the rate limiter), yielding each status once,
        oldest first. The first poll yields what is already there (the last
        24 hours), or only what came from ``since`` (a Unix time or an aware
        ``datetime``) on. Failures and closing are as for ``watch_statistic``.
        """
        pace = (
            DEFAULT_INCOMING_INTERVAL
            if interval is None
            else positive_number("interval", interval, expected="a positive number of seconds")
        )
        start = _since(since)
        self._session.check_open()
        return IncomingWatch(self._pipeline, pace, start)


def _since(since: float | datetime | None) -> float | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise ValueError(
                "since must be an aware datetime (with a time zone) or a Unix time, "
                f"got a naive {since!r}"
            )
        return since.timestamp()
    return float(positive_number("since", since, expected="a Unix time or an aware datetime"))
