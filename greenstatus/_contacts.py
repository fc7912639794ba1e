"""The instance's contacts (getContacts), as greenstatus reads them."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._raw import raw_field

__all__ = ["Contact", "parse_contacts"]


@attrs.frozen
class Contact:
    """One entry of the instance's contact list (getContacts).

    ``name`` is the WhatsApp profile name and ``contact_name`` the name in the
    phone book, each ``""`` when absent; a status reaches only contacts with a
    ``contact_name`` (see [`check_audience`][greenstatus.AsyncStatusClient.check_audience]).
    ``type`` is ``"user"`` or ``"group"`` (kept as sent, should more appear);
    ``raw`` is the item as GREEN-API sent it, new fields included.
    """

    chat_id: str
    name: str = ""
    contact_name: str = ""
    type: str = "user"
    raw: Mapping[str, object] = raw_field()

    @property
    def is_group(self) -> bool:
        """A group chat (``type`` ``"group"``, or a ``@g.us`` chat id)."""
        return self.type == "group" or self.chat_id.endswith("@g.us")

    @property
    def is_user(self) -> bool:
        """A person (``type`` ``"user"``, not a ``@g.us`` chat id): the only
        contacts a status can reach."""
        return self.type == "user" and not self.chat_id.endswith("@g.us")

    @property
    def is_named(self) -> bool:
        """A person saved in the phone book: a user, with a ``contact_name``
        that is more than white space."""
        return self.is_user and bool(self.contact_name.strip())


def parse_contacts(body: object) -> tuple[Contact, ...]:
    """The array of getContacts: each item's ``id`` is required, the rest
    optional (``null`` or absent names are ``""``, an absent type ``"user"``)."""
    if not isinstance(body, list):
        raise ValueError(f"getContacts answered {type(body).__name__}, expected an array")
    contacts = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            raise ValueError(f"[{index}] is {type(item).__name__}, expected an object")
        chat_id = item.get("id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ValueError(f"[{index}].id is {chat_id!r}, expected a chat id")
        contacts.append(
            Contact(
                chat_id,
                name=_text(item, "name"),
                contact_name=_text(item, "contactName"),
                type=_text(item, "type") or "user",
                raw=item,
            )
        )
    return tuple(contacts)


def _text(item: Mapping[str, object], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""
