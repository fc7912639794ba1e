"""Frozen, validated request objects for the three status sends.

Validation happens at construction, so an object that exists is one GREEN-API
documents as acceptable; the mapping to the API's camelCase JSON lives in
``to_payload`` alone.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeAlias
from urllib.parse import urlsplit

import attrs

from ._exceptions import InvalidStatusError
from ._methods import SEND_MEDIA_STATUS, SEND_TEXT_STATUS, SEND_VOICE_STATUS, ApiMethod

__all__ = [
    "MEDIA_EXTENSIONS",
    "VOICE_EXTENSIONS",
    "Font",
    "MediaStatus",
    "Status",
    "TextStatus",
    "VoiceStatus",
    "normalize_chat_id",
]

MESSAGE_MAX = 500
CAPTION_MAX = 1024
VOICE_EXTENSIONS = frozenset({"mp3", "wav"})
MEDIA_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "png", "gif", "webp", "bmp", "mp4", "mov", "3gp", "avi", "mkv", "webm"}
)

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_CHAT_ID = re.compile(r"[1-9]\d{6,14}@c\.us")
# What people type around the digits of a phone number: +7 (900) 123-45-67.
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_PHONE_DIGITS = re.compile(r"\+?[1-9]\d{6,14}")


class Font(enum.Enum):
    """The fonts of a text status (they apply to Latin letters only)."""

    SERIF = "SERIF"
    SANS_SERIF = "SANS_SERIF"
    NORICAN_REGULAR = "NORICAN_REGULAR"
    BRYNDAN_WRITE = "BRYNDAN_WRITE"
    OSWALD_HEAVY = "OSWALD_HEAVY"


def normalize_chat_id(value: object, field: str = "participant") -> str:
    """Return the chat id ``79001234567@c.us`` for a chat id or a phone number.

    >>> normalize_chat_id("+7 (900) 123-45-67")
    '79001234567@c.us'
    """
    if not isinstance(value, str):
        raise InvalidStatusError(field, f"expected a str, got {type(value).__name__}")
    text = value.strip()
    if "@" in text:
        if _CHAT_ID.fullmatch(text):
            return text
        raise InvalidStatusError(
            field, f"{value!r} is not a contact chat id like '79001234567@c.us'"
        )
    compact = _PHONE_PUNCTUATION.sub("", text)
    if _PHONE_DIGITS.fullmatch(compact):
        return f"{compact.lstrip('+')}@c.us"
    raise InvalidStatusError(
        field,
        f"{value!r} is neither a chat id like '79001234567@c.us' nor an international "
        "phone number (7 to 15 digits, country code first)",
    )


def _participants(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidStatusError(
            "participants", f"expected a list of chat ids, got {type(value).__name__}"
        )
    seen: dict[str, None] = {}
    for index, item in enumerate(value):
        seen.setdefault(normalize_chat_id(item, f"participants[{index}]"), None)
    return tuple(seen)


def _font(value: Font | str | None) -> Font | None:
    if value is None or isinstance(value, Font):
        return value
    if isinstance(value, str) and value in Font.__members__:
        return Font[value]
    choices = ", ".join(Font.__members__)
    raise InvalidStatusError("font", f"{value!r} is not one of {choices}")


# attrs infers a field's type from its validator, so validators take Any values.
_Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _text(*, min_len: int = 1, max_len: int | None = None) -> _Validator:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidStatusError(attribute.name, f"expected a str, got {type(value).__name__}")
        if len(value) < min_len:
            raise InvalidStatusError(attribute.name, "must not be empty")
        if max_len is not None and len(value) > max_len:
            raise InvalidStatusError(
                attribute.name, f"is {len(value)} characters long, at most {max_len} allowed"
            )

    return check


def _optional(check: _Validator) -> _Validator:
    def maybe(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance, attribute, value)

    return maybe


def _color(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _COLOR.fullmatch(value)):
        raise InvalidStatusError(attribute.name, f"{value!r} is not a colour like '#228B22'")


def _url_file(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise InvalidStatusError(attribute.name, f"expected a str, got {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or value != value.strip():
        raise InvalidStatusError(
            attribute.name, f"{value!r} is not an absolute http(s) URL of the file"
        )
    if any(char.isspace() for char in value):
        raise InvalidStatusError(attribute.name, "must not contain white space")


def _file_name(allowed: frozenset[str], kind: str) -> _Validator:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidStatusError(attribute.name, f"expected a str, got {type(value).__name__}")
        if not value or "/" in value or "\\" in value or value != value.strip():
            raise InvalidStatusError(
                attribute.name, f"{value!r} is not a bare file name like 'horse.mp3'"
            )
        stem, dot, extension = value.rpartition(".")
        if not dot or not stem:
            raise InvalidStatusError(
                attribute.name, f"{value!r} has no extension; GREEN-API needs one"
            )
        if extension.lower() not in allowed:
            names = ", ".join(f".{ext}" for ext in sorted(allowed))
            raise InvalidStatusError(
                attribute.name, f"{value!r} is not a {kind} file; use one of {names}"
            )

    return check


def _payload(**fields: object) -> dict[str, object]:
    """The JSON body: ``None`` fields and empty ``participants`` left out."""
    return {key: value for key, value in fields.items() if value is not None and value != []}


@attrs.frozen(kw_only=True)
class TextStatus:
    """A text status: ``message`` drawn in white on ``background_color``."""

    api_method: ClassVar[ApiMethod] = SEND_TEXT_STATUS

    message: str = attrs.field(validator=_text(max_len=MESSAGE_MAX))
    background_color: str | None = attrs.field(default=None, validator=_color)
    font: Font | None = attrs.field(default=None, converter=_font)
    participants: tuple[str, ...] = attrs.field(default=(), converter=_participants)

    def to_payload(self) -> dict[str, object]:
        """The exact JSON body of ``sendTextStatus``."""
        return _payload(
            message=self.message,
            backgroundColor=self.background_color,
            font=self.font.value if self.font is not None else None,
            participants=list(self.participants),
        )


@attrs.frozen(kw_only=True)
class VoiceStatus:
    """A voice status from a direct link to an .mp3 or .wav file."""

    api_method: ClassVar[ApiMethod] = SEND_VOICE_STATUS

    url_file: str = attrs.field(validator=_url_file)
    file_name: str = attrs.field(validator=_file_name(VOICE_EXTENSIONS, "voice"))
    background_color: str | None = attrs.field(default=None, validator=_color)
    participants: tuple[str, ...] = attrs.field(default=(), converter=_participants)

    def to_payload(self) -> dict[str, object]:
        """The exact JSON body of ``sendVoiceStatus``."""
        return _payload(
            urlFile=self.url_file,
            fileName=self.file_name,
            backgroundColor=self.background_color,
            participants=list(self.participants),
        )


@attrs.frozen(kw_only=True)
class MediaStatus:
    """A picture or video status from a direct link to the file."""

    api_method: ClassVar[ApiMethod] = SEND_MEDIA_STATUS

    url_file: str = attrs.field(validator=_url_file)
    file_name: str = attrs.field(validator=_file_name(MEDIA_EXTENSIONS, "picture or video"))
    caption: str | None = attrs.field(
        default=None, validator=_optional(_text(min_len=0, max_len=CAPTION_MAX))
    )
    participants: tuple[str, ...] = attrs.field(default=(), converter=_participants)

    def to_payload(self) -> dict[str, object]:
        """The exact JSON body of ``sendMediaStatus``."""
        return _payload(
            urlFile=self.url_file,
            fileName=self.file_name,
            caption=self.caption,
            participants=list(self.participants),
        )


Status: TypeAlias = TextStatus | VoiceStatus | MediaStatus
"""Any of the three status requests."""
