"""The checks of a status request's fields: text, colours, links and file
names, each with the bound greenstatus holds it to (docs/requests.md gives
the reason for each). Each raises ``InvalidStatusError`` naming the field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import attrs

from ._exceptions import InvalidStatusError
from ._link_shapes import page_link_problem

__all__ = [
    "CAPTION_MAX",
    "FILE_NAME_MAX",
    "MESSAGE_MAX",
    "URL_FILE_MAX",
    "Validator",
    "check_url_file",
    "color",
    "file_name",
    "optional",
    "text",
    "url_file",
]

# GREEN-API's own JS and Go SDKs hold a text status to 500 characters (the
# method page states no limit); the caption's 1024 is the method page's.
MESSAGE_MAX = 500
CAPTION_MAX = 1024
# greenstatus's own bounds, where GREEN-API documents none.
URL_FILE_MAX = 4096
FILE_NAME_MAX = 255

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")

# Characters that never belong in what is sent: control characters (tab, line
# feed and carriage return aside, which text may hold) and lone surrogates,
# which have no UTF-8 form.
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# attrs infers a field's type from its validator, so validators take Any values.
Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def text(*, min_len: int = 1, max_len: int | None = None) -> Validator:
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
    # A URL or a file name holds printable characters only (str.isprintable: no
    # control, format, line or paragraph separator, unassigned or private-use
    # character, no surrogate): nothing in it that a reader cannot see.
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


def optional(check: Validator) -> Validator:
    def maybe(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            check(instance, attribute, value)

    return maybe


def color(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
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
    if "\\" in value:
        # Python reads a backslash as part of a host or path; browsers and most
        # servers read it as "/": the two would disagree on what is fetched.
        raise InvalidStatusError(field, "must not contain a backslash; write '/' instead")
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


def url_file(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A status's ``url_file``: a URL (``check_url_file``) of no shape that is
    a web page by construction (``_link_shapes``), whatever its host answers."""
    check_url_file(attribute.name, value)
    problem = page_link_problem(value)
    if problem is not None:
        raise InvalidStatusError(attribute.name, problem)


def file_name(allowed: frozenset[str], kind: str, refused: Mapping[str, str]) -> Validator:
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
