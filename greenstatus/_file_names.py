"""What an upload is called and typed as: the checks of a local path, a
file name and a content type, and the headers that carry them."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Mapping
from urllib.parse import quote

from ._exceptions import InvalidStatusError
from ._fields import FILE_NAME_MAX

__all__ = [
    "CONTENT_TYPES",
    "check_name",
    "checked_path",
    "content_type_of",
    "file_name_of",
    "headers_of",
    "path_name",
]

# The types of the files a status takes, and their common neighbours; GREEN-API
# decides a link's type by its extension. Other names ask Python's mimetypes.
CONTENT_TYPES: Mapping[str, str] = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/opus",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "bmp": "image/bmp",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "m4v": "video/x-m4v",
    "3gp": "video/3gpp",
    "webm": "video/webm",
    "pdf": "application/pdf",
}

_TOKEN_CHARS = r"[A-Za-z0-9!#$&^_.+-]+"

# Parameters are printable ASCII: a header value holds nothing else.
_CONTENT_TYPE = re.compile(rf"{_TOKEN_CHARS}/{_TOKEN_CHARS}([ \t]*;[\x20-\x7e]*)?")

# GA-Filename travels in a header: anything beyond printable ASCII (and '%',
# so that the encoding reads back) is percent-encoded as UTF-8.
_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def checked_path(path: object, field: str) -> str:
    """``path`` as a str a file can have; else an error naming ``field``."""
    if isinstance(path, (bytes, bytearray, memoryview)) or (
        isinstance(path, os.PathLike) and not isinstance(os.fspath(path), str)
    ):
        raise InvalidStatusError(
            field, "a bytes path is not taken: pass it as a str, e.g. os.fsdecode(path)"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidStatusError(field, f"expected a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str):  # a PathLike whose __fspath__ lies about its type
        raise InvalidStatusError(field, f"expected a str path, got {type(text).__name__}")
    if not text:
        raise InvalidStatusError(field, "is empty, not a file path")
    if "\x00" in text:
        raise InvalidStatusError(field, f"{text!r} holds a NUL character: no file has this path")
    return text


def path_name(path: object, field: str) -> str:
    """The name a local ``path`` gives its upload, checked as a ``file_name``;
    a path that gives none is an error naming ``field``, the argument the
    caller passed (the name was never theirs to fix, but ``file_name`` is the
    way round a name that cannot be sent)."""
    text = checked_path(path, field)
    name = os.path.basename(text)
    if not name or name in (".", ".."):
        raise InvalidStatusError(field, f"{text!r} names a directory, not a file")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        # os.fsdecode keeps undecodable bytes as lone surrogates: the file opens,
        # but its name has no UTF-8 form to send.
        raise InvalidStatusError(
            field,
            f"the name of {text!r} is not valid UTF-8, so it cannot be sent; pass file_name",
        ) from None
    return check_name(name, field, "the file's name ", "; pass file_name")


def check_name(name: object, field: str = "file_name", what: str = "", fix: str = "") -> str:
    if not isinstance(name, str):
        raise InvalidStatusError(field, f"expected a str, got {type(name).__name__}")
    if not name or "/" in name or "\\" in name or name != name.strip() or name in (".", ".."):
        raise InvalidStatusError(
            field, f"{what}{name!r} is not a bare file name like 'horse.mp3'{fix}"
        )
    if len(name) > FILE_NAME_MAX:
        raise InvalidStatusError(
            field,
            f"{what}is {len(name)} characters long, at most {FILE_NAME_MAX} allowed{fix}",
        )
    if not name.isprintable():
        raise InvalidStatusError(
            field, f"{what}{name!r} contains a character that is not printable{fix}"
        )
    return name


def file_name_of(path: object) -> str:
    """The file name ``send_*_file``'s ``path`` gives; a path that gives none is
    an error naming ``path``, the argument passed, not ``file_name``."""
    text = checked_path(path, "path")
    # One stat, before the status is checked: a directory is named as such, not
    # as a file name without an extension.
    if os.path.isdir(text):
        raise InvalidStatusError("path", f"{text!r} is a directory, not a file")
    return path_name(text, "path")


def content_type_of(name: str | None, given: str | None) -> str:
    if given is not None:
        if not isinstance(given, str) or not _CONTENT_TYPE.fullmatch(given):
            raise InvalidStatusError(
                "content_type", f"{given!r} is not a MIME type like 'audio/mpeg'"
            )
        return given
    if name is None:
        raise InvalidStatusError(
            "file_name",
            "is needed to upload bytes or an iterable without a content_type: GREEN-API "
            "types the link by its extension",
        )
    extension = name.rpartition(".")[2].lower() if "." in name.strip(".") else ""
    found = CONTENT_TYPES.get(extension) or mimetypes.guess_type(name, strict=False)[0]
    if not found:
        raise InvalidStatusError(
            "content_type",
            f"cannot tell the type of {name!r} from its extension; pass content_type, or "
            "GREEN-API would store it as .bin and no status could show it",
        )
    return found


def headers_of(name: str | None, content_type: str, size: int | None) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if name is not None:
        headers["GA-Filename"] = quote(name, safe=_HEADER_SAFE)
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers
