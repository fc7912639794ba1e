"""Frozen, validated request objects for the three status sends.

Validation happens at construction, so an object that exists is one GREEN-API
documents as acceptable; the mapping to the API's camelCase JSON lives in
``to_payload`` alone.
"""

from __future__ import annotations

import contextlib
import enum
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias
from urllib.parse import urlsplit

import attrs
import phonenumbers

from ._exceptions import GreenStatusWarning, InvalidStatusError
from ._methods import SEND_MEDIA_STATUS, SEND_TEXT_STATUS, SEND_VOICE_STATUS, ApiMethod

__all__ = [
    "MEDIA_EXTENSIONS",
    "REFUSED_MEDIA_EXTENSIONS",
    "REFUSED_VOICE_EXTENSIONS",
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
# greenstatus's own bounds, where GREEN-API documents none (docs/requests.md
# gives the reason for each).
URL_FILE_MAX = 4096
FILE_NAME_MAX = 255
PARTICIPANTS_MAX = 5000
_PARTICIPANT_ENTRIES_MAX = 10 * PARTICIPANTS_MAX
_PARTICIPANT_TEXT_MAX = 64
VOICE_EXTENSIONS = frozenset({"mp3", "wav"})
# GREEN-API's table of supported extensions and users' reports (docs/requests.md
# gives the source of each): pictures and videos a phone shows as a status.
MEDIA_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "mp4", "mov", "m4v"})
# Extensions people try that GREEN-API takes but phones do not show as a
# status, or does not take at all: why, and what to send instead.
REFUSED_MEDIA_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "gif": "phones do not show a GIF status (GREEN-API issue #53); convert it to .mp4",
        "webp": "WebP shows only with a workaround (GREEN-API issue #336); convert it to .jpg "
        "or .png",
        "3gp": "3GP is delivered as a file, not shown as a status; convert it to .mp4",
        "avi": "AVI is not in GREEN-API's table of supported files; convert it to .mp4",
        "mkv": "MKV is not in GREEN-API's table of supported files; convert it to .mp4",
        "webm": "WebM is not in GREEN-API's table of supported files; convert it to .mp4",
        "bmp": "BMP is not in GREEN-API's table of supported files; convert it to .png",
        "heic": "HEIC is not in GREEN-API's table of supported files; convert it to .jpg",
        "mp3": "sendMediaStatus does not take audio (users report it); send it as a voice "
        "status (send_voice_status)",
        "wav": "sendMediaStatus does not take audio; send it as a voice status (send_voice_status)",
    }
)
REFUSED_VOICE_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        ext: f"a voice status takes .mp3 or .wav, not .{ext}; convert it to .mp3"
        for ext in ("ogg", "oga", "opus", "m4a", "aac", "flac", "amr", "wma")
    }
)

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
# Digits are ASCII digits: \d would take any script's (Arabic-Indic, fullwidth...).
_CHAT_ID = re.compile(r"([1-9][0-9]{6,14})@c\.us")
# A WhatsApp "linked id" (LID): an opaque number, not a phone number, e.g.
# 120650379300963@lid. GREEN-API documents them as participants.
_LID = re.compile(r"[1-9][0-9]{5,19}@lid")
# What people type around the digits of a phone number: +7 (900) 123-45-67.
_PHONE_PUNCTUATION = re.compile(r"[\s()\-.]")
_PHONE_DIGITS = re.compile(r"\+?([1-9][0-9]{6,14})")
# Characters that never belong in what is sent: control characters (tab, line
# feed and carriage return aside, which text may hold) and lone surrogates,
# which have no UTF-8 form.
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A URL or a file name holds printable characters only (str.isprintable: no
# control, format, line or paragraph separator, unassigned or private-use
# character, no surrogate): nothing in it that a reader cannot see.


class Font(enum.Enum):
    """The fonts of a text status (they apply to Latin letters only)."""

    SERIF = "SERIF"
    SANS_SERIF = "SANS_SERIF"
    NORICAN_REGULAR = "NORICAN_REGULAR"
    BRYNDAN_WRITE = "BRYNDAN_WRITE"
    OSWALD_HEAVY = "OSWALD_HEAVY"


def normalize_chat_id(value: object, field: str = "participant") -> str:
    """Return the chat id ``79001234567@c.us`` for a chat id or a phone number.

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
    if len(text) > _PARTICIPANT_TEXT_MAX:
        raise InvalidStatusError(
            field, f"is {len(text)} characters long; a chat id or phone number is shorter"
        )
    if "@" in text:
        chat = _CHAT_ID.fullmatch(text)
        if (chat and _possible_number(chat[1])) or _LID.fullmatch(text):
            return text
        raise InvalidStatusError(
            field,
            f"{value!r} is not a contact chat id like '79001234567@c.us' or '120650379300963@lid'",
        )
    phone = _PHONE_DIGITS.fullmatch(_PHONE_PUNCTUATION.sub("", text))
    if phone and _possible_number(phone[1]):
        return f"{phone[1]}@c.us"
    raise InvalidStatusError(
        field,
        f"{value!r} is neither a chat id like '79001234567@c.us' nor an international "
        "phone number (7 to 15 digits, country code first)",
    )


def _possible_number(digits: str) -> bool:
    """Whether ``digits`` (country code first) can be a phone number there: a
    known country code and a length that country's numbers can have. So a
    national number with its trunk prefix (``8 900 ...``) is refused."""
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def _participants(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidStatusError(
            "participants", f"expected a list of chat ids, got {type(value).__name__}"
        )
    # The limit is on the chat ids sent: each once, so two spellings of one
    # number count once. The entries read are bounded too, so that an endless
    # iterable of one id ends.
    seen: dict[str, None] = {}
    for index, item in enumerate(value):
        if index >= _PARTICIPANT_ENTRIES_MAX:
            raise InvalidStatusError(
                "participants",
                f"more than {_PARTICIPANT_ENTRIES_MAX} entries; list each chat id once",
            )
        seen.setdefault(normalize_chat_id(item, f"participants[{index}]"), None)
        if len(seen) > PARTICIPANTS_MAX:
            raise InvalidStatusError(
                "participants",
                f"more than {PARTICIPANTS_MAX} distinct chat ids (participants[{index}] is "
                f"number {PARTICIPANTS_MAX + 1}); send in batches",
            )
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
        _check_text(attribute.name, value)

    return check


def _check_text(field: str, value: str) -> None:
    found = _NOT_IN_TEXT.search(value)
    if found is not None:
        _refuse_character(field, found[0], found.start())


def _check_printable(field: str, value: str) -> None:
    if not value.isprintable():
        index, char = next((i, c) for i, c in enumerate(value) if not c.isprintable())
        _refuse_character(field, char, index)


def _refuse_character(field: str, char: str, index: int) -> None:
    if "\ud800" <= char <= "\udfff":
        what = "a lone surrogate"
    elif unicodedata.category(char) == "Cc":
        what = "a control character"
    else:
        what = f"a character that is not printable ({unicodedata.category(char)})"
    raise InvalidStatusError(field, f"contains {what}, U+{ord(char):04X}, at position {index}")


def _optional(check: _Validator) -> _Validator:
    def maybe(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance, attribute, value)

    return maybe


def _color(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _COLOR.fullmatch(value)):
        raise InvalidStatusError(attribute.name, f"{value!r} is not a colour like '#228B22'")


def check_url_file(field: str, value: object) -> str:
    """``value`` as a ``url_file``: an absolute http(s) URL, or InvalidStatusError."""
    if not isinstance(value, str):
        raise InvalidStatusError(field, f"expected a str, got {type(value).__name__}")
    if len(value) > URL_FILE_MAX:
        raise InvalidStatusError(
            field, f"is {len(value)} characters long, at most {URL_FILE_MAX} allowed"
        )
    _check_printable(field, value)
    if any(char.isspace() for char in value):
        raise InvalidStatusError(field, "must not contain white space")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError as error:  # a bracket left open, a port that is no number...
        raise InvalidStatusError(field, f"{value!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidStatusError(field, f"{value!r} is not an absolute http(s) URL of the file")
    try:
        parts.hostname.encode("idna")  # a name a resolver takes: no empty label...
    except UnicodeError as error:
        raise InvalidStatusError(field, f"{value!r} has no valid host name ({error})") from None
    return value


def _url_file(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_url_file(attribute.name, value)


def _file_name(allowed: frozenset[str], kind: str, refused: Mapping[str, str]) -> _Validator:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            raise InvalidStatusError(attribute.name, f"expected a str, got {type(value).__name__}")
        if len(value) > FILE_NAME_MAX:
            raise InvalidStatusError(
                attribute.name, f"is {len(value)} characters long, at most {FILE_NAME_MAX} allowed"
            )
        _check_printable(attribute.name, value)
        if not value or "/" in value or "\\" in value or value != value.strip():
            raise InvalidStatusError(
                attribute.name, f"{value!r} is not a bare file name like 'horse.mp3'"
            )
        stem, dot, extension = value.rpartition(".")
        if not dot or not stem:
            raise InvalidStatusError(
                attribute.name, f"{value!r} has no extension; GREEN-API needs one"
            )
        extension = extension.lower()
        if extension not in allowed:
            names = ", ".join(f".{ext}" for ext in sorted(allowed))
            why = refused.get(extension)
            detail = f": {why}" if why else f"; use one of {names}"
            raise InvalidStatusError(
                attribute.name, f"{value!r} is not a {kind} file a status can show{detail}"
            )

    return check


# Frames between a request's constructor and the user's code that called it,
# beyond the caller's own: a warning is reported at the user's line.
_WRAPPER_DEPTH: ContextVar[int] = ContextVar("greenstatus_wrapper_depth", default=0)


@contextlib.contextmanager
def built_for_caller() -> Iterator[None]:
    """Around a request built by a method on its caller's behalf (one frame
    deeper), so that a warning names the caller's line, not greenstatus's."""
    token = _WRAPPER_DEPTH.set(_WRAPPER_DEPTH.get() + 1)
    try:
        yield
    finally:
        _WRAPPER_DEPTH.reset(token)


# White text needs this contrast against its background to be read as large
# text (WCAG 2's minimum for large text: 3 to 1).
_MIN_CONTRAST = 3.0


def _contrast_with_white(color: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(color[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


_VOICE_FILE_NAME = _file_name(VOICE_EXTENSIONS, "voice", REFUSED_VOICE_EXTENSIONS)
_MEDIA_FILE_NAME = _file_name(MEDIA_EXTENSIONS, "picture or video", REFUSED_MEDIA_EXTENSIONS)


def _payload(**fields: object) -> dict[str, object]:
    """The JSON body: ``None`` fields and empty ``participants`` left out."""
    return {key: value for key, value in fields.items() if value is not None and value != []}


@attrs.frozen(kw_only=True)
class TextStatus:
    """A text status: ``message`` drawn in white on ``background_color``."""

    api_method: ClassVar[ApiMethod] = SEND_TEXT_STATUS
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendTextStatus"``)."""

    message: str = attrs.field(validator=_text(max_len=MESSAGE_MAX))
    background_color: str | None = attrs.field(default=None, validator=_color)
    font: Font | None = attrs.field(default=None, converter=_font)
    participants: tuple[str, ...] = attrs.field(default=(), converter=_participants)

    def __attrs_post_init__(self) -> None:
        color = self.background_color
        if color is not None and _contrast_with_white(color) < _MIN_CONTRAST:
            warnings.warn(
                f"background_color {color} is too light for a text status: GREEN-API "
                f"draws the text in white, which reads at {_contrast_with_white(color):.1f} "
                f"to 1 on it (at least {_MIN_CONTRAST:g} to 1 is needed); choose a darker "
                "colour such as '#228B22'",
                GreenStatusWarning,
                stacklevel=3 + _WRAPPER_DEPTH.get(),
            )

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
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendVoiceStatus"``)."""

    url_file: str = attrs.field(validator=_url_file)
    file_name: str = attrs.field(validator=_VOICE_FILE_NAME)
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
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendMediaStatus"``)."""

    url_file: str = attrs.field(validator=_url_file)
    file_name: str = attrs.field(validator=_MEDIA_FILE_NAME)
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
