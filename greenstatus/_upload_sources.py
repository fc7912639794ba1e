"""Where an upload's bytes come from: a file read in chunks, checked to be
the one measured until its last byte, or the caller's async iterable,
checked chunk by chunk."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from typing import TYPE_CHECKING, BinaryIO

import anyio
import anyio.to_thread
import attrs

from ._exceptions import InvalidStatusError

if TYPE_CHECKING:
    from ._upload import UploadBody

__all__ = [
    "CHUNK",
    "UPLOAD_MAX",
    "FileChunks",
    "Identity",
    "NotRegular",
    "check_size",
    "stream_iterable",
]

UPLOAD_MAX = 100 * 1024 * 1024
"""GREEN-API's limit on one upload: 100 MB, read as 100 MiB (104 857 600 bytes)."""

CHUNK = 256 * 1024
"""How much of a file is read (and held) at a time."""


class NotRegular(OSError):
    pass


@attrs.frozen
class Identity:
    """What says a file is still the one measured: the same inode on the same
    device (not another file renamed over it), of the same size, not written
    since (its modification time, to the nanosecond the file system keeps)."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, info: os.stat_result) -> Identity:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)

    def change_from(self, before: Identity) -> str | None:
        """How this file differs from ``before``, or ``None``."""
        if (self.inode, self.device) != (before.inode, before.device):
            return "was replaced by another file"
        if self.size != before.size:
            return f"changed size from {before.size} to {self.size} bytes"
        if self.mtime_ns != before.mtime_ns:
            return "was written to (its modification time changed)"
        return None


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _open_regular(path: str) -> tuple[BinaryIO, Identity]:
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
        raise IsADirectoryError(path) if stat.S_ISDIR(info.st_mode) else NotRegular(path)
    return os.fdopen(descriptor, "rb"), Identity.of(info)


class FileChunks:
    """A file in chunks of ``CHUNK``: exactly ``size`` bytes, as declared. The
    file is closed when its last chunk is read, or by ``close()`` when the
    request ends first, never left to the garbage collector.

    A file that is not, from its opening to its last byte, the one measured
    (written to, grown, shrunk, replaced) stops the upload before its last
    chunk goes out: what was sent would be a mix of two versions, or not the
    file the caller now has, and no status must show it."""

    def __init__(self, path: str, measured: Identity, body: UploadBody) -> None:
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
        change = Identity.of(os.fstat(self._file.fileno())).change_from(self._measured)
        if change is None:
            change = Identity.of(os.stat(self._path)).change_from(self._measured)
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


async def stream_iterable(
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


def check_size(size: int) -> None:
    if size == 0:
        raise InvalidStatusError("file", "is empty; there is nothing to upload")
    if size > UPLOAD_MAX:
        raise InvalidStatusError(
            "file",
            f"is {size} bytes, over GREEN-API's limit of 100 MB ({UPLOAD_MAX} bytes)",
        )
