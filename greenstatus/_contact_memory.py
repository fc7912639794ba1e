"""The contacts a client remembers: fetched once, shared by the calls that
need them at the same time, kept for 5 minutes (GREEN-API: contact changes take
up to 5 minutes to show). An empty list or a failed fetch is not kept."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable

import anyio
import attrs

from ._audience import ContactBook
from ._clock import Clock
from ._contacts import Contact
from ._exceptions import GreenStatusError

__all__ = ["CONTACTS_KEPT", "ContactMemory"]

CONTACTS_KEPT = 300.0
"""Seconds a fetched contact list is used before it is fetched again."""

Contacts = tuple[Contact, ...]


@attrs.define(eq=False)
class _Fetch:
    """A fetch under way, which the calls that came later wait for."""

    done: anyio.Event = attrs.field(factory=anyio.Event)
    book: ContactBook | None = None
    error: Exception | None = None


@attrs.define(eq=False)
class ContactMemory:
    """One client's contacts (shared with the clients derived from it)."""

    book: ContactBook | None = None
    fetched_at: float = 0.0
    fetch: _Fetch | None = None

    def keep(self, contacts: Contacts, now: float) -> ContactBook:
        """``contacts``, indexed, and kept unless empty (an empty list may be
        GREEN-API's passing failure)."""
        book = ContactBook(contacts)
        if contacts:
            self.book, self.fetched_at = book, now
        return book

    async def get(self, fetch: Callable[[], Awaitable[ContactBook]], clock: Clock) -> ContactBook:
        """The contacts kept, if fresh; else the ones a fetch under way brings,
        or those of a fetch of this call's own (``fetch`` keeps what it gets)."""
        while True:
            if self.book is not None and clock.now() - self.fetched_at < CONTACTS_KEPT:
                return self.book
            under_way = self.fetch
            if under_way is None:
                return await self._fetch(fetch)
            await under_way.done.wait()
            if under_way.book is not None:
                return under_way.book
            if under_way.error is not None:
                raise _own_copy(under_way.error) from under_way.error.__cause__
            # The call that fetched was cancelled: the next one fetches anew.

    async def _fetch(self, fetch: Callable[[], Awaitable[ContactBook]]) -> ContactBook:
        mine = self.fetch = _Fetch()
        try:
            book = await fetch()
        except Exception as error:
            mine.error = error
            raise
        else:
            mine.book = book
            return book
        finally:
            self.fetch = None
            mine.done.set()


def _own_copy(error: Exception) -> Exception:
    """An error of its own for each call that shared a failed fetch: one
    object raised in many tasks would gather all their tracebacks."""
    if isinstance(error, GreenStatusError):
        return copy.copy(error)
    return error
