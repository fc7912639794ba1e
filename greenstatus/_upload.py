"""uploadFile's request body: a file from disk, bytes or an async iterable,
checked before a byte is sent and streamed, never read whole."""

from __future__ import annotations

import mimetypes
import os
import re
import stat
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Mapping
from typing import BinaryIO, NoReturn, TypeAlias
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
import attrs
import httpx

from ._exceptions import InvalidStatusError
from ._redaction import Secret
from ._requests import FILE_NAME_MAX, check_url_file

__all__ = [
    "CONTENT_TYPES",
    "UPLOAD_MAX",
    "UPLOAD_PLACEHOLDER",
    "FileSource",
    "UploadBody",
    "UploadedFile",
    "checked_path",
    "file_name_of",
    "parse_upload",
    "prepare_upload",
    "upload_read_timeout",
]

UPLOAD_MAX = 100 * 1024 * 1024
"""GREEN-API's limit on one upload: 100 MB, read as 100 MiB (104 857 600 bytes)."""
CHUNK = 256 * 1024
"""How much of a file is read (and held) at a time."""
# On asyncio aiohttp's read timeout runs while the body is written, so an
# upload's read timeout grows by this many seconds per MiB of file: uplinks
# down to 1 MiB/s then finish in time.
SECONDS_PER_MIB = 1.0

FileSource: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | AsyncIterable[bytes]"
)

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
        _check_size(len(data))
        name = _check_name(file_name) if file_name is not None else None
        kind = _content_type(name, content_type)
        return UploadBody(
            _headers(name, kind, None), len(data), True, name, kind, lambda body: data
        )
    if isinstance(file, AsyncIterable):
        name = _check_name(file_name) if file_name is not None else None
        kind = _content_type(name, content_type)
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
            stream = _stream_iterable(source, body)
            body.generators.append(stream)
            return stream

        return UploadBody(_headers(name, kind, None), None, False, name, kind, once)
    raise InvalidStatusError(
        "file",
        f"expected a path, bytes or an async iterable of bytes, got {type(file).__name__}"
        + (" (pass the file's path instead)" if hasattr(file, "read") else ""),
    )


async def _prepare_path(
    file: str | os.PathLike[str], file_name: str | None, content_type: str | None
) -> UploadBody:
    path = checked_path(file, "file")

    def probe() -> _Identity:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise (
                IsADirectoryError(path)
                if stat.S_ISDIR(info.st_mode)
                else OSError(f"{path!r} is not a regular file")
            )
        with open(path, "rb"):  # readable by this process
            pass
        return _Identity.of(info)

    try:
        measured = await anyio.to_thread.run_sync(probe)
    except FileNotFoundError:
        raise InvalidStatusError("file", f"no such file: {path!r}") from None
    except IsADirectoryError:
        raise InvalidStatusError("file", f"{path!r} is a directory, not a file") from None
    except _NotRegular:
        raise InvalidStatusError(
            "file", f"{path!r} is not a regular file (a pipe, a device...)"
        ) from None
    except OSError as error:
        raise InvalidStatusError("file", f"{path!r} cannot be read ({error})") from None
    size = measured.size
    _check_size(size)
    name = _check_name(file_name) if file_name is not None else path_name(path, "file")
    kind = _content_type(name, content_type)

    def stream(body: UploadBody) -> AsyncIterable[bytes]:
        chunks = _FileChunks(path, measured, body)
        body.closers.append(chunks.close)
        return chunks

    return UploadBody(_headers(name, kind, size), size, True, name, kind, stream)


class _NotRegular(OSError):
    pass


@attrs.frozen
class _Identity:
    """What says a file is still the one measured: the same inode on the same
    device (not another file renamed over it), of the same size, not written
    since (its modification time, to the nanosecond the file system keeps)."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, info: os.stat_result) -> _Identity:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)

    def change_from(self, before: _Identity) -> str | None:
        """How this file differs from ``before``, or ``None``."""
        if (self.inode, self.device) != (before.inode, before.device):
            return "was replaced by another file"
        if self.size != before.size:
            return f"changed size from {before.size} to {self.size} bytes"
        if self.mtime_ns != before.mtime_ns:
            return "was written to (its modification time changed)"
        return None


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _open_regular(path: str) -> tuple[BinaryIO, _Identity]:
    """``path`` opened for reading, if it is a regular file, and what it is.
    Opening does not block (a pipe put in its place is refused, not waited on)."""
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(descriptor)
    except OSError:
        os.close(descriptor)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise IsADirectoryError(path) if stat.S_ISDIR(info.st_mode) else _NotRegular(path)
    return os.fdopen(descriptor, "rb"), _Identity.of(info)


class _FileChunks:
    """A file in chunks of ``CHUNK``: exactly ``size`` bytes, as declared. The
    file is closed when its last chunk is read, or by ``close()`` when the
    request ends first, never left to the garbage collector.

    A file that is not, from its opening to its last byte, the one measured
    (written to, grown, shrunk, replaced) stops the upload before its last
    chunk goes out: what was sent would be a mix of two versions, or not the
    file the caller now has, and no status must show it."""

    def __init__(self, path: str, measured: _Identity, body: UploadBody) -> None:
        self._path = path
        self._measured = measured
        self._body = body
        self._file: BinaryIO | None = None

    def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._chunks()
        self._body.generators.append(chunks)
        return chunks

    def _open(self) -> str | None:
        # Kept as it is opened, in the worker thread: a request cancelled while
        # the thread runs still finds the file to close.
        self._file, opened = _open_regular(self._path)
        return opened.change_from(self._measured)

    def _read_last(self, size: int) -> tuple[bytes, str | None]:
        """The last chunk, and how the file changed since it was measured: the
        descriptor read (grown, shrunk, written to) and what the path now names
        (another file renamed over it), checked once every byte is read."""
        assert self._file is not None
        chunk = self._file.read(size)
        change = _Identity.of(os.fstat(self._file.fileno())).change_from(self._measured)
        if change is None:
            change = _Identity.of(os.stat(self._path)).change_from(self._measured)
        return chunk, change

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        body, size = self._body, self._measured.size
        try:
            while body.sent < size:
                change: str | None = None
                try:
                    if self._file is None:
                        change = await anyio.to_thread.run_sync(self._open)
                    assert self._file is not None
                    wanted = min(CHUNK, size - body.sent)
                    if change is None and wanted == size - body.sent:
                        chunk, change = await anyio.to_thread.run_sync(self._read_last, wanted)
                    elif change is None:
                        chunk = await anyio.to_thread.run_sync(self._file.read, wanted)
                except (OSError, ValueError) as error:  # ValueError: closed as the request ended
                    await body.abort(
                        InvalidStatusError(
                            "file",
                            f"{self._path!r} could not be read ({error}); nothing was stored",
                        )
                    )
                if change is not None:
                    await body.abort(self._changed(change))
                if not chunk:
                    await body.abort(self._changed(f"shrank from {size} to {body.sent} bytes"))
                body.sent += len(chunk)
                if body.sent >= size:
                    self.close()
                yield chunk
        finally:
            self.close()

    def _changed(self, change: str) -> InvalidStatusError:
        # The last chunk was held back, so GREEN-API got no whole file: an
        # upload that was complete never gives its link to a status anyway.
        return InvalidStatusError(
            "file",
            f"{self._path!r} {change} while it was being uploaded; the upload was stopped "
            "and no status is sent for it (upload it again once the file is complete)",
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def _stream_iterable(
    source: AsyncIterable[bytes], body: UploadBody
) -> AsyncGenerator[bytes, None]:
    """The caller's chunks, checked and counted; over the limit, the upload stops."""
    chunks = aiter(source)
    exhausted = False
    try:
        while True:
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                exhausted = True
                break
            except Exception as error:  # the caller's source failed: their error, as it is
                exhausted = True
                await body.abort(error)
            problem = _chunk_problem(body, chunk)
            if problem is not None:
                await body.abort(problem)
            if chunk:
                yield bytes(chunk)
    finally:
        # Stopped early (a bad chunk, the limit, a failed request): the
        # caller's generator is closed now, not left to the garbage collector.
        close = getattr(chunks, "aclose", None)
        if not exhausted and close is not None:
            with anyio.CancelScope(shield=True):
                await close()
    if body.sent == 0:
        await body.abort(InvalidStatusError("file", "the iterable yielded no bytes"))


def _chunk_problem(body: UploadBody, chunk: object) -> InvalidStatusError | None:
    if not isinstance(chunk, (bytes, bytearray, memoryview)):
        return InvalidStatusError(
            "file", f"the iterable yielded {type(chunk).__name__}, expected bytes"
        )
    body.sent += memoryview(chunk).nbytes  # bytes, whatever the items of a memoryview
    if body.sent > UPLOAD_MAX:
        return InvalidStatusError(
            "file",
            f"is over GREEN-API's limit of 100 MB ({UPLOAD_MAX} bytes); the upload was "
            f"stopped after {body.sent} bytes and nothing was stored",
        )
    return None


def _check_size(size: int) -> None:
    if size == 0:
        raise InvalidStatusError("file", "is empty; there is nothing to upload")
    if size > UPLOAD_MAX:
        raise InvalidStatusError(
            "file",
            f"is {size} bytes, over GREEN-API's limit of 100 MB ({UPLOAD_MAX} bytes)",
        )


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
    return _check_name(name, field, "the file's name ", "; pass file_name")


def _check_name(name: object, field: str = "file_name", what: str = "", fix: str = "") -> str:
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


def _content_type(name: str | None, given: str | None) -> str:
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


def _headers(name: str | None, content_type: str, size: int | None) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if name is not None:
        headers["GA-Filename"] = quote(name, safe=_HEADER_SAFE)
    if size is not None:
        headers["Content-Length"] = str(size)
    return headers


def upload_read_timeout(read: float | None, size: int | None) -> float | None:
    """The read timeout of an upload of ``size`` bytes."""
    if read is None or size is None:
        return read
    return read + SECONDS_PER_MIB * size / (1024 * 1024)


# Stands for the link while a status built from a local file is checked.
UPLOAD_PLACEHOLDER = "https://upload.invalid/pending"


def file_name_of(path: object) -> str:
    """The file name ``send_*_file``'s ``path`` gives; a path that gives none is
    an error naming ``path``, the argument passed, not ``file_name``."""
    text = checked_path(path, "path")
    # One stat, before the status is checked: a directory is named as such, not
    # as a file name without an extension.
    if os.path.isdir(text):
        raise InvalidStatusError("path", f"{text!r} is a directory, not a file")
    return path_name(text, "path")


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
