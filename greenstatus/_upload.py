"""uploadFile: an upload checked before a byte is sent (names and types in
``_file_names``, the bytes' sources in ``_upload_sources``), its body sent
once per attempt and never read whole, and the answer's link."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from typing import NoReturn, TypeAlias
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import attrs
import httpx

from ._exceptions import InvalidStatusError
from ._fields import check_url_file
from ._file_names import (
    check_name,
    checked_path,
    content_type_of,
    headers_of,
    path_name,
)
from ._redaction import Secret
from ._upload_sources import (
    FileChunks,
    Identity,
    NotRegular,
    check_size,
    stream_iterable,
)

__all__ = [
    "UPLOAD_PLACEHOLDER",
    "FileSource",
    "UploadBody",
    "UploadedFile",
    "parse_upload",
    "prepare_upload",
    "upload_read_timeout",
]

# On asyncio aiohttp's read timeout runs while the body is written, so an
# upload's read timeout grows by this many seconds per MiB of file: uplinks
# down to 1 MiB/s then finish in time.
SECONDS_PER_MIB = 1.0

# An expression, not a string: typing.get_type_hints resolves it from any module.
FileSource: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | AsyncIterable[bytes]
)


@attrs.frozen
class UploadedFile:
    """A file GREEN-API stored: ``url_file`` is its direct link (kept 15 days)."""

    url_file: str
    file_name: str | None
    """The name sent in ``GA-Filename``; ``None`` when none was given."""
    content_type: str
    size: int
    """Bytes uploaded."""


@attrs.define
class UploadBody:
    """One upload, checked: its headers, and a fresh body for each attempt."""

    headers: dict[str, str]
    size: int | None
    """Known before sending (a path or bytes); ``None`` for an iterable."""
    retryable: bool
    file_name: str | None
    content_type: str
    _open: Callable[[UploadBody], bytes | AsyncIterable[bytes]]
    sent: int = 0
    closers: list[Callable[[], None]] = attrs.field(factory=list)
    """What ``close()`` releases: the file of the attempt under way."""
    generators: list[AsyncGenerator[bytes, None]] = attrs.field(factory=list)
    problem: BaseException | None = None
    """Why the body failed while it was being sent: raised instead of the
    transport error it caused."""
    scope: anyio.CancelScope | None = None
    """The scope of the request under way, which ``abort`` cancels."""

    def open(self) -> bytes | AsyncIterable[bytes]:
        self.sent = 0
        self.problem = None
        self.scope = None
        return self._open(self)

    async def aclose(self) -> None:
        """Release what the last attempt's body holds: its file, and the
        generator over the caller's iterable unless a transport still runs it."""
        while self.closers:
            self.closers.pop()()
        while self.generators:
            generator = self.generators.pop()
            if not getattr(generator, "ag_running", False):
                with anyio.CancelScope(shield=True):
                    await generator.aclose()

    async def send(self, http: httpx.AsyncClient, request: Secret[httpx.Request]) -> httpx.Response:
        """Send ``request``, made around this body's ``open()``: held as a
        ``Secret`` (its URL holds the token, and error tools record this
        frame's locals). A body that fails its own checks cancels the request
        (``abort``), and its problem is raised instead of what the transport
        made of that."""
        response: httpx.Response | None = None
        try:
            with anyio.CancelScope() as scope:
                self.scope = scope
                response = await http.send(request.reveal(), follow_redirects=False, stream=True)
        except Exception:
            if self.problem is None:
                raise
        finally:
            self.scope = None
            await self.aclose()  # its file is closed, whatever became of the request
        if self.problem is not None:
            if response is not None:
                await response.aclose()
            raise self.problem
        assert response is not None  # the scope is only cancelled by abort()
        return response

    async def abort(self, problem: BaseException) -> NoReturn:
        """Stop the upload because of ``problem``, which the attempt raises.

        The request under way is cancelled from outside rather than failed by
        an exception from inside its body: a transport then closes its
        connection as it does for any cancelled request (aiohttp leaves a
        connection whose body raised unclosed)."""
        self.problem = problem
        if self.scope is not None:
            self.scope.cancel()
            await anyio.sleep_forever()
        raise problem


async def prepare_upload(
    file: object, file_name: str | None, content_type: str | None
) -> UploadBody:
    """Check everything about an upload that can be checked without sending."""
    if isinstance(file, (str, os.PathLike)):
        return await _prepare_path(file, file_name, content_type)
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        check_size(len(data))
        name = check_name(file_name) if file_name is not None else None
        kind = content_type_of(name, content_type)
        return UploadBody(
            headers_of(name, kind, None), len(data), True, name, kind, lambda body: data
        )
    if isinstance(file, AsyncIterable):
        name = check_name(file_name) if file_name is not None else None
        kind = content_type_of(name, content_type)
        try:
            source = aiter(file)
        except TypeError as error:  # __aiter__ gave no async iterator
            raise InvalidStatusError("file", f"is not a usable async iterable ({error})") from None
        used = False

        def once(body: UploadBody) -> AsyncIterable[bytes]:
            nonlocal used
            if used:  # never: an iterable upload is not retried
                raise RuntimeError("an async iterable can be uploaded once")
            used = True
            stream = stream_iterable(source, body)
            body.generators.append(stream)
            return stream

        return UploadBody(headers_of(name, kind, None), None, False, name, kind, once)
    raise InvalidStatusError(
        "file",
        f"expected a path, bytes or an async iterable of bytes, got {type(file).__name__}"
        + (" (pass the file's path instead)" if hasattr(file, "read") else ""),
    )


async def _prepare_path(
    file: str | os.PathLike[str], file_name: str | None, content_type: str | None
) -> UploadBody:
    path = checked_path(file, "file")

    def probe() -> Identity:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise (
                IsADirectoryError(path)
                if stat.S_ISDIR(info.st_mode)
                else OSError(f"{path!r} is not a regular file")
            )
        with open(path, "rb"):  # readable by this process
            pass
        return Identity.of(info)

    try:
        measured = await anyio.to_thread.run_sync(probe)
    except FileNotFoundError:
        raise InvalidStatusError("file", f"no such file: {path!r}") from None
    except IsADirectoryError:
        raise InvalidStatusError("file", f"{path!r} is a directory, not a file") from None
    except NotRegular:
        raise InvalidStatusError(
            "file", f"{path!r} is not a regular file (a pipe, a device...)"
        ) from None
    except OSError as error:
        raise InvalidStatusError("file", f"{path!r} cannot be read ({error})") from None
    size = measured.size
    check_size(size)
    name = check_name(file_name) if file_name is not None else path_name(path, "file")
    kind = content_type_of(name, content_type)

    def stream(body: UploadBody) -> AsyncIterable[bytes]:
        chunks = FileChunks(path, measured, body)
        body.closers.append(chunks.close)
        return chunks

    return UploadBody(headers_of(name, kind, size), size, True, name, kind, stream)


def upload_read_timeout(read: float | None, size: int | None) -> float | None:
    """The read timeout of an upload of ``size`` bytes."""
    if read is None or size is None:
        return read
    return read + SECONDS_PER_MIB * size / (1024 * 1024)


# Stands for the link while a status built from a local file is checked.
UPLOAD_PLACEHOLDER = "https://upload.invalid/pending"


def parse_upload(body: object) -> str:
    """``{"urlFile": "..."}`` of uploadFile: an absolute http(s) URL, with what
    a URL may not hold raw (a space in the file's name...) percent-encoded, so
    that it is a valid ``url_file``."""
    url = body.get("urlFile") if isinstance(body, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"urlFile is {url!r}, expected an http(s) URL")
    try:
        return check_url_file("urlFile", str(httpx.URL(url)))
    except (httpx.InvalidURL, InvalidStatusError) as error:
        raise ValueError(f"urlFile is not a usable link ({error})") from None
