"""The status methods of ``AsyncStatusClient``: sending, deleting and reading
statuses, each a few lines that check their arguments and hand one call to
the pipeline."""

from __future__ import annotations

from collections.abc import Iterable

from ._audience_step import send_status
from ._batch import send_all
from ._client_parts import ClientParts
from ._hooks import OnResult, check_hook
from ._methods import (
    DELETE_STATUS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_STATUS_STATISTIC,
)
from ._options import check_concurrency
from ._participants import AllContacts
from ._requests import Font, MediaStatus, Status, TextStatus, VoiceStatus, built_for_caller
from ._results import (
    IncomingStatus,
    OutgoingStatus,
    SendResult,
    SentStatus,
    StatusRecipient,
    parse_incoming,
    parse_outgoing,
    parse_statistic,
)
from ._retry import RetryPolicy
from ._validators import whole_number_at_least

__all__ = ["StatusMethods", "check_id_message"]

_STATUS_TYPES = (TextStatus, VoiceStatus, MediaStatus)


class StatusMethods(ClientParts):
    async def send(self, status: Status, *, retry: RetryPolicy | None = None) -> SentStatus:
        """Send one status; returns its id once GREEN-API has queued it.

        ``participants=ALL_CONTACTS`` is expanded first (one getContacts,
        remembered for 5 minutes); with ``check_audience=True``, participants
        the status would not reach raise ``AudienceError`` and nothing is sent.
        """
        if not isinstance(status, _STATUS_TYPES):
            raise TypeError(
                "status must be a TextStatus, VoiceStatus or MediaStatus, "
                f"got {type(status).__name__}"
            )
        return await send_status(self._pipeline, status, retry)

    async def send_all(
        self,
        statuses: Iterable[Status],
        *,
        max_concurrency: int | None = None,
        on_result: OnResult | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SendResult]:
        """Send many statuses concurrently; one result per status, in input order.

        A failed status becomes a result with ``error`` set and never stops the
        others. Cancelling the caller cancels every send still under way.
        ``on_result(index, result)`` is called as each send ends (for progress);
        a coroutine function is awaited.
        """
        requests = list(statuses)
        for index, status in enumerate(requests):
            if not isinstance(status, _STATUS_TYPES):
                raise TypeError(
                    f"statuses[{index}] must be a TextStatus, VoiceStatus or MediaStatus, "
                    f"got {type(status).__name__}"
                )
        check_hook("on_result", on_result)
        limit = (
            self._options.max_concurrency
            if max_concurrency is None
            else check_concurrency("max_concurrency", max_concurrency)
        )
        self._session.check_open()  # a closed client refuses before anything starts
        self._pool.check_event_loop()
        if self._pool.max_in_flight is not None:
            # More sends in flight than the own pool has connections would only
            # queue in the transport, which costs more than waiting here.
            limit = min(limit, self._pool.max_in_flight)
        return await send_all(
            self._pipeline, requests, limit=limit, on_result=on_result, retry=retry
        )

    async def send_text_status(
        self,
        message: str,
        *,
        background_color: str | None = None,
        font: Font | str | None = None,
        participants: Iterable[str] | AllContacts = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a text status (see [`TextStatus`][greenstatus.TextStatus])."""
        with built_for_caller():
            status = TextStatus(
                message=message,
                background_color=background_color,
                font=font,
                participants=participants,
            )
        return await self.send(status, retry=retry)

    async def send_voice_status(
        self,
        url_file: str,
        file_name: str,
        *,
        background_color: str | None = None,
        participants: Iterable[str] | AllContacts = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a voice status (see [`VoiceStatus`][greenstatus.VoiceStatus])."""
        return await self.send(
            VoiceStatus(
                url_file=url_file,
                file_name=file_name,
                background_color=background_color,
                participants=participants,
            ),
            retry=retry,
        )

    async def send_media_status(
        self,
        url_file: str,
        file_name: str,
        *,
        caption: str | None = None,
        participants: Iterable[str] | AllContacts = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a picture or video status (see [`MediaStatus`][greenstatus.MediaStatus])."""
        return await self.send(
            MediaStatus(
                url_file=url_file, file_name=file_name, caption=caption, participants=participants
            ),
            retry=retry,
        )

    async def delete_status(self, id_message: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete one of the account's statuses."""
        await self._pipeline.call(
            DELETE_STATUS,
            _ignore_body,
            retry,
            json_body={"idMessage": check_id_message(id_message)},
        )

    async def get_status_statistic(
        self, id_message: str, *, retry: RetryPolicy | None = None
    ) -> list[StatusRecipient]:
        """Who a status was sent to, and whether it was delivered or read."""
        return await self._pipeline.call(
            GET_STATUS_STATISTIC,
            parse_statistic,
            retry,
            params={"idMessage": check_id_message(id_message)},
        )

    async def get_incoming_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[IncomingStatus]:
        """Statuses contacts posted in the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._pipeline.call(
            GET_INCOMING_STATUSES, parse_incoming, retry, params=_minutes(minutes)
        )

    async def get_outgoing_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[OutgoingStatus]:
        """The account's own statuses of the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._pipeline.call(
            GET_OUTGOING_STATUSES, parse_outgoing, retry, params=_minutes(minutes)
        )


def _ignore_body(body: object) -> None:
    return None


def _minutes(minutes: int | None) -> dict[str, str] | None:
    if minutes is None:
        return None
    checked = whole_number_at_least("minutes", minutes, 1, expected="a positive whole number")
    return {"minutes": str(checked)}


def check_id_message(id_message: str) -> str:
    if not isinstance(id_message, str) or not id_message.strip():
        raise ValueError(f"id_message must be a non-empty str, got {id_message!r}")
    return id_message
