"""Frozen, validated request objects for the three status sends.

Validation happens at construction, so an object that exists is one GREEN-API
documents as acceptable; the mapping to the API's camelCase JSON lives in
``to_payload`` alone. The checks of each field live in ``_fields`` (text,
colours, links, file names), ``_participants`` and ``_media_types``.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from typing import ClassVar, TypeAlias

import attrs

from ._exceptions import GreenStatusWarning, InvalidStatusError
from ._fields import (
    CAPTION_MAX,
    FILE_NAME_MAX,
    MESSAGE_MAX,
    URL_FILE_MAX,
    check_url_file,
    color,
    file_name,
    optional,
    text,
    url_file,
)
from ._media_types import (
    MEDIA_EXTENSIONS,
    REFUSED_MEDIA_EXTENSIONS,
    REFUSED_VOICE_EXTENSIONS,
    VOICE_EXTENSIONS,
)
from ._methods import SEND_MEDIA_STATUS, SEND_TEXT_STATUS, SEND_VOICE_STATUS, ApiMethod
from ._participants import (
    ALL_CONTACTS,
    PARTICIPANTS_MAX,
    AllContacts,
    Participants,
    convert_participants,
    normalize_chat_id,
)

__all__ = [
    "ALL_CONTACTS",
    "CAPTION_MAX",
    "FILE_NAME_MAX",
    "MEDIA_EXTENSIONS",
    "MESSAGE_MAX",
    "PARTICIPANTS_MAX",
    "REFUSED_MEDIA_EXTENSIONS",
    "REFUSED_VOICE_EXTENSIONS",
    "URL_FILE_MAX",
    "VOICE_EXTENSIONS",
    "AllContacts",
    "Font",
    "MediaStatus",
    "Status",
    "TextStatus",
    "VoiceStatus",
    "built_for_caller",
    "check_url_file",
    "normalize_chat_id",
]


class Font(enum.Enum):
    """The fonts of a text status (they apply to Latin letters only)."""

    SERIF = "SERIF"
    SANS_SERIF = "SANS_SERIF"
    NORICAN_REGULAR = "NORICAN_REGULAR"
    BRYNDAN_WRITE = "BRYNDAN_WRITE"
    OSWALD_HEAVY = "OSWALD_HEAVY"


def _font(value: Font | str | None) -> Font | None:
    if value is None or isinstance(value, Font):
        return value
    if isinstance(value, str) and value in Font.__members__:
        return Font[value]
    choices = ", ".join(Font.__members__)
    raise InvalidStatusError("font", f"{value!r} is not one of {choices}")


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


_VOICE_FILE_NAME = file_name(VOICE_EXTENSIONS, "voice", REFUSED_VOICE_EXTENSIONS)
_MEDIA_FILE_NAME = file_name(MEDIA_EXTENSIONS, "picture or video", REFUSED_MEDIA_EXTENSIONS)


def _payload(**fields: object) -> dict[str, object]:
    """The JSON body: ``None`` fields and empty ``participants`` left out."""
    return {key: value for key, value in fields.items() if value is not None and value != []}


def _listed(value: Participants) -> list[str]:
    if isinstance(value, AllContacts):
        raise InvalidStatusError(
            "participants",
            "ALL_CONTACTS is expanded by AsyncStatusClient when it sends the status; "
            "to build the body yourself, list the chat ids (check_audience().reached)",
        )
    return list(value)


@attrs.frozen(kw_only=True)
class TextStatus:
    """A text status: ``message`` drawn in white on ``background_color``."""

    api_method: ClassVar[ApiMethod] = SEND_TEXT_STATUS
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendTextStatus"``)."""

    message: str = attrs.field(validator=text(max_len=MESSAGE_MAX))
    background_color: str | None = attrs.field(default=None, validator=color)
    font: Font | None = attrs.field(default=None, converter=_font)
    participants: Participants = attrs.field(default=(), converter=convert_participants)

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
            participants=_listed(self.participants),
        )


@attrs.frozen(kw_only=True)
class VoiceStatus:
    """A voice status from a direct link to an .mp3 or .wav file."""

    api_method: ClassVar[ApiMethod] = SEND_VOICE_STATUS
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendVoiceStatus"``)."""

    url_file: str = attrs.field(validator=url_file)
    file_name: str = attrs.field(validator=_VOICE_FILE_NAME)
    background_color: str | None = attrs.field(default=None, validator=color)
    participants: Participants = attrs.field(default=(), converter=convert_participants)

    def to_payload(self) -> dict[str, object]:
        """The exact JSON body of ``sendVoiceStatus``."""
        return _payload(
            urlFile=self.url_file,
            fileName=self.file_name,
            backgroundColor=self.background_color,
            participants=_listed(self.participants),
        )


@attrs.frozen(kw_only=True)
class MediaStatus:
    """A picture or video status from a direct link to the file."""

    api_method: ClassVar[ApiMethod] = SEND_MEDIA_STATUS
    """The GREEN-API method that sends it: its name, HTTP verb and rate limit.
    An error of the send names the method by ``api_method`` too, but as a
    string, this one's ``.name`` (``"sendMediaStatus"``)."""

    url_file: str = attrs.field(validator=url_file)
    file_name: str = attrs.field(validator=_MEDIA_FILE_NAME)
    caption: str | None = attrs.field(
        default=None, validator=optional(text(min_len=0, max_len=CAPTION_MAX))
    )
    participants: Participants = attrs.field(default=(), converter=convert_participants)

    def to_payload(self) -> dict[str, object]:
        """The exact JSON body of ``sendMediaStatus``."""
        return _payload(
            urlFile=self.url_file,
            fileName=self.file_name,
            caption=self.caption,
            participants=_listed(self.participants),
        )


Status: TypeAlias = TextStatus | VoiceStatus | MediaStatus
"""Any of the three status requests."""
