"""The audience step of a status send, ahead of the pipeline: ``ALL_CONTACTS``
expanded to the chat ids the status reaches, and, with ``check_audience``,
participants it would not reach refused before anything is sent."""

from __future__ import annotations

from typing import TypeVar

import attrs

from ._audience import EMPTY_LIST, Audience, ContactBook, audience_of, audience_refusal
from ._contacts import Contact, parse_contacts
from ._exceptions import InvalidStatusError
from ._methods import GET_CONTACTS
from ._outcome import CallProgress
from ._participants import AllContacts, ChatIds
from ._pipeline import Pipeline
from ._requests import MediaStatus, Status, TextStatus, VoiceStatus
from ._results import SentStatus
from ._retry import RetryPolicy

__all__ = [
    "EMPTY_REPEATS",
    "audience",
    "fetch_contacts",
    "prepare",
    "remembered_contacts",
    "send_status",
]

StatusT = TypeVar("StatusT", bound="TextStatus | VoiceStatus | MediaStatus")

EMPTY_REPEATS = 2
"""How often an empty getContacts answer is asked again ("if an empty data
array is received, repeat the method call", GREEN-API's page says); each
repeat waits for the method's rate limit, 1 request per second."""


async def fetch_contacts(pipeline: Pipeline, retry: RetryPolicy | None) -> ContactBook:
    """getContacts, asked again up to ``EMPTY_REPEATS`` times while it answers
    an empty list; the list it ends with is remembered when not empty."""
    contacts: tuple[Contact, ...] = ()
    for _ in range(1 + EMPTY_REPEATS):
        contacts = await pipeline.call(GET_CONTACTS, parse_contacts, retry)
        if contacts:
            break
    pool = pipeline.session.pool
    return pool.contacts.keep(contacts, pool.clock.now())


async def remembered_contacts(pipeline: Pipeline) -> ContactBook:
    """The contacts of the last 5 minutes, or fetched now, once for all the
    calls that need them at the same time."""
    pool = pipeline.session.pool
    return await pool.contacts.get(lambda: fetch_contacts(pipeline, None), pool.clock)


async def audience(pipeline: Pipeline, participants: tuple[str, ...] | None) -> Audience:
    """Who a status to ``participants`` (chat ids; ``None``: all) would reach."""
    book = await remembered_contacts(pipeline)
    return book.everyone if participants is None else audience_of(book, participants)


def _needs_step(pipeline: Pipeline, status: Status) -> bool:
    participants = status.participants
    return isinstance(participants, AllContacts) or (
        bool(participants) and pipeline.options.check_audience
    )


async def send_status(pipeline: Pipeline, status: Status, retry: RetryPolicy | None) -> SentStatus:
    """Send ``status`` through the pipeline, its audience step first when it
    has one, within the send's deadline and close scope."""
    if not _needs_step(pipeline, status):
        return await pipeline.send_status(status, retry)
    return await pipeline.send_status(status, retry, prepare=lambda: _prepared(pipeline, status))


async def prepare(pipeline: Pipeline, status: StatusT) -> StatusT:
    """``status`` as it is sent, for a caller with work before the send (an
    upload): the audience step within a deadline and close scope of its own."""
    if not _needs_step(pipeline, status):
        return status
    return await pipeline.scoped(
        status.api_method, lambda: _prepared(pipeline, status), CallProgress()
    )


async def _prepared(pipeline: Pipeline, status: StatusT) -> StatusT:
    """``status`` with ``ALL_CONTACTS`` expanded, and with ``check_audience``
    its participants checked (``AudienceError``)."""
    participants = status.participants
    book = await remembered_contacts(pipeline)
    if isinstance(participants, AllContacts):
        reached = book.everyone.reached
        if not reached:
            raise InvalidStatusError("participants", _no_one(book))
        return _to(status, reached)
    refusal = audience_refusal(book, participants)
    if refusal is not None:
        raise refusal
    return status


def _to(status: StatusT, chat_ids: tuple[str, ...]) -> StatusT:
    """``status`` to ``chat_ids``: GREEN-API's own chat ids, sent as its
    contact list spells them (not checked again as typed participants are,
    now or by a later ``attrs.evolve``)."""
    return attrs.evolve(status, participants=ChatIds(chat_ids))


def _no_one(book: ContactBook) -> str:
    if not book.contacts:
        return f"ALL_CONTACTS reaches no one: {EMPTY_LIST}"
    return (
        f"ALL_CONTACTS reaches no one: none of the instance's {len(book.contacts)} contacts "
        "is a person saved with a name in the phone book (client.check_audience() shows them)"
    )
