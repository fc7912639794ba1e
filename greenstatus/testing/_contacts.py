"""The fake's contact list: what getContacts answers, and who a status reaches.

GREEN-API's status pages say a status reaches only "the first 1024 contacts of
the contact list with a contactName": user contacts (not groups) saved in the
phone book under a name, in getContacts' order. The fake applies that rule to
the statistics it records. It keeps its own copy of the rule on purpose:
greenstatus's client reads the same rule from the contact list to warn before
sending (``check_audience``), and is tested against this fake, so the two must
not share code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

from .._contacts import Contact
from ._replies import Refused

__all__ = ["NAMED_LIMIT", "ContactBook", "ContactInput", "normalise_contacts", "same_chat"]

NAMED_LIMIT = 1024
"""A status reaches the first 1024 named user contacts, no more."""

ContactInput: TypeAlias = "Contact | Mapping[str, object] | str"
"""One contact as a test gives it: a ``Contact``, GREEN-API's wire form
(``{"id", "name", "contactName", "type"}``), or a bare chat id."""

_FIELDS = ("id", "name", "contactName", "type")
_USER_SUFFIX = "@c.us"
_GROUP_SUFFIX = "@g.us"


def normalise_contacts(value: object) -> tuple[Contact, ...]:
    """``value``'s items as ``Contact``s whose ``raw`` is the item getContacts
    serves for them. Raises ``TypeError`` or ``ValueError`` naming the index of
    the first item that is not a contact."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            f"contacts must be a sequence of contacts, not {type(value).__name__} "
            "(a single chat id goes in a list: ['79001234567@c.us'])"
        )
    return tuple(_contact(index, item) for index, item in enumerate(value))


def _contact(index: int, item: object) -> Contact:
    where = f"contacts[{index}]"
    fields: dict[str, object]
    if isinstance(item, Contact):
        fields = {
            "id": item.chat_id,
            "name": item.name,
            "contactName": item.contact_name,
            "type": item.type,
        }
        extras: Mapping[str, object] = item.raw
    elif isinstance(item, Mapping):
        fields = {key: item.get(key) for key in _FIELDS}
        extras = item
    elif isinstance(item, str):
        # A bare chat id: a person saved in the phone book under their number
        # (what the fake's string contacts always meant), or a group.
        group = item.endswith(_GROUP_SUFFIX)
        fields = {
            "id": item,
            "name": "",
            "contactName": "" if group else item.partition("@")[0],
            "type": "group" if group else "user",
        }
        extras = {}
    else:
        raise TypeError(
            f"{where} is {type(item).__name__}: expected a greenstatus.Contact, a mapping "
            "like {'id': '79001234567@c.us', 'contactName': 'Anna'} or a chat id"
        )
    chat_id = fields["id"]
    if not isinstance(chat_id, str):
        raise TypeError(f"{where}: the chat id is {type(chat_id).__name__}, expected a str")
    if not chat_id or chat_id != chat_id.strip() or any(c.isspace() for c in chat_id):
        raise ValueError(f"{where}: {chat_id!r} is not a chat id")
    texts: dict[str, str] = {}
    for key in ("name", "contactName", "type"):
        text = fields[key]
        if text is None:  # absent or null, as GREEN-API leaves unsaved names
            text = ""
        if not isinstance(text, str):
            raise TypeError(f"{where}: {key!r} is {type(text).__name__}, expected a str")
        texts[key] = text
    kind = texts["type"] or ("group" if chat_id.endswith(_GROUP_SUFFIX) else "user")
    served: dict[str, object] = {"id": chat_id, "name": texts["name"]}
    if texts["contactName"]:
        served["contactName"] = texts["contactName"]
    served["type"] = kind
    served.update(
        (key, value) for key, value in extras.items() if isinstance(key, str) and key not in _FIELDS
    )
    return Contact(
        chat_id, name=texts["name"], contact_name=texts["contactName"], type=kind, raw=served
    )


def _is_group(contact: Contact) -> bool:
    return contact.type == "group" or contact.chat_id.endswith(_GROUP_SUFFIX)


def _key(chat_id: str) -> str:
    """What a chat id is matched by: a ``@c.us`` one by its number alone."""
    return chat_id[: -len(_USER_SUFFIX)] if chat_id.endswith(_USER_SUFFIX) else chat_id


def same_chat(one: str, other: str) -> bool:
    """Whether two chat ids name the same chat (``79001234567`` is
    ``79001234567@c.us``)."""
    return _key(one) == _key(other)


def _reached(contacts: Sequence[Contact]) -> dict[str, str]:
    """The chat ids a status to all contacts reaches, by key, in list order:
    user contacts whose ``contact_name`` is more than white space, the first
    1024 of them. A chat id listed twice is judged by its first place."""
    reached: dict[str, str] = {}
    seen: set[str] = set()
    for contact in contacts:
        key = _key(contact.chat_id)
        if key in seen:
            continue
        seen.add(key)
        if _is_group(contact) or contact.type != "user" or not contact.contact_name.strip():
            continue
        reached[key] = contact.chat_id
        if len(reached) == NAMED_LIMIT:
            break
    return reached


class ContactBook:
    """The contact list of every instance the fake serves, and the empty
    answers queued for getContacts. Not thread-safe: ``FakeGreenAPI`` calls it
    under its lock."""

    def __init__(self, contacts: Iterable[ContactInput]) -> None:
        self._contacts: tuple[Contact, ...] = ()
        self._reached: dict[str, str] = {}
        self._empty_answers = 0
        self.contacts = contacts

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return self._contacts

    @contacts.setter
    def contacts(self, value: Iterable[ContactInput]) -> None:
        contacts = normalise_contacts(value)
        self._contacts, self._reached = contacts, _reached(contacts)

    def empty_next(self, times: int) -> None:
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be a positive int, got {times!r}")
        self._empty_answers += times

    def answer(self, query: Mapping[str, str]) -> list[dict[str, object]]:
        """getContacts' array: the wire items in list order, filtered by the
        query's ``group`` and cut at its ``count``."""
        group = query.get("group")
        if group not in (None, "true", "false"):
            raise Refused(400, "Validation failed. Details: 'group' must be true or false")
        count = query.get("count")
        if count is not None and not (count.isascii() and count.isdigit() and int(count) >= 1):
            raise Refused(400, "Validation failed. Details: 'count' must be a positive integer")
        if self._empty_answers:
            self._empty_answers -= 1
            return []
        chosen = [
            dict(contact.raw)
            for contact in self._contacts
            if group is None or _is_group(contact) == (group == "true")
        ]
        return chosen if count is None else chosen[: int(count)]

    def reached_by(self, participants: Sequence[str]) -> list[str]:
        """Whom a status to ``participants`` (empty: all contacts) reached, as
        the contact list names them, for its statistic.

        With no contacts at all the fake has no list to apply the rule to (an
        empty list is GREEN-API's known transient failure, not an audience),
        and a status reaches its ``participants`` as they were sent."""
        if not participants:
            return list(self._reached.values())
        if not self._contacts:
            return list(participants)
        reached: dict[str, str] = {}
        for participant in participants:
            key = _key(participant)
            if key in self._reached:
                reached.setdefault(key, self._reached[key])
        return list(reached.values())
