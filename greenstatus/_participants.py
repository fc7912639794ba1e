"""Who a status is for, as the request objects take it: chat ids and phone
numbers, each checked and normalised to the chat id sent, or
``ALL_CONTACTS``, which the client expands at send time."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, TypeAlias

from ._exceptions import AudienceError, InvalidStatusError

if TYPE_CHECKING:
    import phonenumbers

__all__ = [
    "ALL_CONTACTS",
    "ENTRIES_MAX",
    "PARTICIPANTS_MAX",
    "AllContacts",
    "ChatIds",
    "Participants",
    "chat_number",
    "convert_participants",
    "normalize_chat_id",
]

# greenstatus's own bound, where GREEN-API documents none (docs/requests.md).
PARTICIPANTS_MAX = 5000
ENTRIES_MAX = 10 * PARTICIPANTS_MAX
_TEXT_MAX = 64

# Digits are ASCII digits: \d would take any script's (Arabic-Indic, fullwidth...).
_CHAT_ID = re.compile(r"([1-9][0-9]{6,14})@c\.us")
# A WhatsApp "linked id" (LID): an opaque number, not a phone number, e.g.
# 120650379300963@lid. GREEN-API documents them as participants.
_LID = re.compile(r"[1-9][0-9]{5,19}@lid")
# A group chat: 120363043968066561@g.us, or the older 79001234567-1581234048@g.us.
_GROUP = re.compile(r"[0-9]+(-[0-9]+)?@g\.us")
# What people type around the digits of a phone number: +7 (900) 123-45-67.
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_PHONE_DIGITS = re.compile(r"\+?([1-9][0-9]{6,14})")


class AllContacts(enum.Enum):
    """The type of ``ALL_CONTACTS``."""

    ALL_CONTACTS = "ALL_CONTACTS"

    def __repr__(self) -> str:
        return "greenstatus.ALL_CONTACTS"


ALL_CONTACTS: Final = AllContacts.ALL_CONTACTS
"""``participants=ALL_CONTACTS``: every contact the status can reach, listed.

The client expands it when it sends: one getContacts (remembered for 5
minutes), and the status goes to the audience's ``reached`` chat ids, named
one by one. Unlike an absent ``participants`` ("all contacts", to GREEN-API),
that reaches iPhones too (GREEN-API issue #1124)."""

Participants: TypeAlias = "tuple[str, ...] | AllContacts"
"""A request's ``participants``: chat ids, or ``ALL_CONTACTS``."""


def normalize_chat_id(value: object, field: str = "participant") -> str:
    """Return the chat id ``79001234567@c.us`` for a chat id or a phone number.

    A phone number must be a valid number of its country, country code first
    (libphonenumber's metadata): ``"900 123 45 67"``, a national number
    without its country code, reaches no one and is refused. A chat id given
    as a chat id is taken as it is.

    ```python
    from greenstatus import normalize_chat_id

    print(normalize_chat_id("+7 (900) 123-45-67"))
    ```

    ```text title="Output"
    79001234567@c.us
    ```
    """
    if not isinstance(value, str):
        raise InvalidStatusError(field, f"expected a str, got {type(value).__name__}")
    text = value.strip()  # the white space around it is not sent, so not counted
    if len(text) > _TEXT_MAX:
        raise InvalidStatusError(
            field, f"is {len(text)} characters long; a chat id or phone number is shorter"
        )
    if "@" in text:
        chat = _CHAT_ID.fullmatch(text)
        if (chat and _possible_number(chat[1])) or _LID.fullmatch(text):
            return text
        if _GROUP.fullmatch(text):
            raise AudienceError(
                field,
                f"{text!r} is a group chat: a status goes to contacts, never to a group",
                chat_id=text,
                reason="groups",
            )
        raise InvalidStatusError(
            field,
            f"{value!r} is not a contact chat id like '79001234567@c.us' or '120650379300963@lid'",
        )
    phone = _PHONE_DIGITS.fullmatch(_PHONE_PUNCTUATION.sub("", text))
    if phone is None:
        raise InvalidStatusError(
            field,
            f"{value!r} is neither a chat id like '79001234567@c.us' nor an international "
            "phone number (7 to 15 digits, country code first)",
        )
    e164 = _valid_number(phone[1])
    if e164 is None:
        raise InvalidStatusError(
            field,
            f"{value!r} is not a valid phone number with its country code: write the "
            "country code first, e.g. '+7 900 123-45-67' rather than '900 123 45 67' or "
            "'8 900 123 45 67' (a number the check does not know yet can be given as a "
            "chat id, '79001234567@c.us')",
        )
    return f"{e164}@c.us"


def chat_number(chat_id: str) -> str:
    """What a chat id is matched by: the number of a ``@c.us`` chat id (as
    contacts list them), else the chat id itself."""
    number, at, domain = chat_id.partition("@")
    return number if at and domain == "c.us" else chat_id


def _parse(digits: str) -> phonenumbers.PhoneNumber | None:
    # libphonenumber and its metadata are loaded with the first number
    # checked, not with greenstatus: a cron job's one text status needs none.
    import phonenumbers

    try:
        return phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None


# Each check parses the number with libphonenumber (tens of microseconds); the
# same chat ids come back send after send (ALL_CONTACTS lists up to 1024), so
# the answers are kept for the numbers seen last.
@functools.lru_cache(maxsize=8192)
def _possible_number(digits: str) -> bool:
    """Whether ``digits`` (country code first) can be a phone number there: a
    known country code and a length that country's numbers can have."""
    import phonenumbers

    number = _parse(digits)
    return number is not None and bool(phonenumbers.is_possible_number(number))


@functools.lru_cache(maxsize=8192)
def _valid_number(digits: str) -> str | None:
    """``digits`` (country code first) as the E.164 digits of a number in its
    country's numbering plan (libphonenumber's metadata); ``None`` when it is
    none. A trunk prefix typed after the country code, ``+44 (0)7911...`` or
    ``+7 8 900...``, is dropped as the parser drops it: the number sent is
    the one checked."""
    import phonenumbers

    number = _parse(digits)
    if number is None or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def convert_participants(value: Iterable[str] | AllContacts) -> Participants:
    """The ``participants`` converter: ``ALL_CONTACTS`` as it is, else a tuple
    of distinct chat ids, first occurrence first."""
    if value is ALL_CONTACTS:
        return ALL_CONTACTS
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidStatusError(
            "participants",
            f"expected a list of chat ids or ALL_CONTACTS, got {type(value).__name__}",
        )
    # The limit is on the chat ids sent: each once, so two spellings of one
    # number count once. The entries read are bounded too, so that an endless
    # iterable of one id ends.
    if isinstance(value, ChatIds):
        return value  # checked already (attrs.evolve of a request passes it again)
    seen: dict[str, int] = {}
    for index, item in enumerate(value):
        if index >= ENTRIES_MAX:
            raise InvalidStatusError(
                "participants",
                f"more than {ENTRIES_MAX} entries; list each chat id once",
            )
        seen.setdefault(normalize_chat_id(item, f"participants[{index}]"), index)
        if len(seen) > PARTICIPANTS_MAX:
            raise InvalidStatusError(
                "participants",
                f"more than {PARTICIPANTS_MAX} distinct chat ids (participants[{index}] is "
                f"number {PARTICIPANTS_MAX + 1}); send in batches",
            )
    return ChatIds(seen, seen.values())


class ChatIds(tuple[str, ...]):
    """A request's participants as checked: each chat id once, first
    occurrence first. A tuple, equal to any tuple of the same chat ids; it
    also knows where in the list given each one was (``position``), so that an
    error names the entry the caller wrote, duplicates or not."""

    positions: tuple[int, ...]

    def __new__(cls, chat_ids: Iterable[str], positions: Iterable[int] | None = None) -> ChatIds:
        made = super().__new__(cls, chat_ids)
        made.positions = tuple(range(len(made))) if positions is None else tuple(positions)
        return made

    def __getnewargs__(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        return (tuple(self), self.positions)

    def position(self, index: int) -> int:
        """Where the ``index``-th chat id stood in the list given."""
        return self.positions[index]
