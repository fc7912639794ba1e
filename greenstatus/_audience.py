"""Who a status reaches, by GREEN-API's documented rule: only contacts with a
name in the phone book (``contactName``), only the first 1024 of those in
getContacts' order, and only among the ``participants`` when they are given.
Pure functions of the contact list; the client fetches it (``_contact_memory``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ._contacts import Contact
from ._exceptions import AudienceError, AudienceReason, InvalidStatusError
from ._participants import ENTRIES_MAX, ChatIds, chat_number, normalize_chat_id

__all__ = [
    "NAMED_LIMIT",
    "Audience",
    "ContactBook",
    "audience_of",
    "audience_refusal",
    "chat_ids_of",
]

NAMED_LIMIT = 1024
"""A status reaches the first 1024 contacts with a contact name, no more."""

EMPTY_LIST = (
    "getContacts listed no contacts at all, which GREEN-API says can be passing "
    "(try again) or mean the instance must scan its QR code again"
)
"""Why nothing is reached when the contact list came back empty."""


@attrs.frozen(kw_only=True)
class Audience:
    """Who a status would reach, and who it would not, and why.

    Each field is a tuple of chat ids, in getContacts' order (or the order of
    the ``participants`` asked about):

    - ``reached``: would receive it: contacts with a ``contact_name``, among
      the first 1024 of those.
    - ``unnamed``: contacts with no ``contact_name`` (a number not saved).
    - ``beyond_limit``: named, but past the first 1024 named contacts.
    - ``unknown``: participants that are not among the contacts at all
      (and contacts of a type other than ``"user"`` and ``"group"``, which
      GREEN-API does not document: only users are reached).
    - ``groups``: group chats, which a status never reaches.

    ``contacts`` is how many entries getContacts listed and ``named`` how many
    of them are named people. GREEN-API's newer pages drop the 1024 line and
    require only that the recipient saved the sender's number, which no API
    shows: ``reached`` is the most a status can reach, not a promise.
    """

    reached: tuple[str, ...] = ()
    unnamed: tuple[str, ...] = ()
    beyond_limit: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    contacts: int = 0
    named: int = 0

    @property
    def missed(self) -> tuple[tuple[str, AudienceReason], ...]:
        """Every chat id that would not be reached, with its reason."""
        return tuple(
            (chat_id, reason)
            for reason in ("unnamed", "beyond_limit", "unknown", "groups")
            for chat_id in getattr(self, reason)
        )


class ContactBook:
    """The contact list, indexed once for every question asked of it: each
    chat id's reason for not being reached (``None``: reached), found by
    number for ``@c.us`` chat ids, and the audience of all contacts."""

    def __init__(self, contacts: Sequence[Contact]) -> None:
        self.contacts = contacts
        self.reasons: dict[str, AudienceReason | None] = {}
        self.named = 0
        for contact in contacts:
            key = chat_number(contact.chat_id)
            if key in self.reasons:
                continue  # listed twice: its first place counts
            if contact.is_group:
                self.reasons[key] = "groups"
            elif not contact.is_user:  # a type GREEN-API does not document
                self.reasons[key] = "unknown"
            elif not contact.is_named:
                self.reasons[key] = "unnamed"
            else:
                self.named += 1
                self.reasons[key] = None if self.named <= NAMED_LIMIT else "beyond_limit"

        self._everyone: Audience | None = None

    def reason(self, chat_id: str) -> AudienceReason | None:
        return self.reasons.get(chat_number(chat_id), "unknown")

    @property
    def everyone(self) -> Audience:
        """Who a status to all contacts reaches (worked out once)."""
        if self._everyone is None:
            self._everyone = audience_of(self, None)
        return self._everyone


def audience_of(book: ContactBook, participants: Sequence[str] | None) -> Audience:
    """Who a status to ``participants`` (chat ids, as ``chat_ids_of`` makes
    them; ``None``: all contacts) would reach."""
    contacts = book.contacts
    if participants is None:
        chat_ids: Sequence[str] = [contact.chat_id for contact in contacts]
    else:
        chat_ids = participants
    found: dict[AudienceReason | None, list[str]] = {}
    seen: set[str] = set()
    for chat_id in chat_ids:
        key = chat_number(chat_id)
        if key not in seen:
            seen.add(key)
            found.setdefault(book.reason(chat_id), []).append(chat_id)
    return Audience(
        reached=tuple(found.get(None, ())),
        unnamed=tuple(found.get("unnamed", ())),
        beyond_limit=tuple(found.get("beyond_limit", ())),
        unknown=tuple(found.get("unknown", ())),
        groups=tuple(found.get("groups", ())),
        contacts=len(contacts),
        named=book.named,
    )


def audience_refusal(book: ContactBook, participants: Sequence[str]) -> AudienceError | None:
    """The error for the first of ``participants`` (chat ids, as a request
    holds them) that a status would not reach; ``None`` when all are reached."""
    missed = [
        (index, chat_id, reason)
        for index, chat_id in enumerate(participants)
        if (reason := book.reason(chat_id)) is not None
    ]
    if not missed:
        return None
    index, chat_id, reason = missed[0]
    if isinstance(participants, ChatIds):
        index = participants.position(index)  # as the caller wrote the list
    problem = f"{chat_id!r} would not see the status: {_WHY[reason]}"
    if not book.contacts:
        problem += f"; {EMPTY_LIST}"
    if len(missed) > 1:
        others = len(missed) - 1
        who = "participant" if others == 1 else "participants"
        problem += f" ({others} more {who} would not either; check_audience() lists them)"
    return AudienceError(f"participants[{index}]", problem, chat_id=chat_id, reason=reason)


_WHY: dict[AudienceReason, str] = {
    "unnamed": "the number is among the contacts but not saved with a name in the phone book, "
    "and statuses reach only named contacts",
    "beyond_limit": f"statuses reach only the first {NAMED_LIMIT} named contacts, and this one "
    "comes later",
    "unknown": "it is not among the instance's contacts",
    "groups": "it is a group chat, and statuses reach contacts only",
}


def chat_ids_of(participants: Iterable[str]) -> tuple[str, ...]:
    """``participants`` (chat ids or phone numbers) as distinct chat ids; a
    group chat id is kept, to be reported in ``groups``. A bad one raises
    ``InvalidStatusError`` naming ``participants[i]``."""
    if isinstance(participants, (str, bytes)) or not isinstance(participants, Iterable):
        raise InvalidStatusError(
            "participants", f"expected a list of chat ids, got {type(participants).__name__}"
        )
    found: dict[str, None] = {}
    for index, item in enumerate(participants):
        if index >= ENTRIES_MAX:  # an endless iterable ends
            raise InvalidStatusError("participants", f"more than {ENTRIES_MAX} entries")
        try:
            found.setdefault(normalize_chat_id(item, f"participants[{index}]"), None)
        except AudienceError as group:  # a group chat id: reported, not refused
            found.setdefault(group.chat_id, None)
    return tuple(found)
