"""The bodies and queries GREEN-API refuses, as the fake checks them (400
with GREEN-API's "Validation failed. Details: ..." message).

Where greenstatus's own check before sending is the same GREEN-API rule, the
value is shared (``MESSAGE_MAX``, ``CAPTION_MAX``, ``Font``); elsewhere the fake
keeps its own, and says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .._methods import SEND_MEDIA_STATUS, SEND_TEXT_STATUS, ApiMethod
from .._requests import CAPTION_MAX, MESSAGE_MAX, Font
from ._replies import Refused

__all__ = ["minutes_of", "validate_send"]

_FONTS = tuple(font.value for font in Font)
# The pattern greenstatus's own colour check uses too; that one is a private
# detail of its request module (which may move), so the fake keeps its copy.
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def validate_send(method: ApiMethod, payload: dict[str, object]) -> None:
    """Refuse a send's body as GREEN-API does (``Refused``, 400)."""

    def fail(detail: str) -> Refused:
        return Refused(400, f"Validation failed. Details: {detail}")

    def text(key: str, *, required: bool, max_len: int | None = None) -> None:
        value = payload.get(key)
        if value is None:
            if required:
                raise fail(f"'{key}' is required")
            return
        if not isinstance(value, str) or (required and not value):
            raise fail(f"'{key}' must be a non-empty string")
        if max_len is not None and len(value) > max_len:
            raise fail(f"'{key}' must be at most {max_len} characters")

    if method is SEND_TEXT_STATUS:
        text("message", required=True, max_len=MESSAGE_MAX)
        font = payload.get("font")
        if font is not None and font not in _FONTS:
            raise fail(f"'font' must be one of {', '.join(_FONTS)}")
    else:
        text("urlFile", required=True)
        text("fileName", required=True)
        # GREEN-API asks for an extension, any; greenstatus's own check is
        # stricter (the extensions a phone shows as a status), so not shared.
        file_name = str(payload["fileName"])
        if "." not in file_name.strip("."):
            raise fail("'fileName' must have an extension")
    if method is SEND_MEDIA_STATUS:
        text("caption", required=False, max_len=CAPTION_MAX)
    color = payload.get("backgroundColor")
    if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
        raise fail("'backgroundColor' must be a colour like #228B22")
    # GREEN-API documents an array of strings; greenstatus checks and
    # normalises each chat id before sending, a rule of its own, so not shared.
    participants = payload.get("participants")
    if participants is not None and not (
        isinstance(participants, list) and all(isinstance(p, str) for p in participants)
    ):
        raise fail("'participants' must be an array of strings")


def minutes_of(query: Mapping[str, str]) -> int:
    """The getters' ``minutes`` query (default 1440), or 400."""
    raw = query.get("minutes")
    if raw is None:
        return 1440
    if not raw.isdigit() or int(raw) < 1:
        raise Refused(400, "Validation failed. Details: 'minutes' must be a positive integer")
    return int(raw)
