"""The contact methods of ``AsyncStatusClient``: the instance's contacts, and
who a status would reach among them."""

from __future__ import annotations

from collections.abc import Iterable

from ._audience import Audience, chat_ids_of
from ._audience_step import audience, fetch_contacts
from ._client_parts import ClientParts
from ._contacts import Contact
from ._participants import ALL_CONTACTS, AllContacts
from ._retry import RetryPolicy

__all__ = ["ContactMethods"]


class ContactMethods(ClientParts):
    async def get_contacts(self, *, retry: RetryPolicy | None = None) -> tuple[Contact, ...]:
        """The instance's contacts (getContacts, 1 request/s), in GREEN-API's order.

        GREEN-API says an empty list can be a passing failure ("repeat the
        call"): an empty answer is asked again, twice at most, each within
        the rate limit; an empty tuple means it stayed empty. Contact changes
        take up to 5 minutes to show. The list fetched is the one the
        audience step remembers (``check_audience``, ``ALL_CONTACTS``).
        """
        return tuple((await fetch_contacts(self._pipeline, retry)).contacts)

    async def check_audience(
        self, participants: Iterable[str] | AllContacts | None = None
    ) -> Audience:
        """Who a status to ``participants`` would reach, by GREEN-API's rule.

        ``None``, an empty list or ``ALL_CONTACTS`` asks about all contacts
        (as a send without participants goes to all of them). Participants
        are chat ids or phone numbers, matched to contacts by number; group
        chat ids are reported in ``groups``. The contacts are the ones
        remembered for 5 minutes (fetched now if there are none), the same a
        send with ``check_audience=True`` or ``ALL_CONTACTS`` would use. See
        [`Audience`][greenstatus.Audience] for what each field means.
        """
        self._session.check_open()
        if participants is ALL_CONTACTS:
            participants = None
        # No participants, as a send takes them, is all contacts.
        chosen = None if participants is None else chat_ids_of(participants) or None
        return await audience(self._pipeline, chosen)
