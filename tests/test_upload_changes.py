"""A local file that changes while it is uploaded is refused, and no status is
sent for it: through the real client, against an upload sink on loopback that
changes the file once part of it has arrived."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from greenstatus import AsyncStatusClient, ExponentialBackoff, InvalidStatusError
from tests import loopback

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024
# Received before the sink changes the file: the client is then blocked on a
# full socket far before the end (socket buffers hold a few MiB at most).
CHANGE_AFTER = MIB


class _Sink(http.server.ThreadingHTTPServer):
    # server_close() waits for the handlers: what they saw is all recorded.
    daemon_threads = False
    block_on_close = True

    def __init__(self, change: Callable[[], None]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.change = change
        self.lock = threading.Lock()
        self.methods: list[str] = []
        self.upload_sizes: list[int] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Sink

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        method = self.path.split("/")[2]
        with self.server.lock:
            self.server.methods.append(method)
        length = int(self.headers["Content-Length"])
        if method != "uploadFile":
            self.rfile.read(length)
            self._reply({"idMessage": "3EB0C767D097B7C7C030"})
            return
        received = 0
        changed = False
        while received < length:
            chunk = self.rfile.read(min(64 * 1024, length - received))
            if not chunk:  # the client stopped the upload
                break
            received += len(chunk)
            if not changed and received >= CHANGE_AFTER:
                changed = True
                self.server.change()
        with self.server.lock:
            self.server.upload_sizes.append(received)
        if received < length:
            self.close_connection = True
            return
        self._reply({"urlFile": f"http://127.0.0.1/files/{received}/note.mp3"})

    def _reply(self, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def sink(change: Callable[[], None]) -> Iterator[_Sink]:
    with loopback.running(_Sink(change)) as server:
        yield server


def sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def later_mtime(path: Path) -> None:
    """Moves the modification time a second on: a file system's clock may
    tick coarser than two writes close together."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def grow(path: Path) -> Callable[[], None]:
    return lambda: os.truncate(path, 80 * MIB)  # grown in place, never emptied


def shrink(path: Path) -> Callable[[], None]:
    return lambda: os.truncate(path, 2 * MIB)


def rewrite_tail(path: Path) -> Callable[[], None]:
    def change() -> None:
        with path.open("r+b") as handle:
            handle.seek(-4096, os.SEEK_END)
            handle.write(b"\xff" * 4096)
        later_mtime(path)

    return change


def replace_by_rename(path: Path) -> Callable[[], None]:
    def change() -> None:
        other = path.with_name("other.mp3")
        sparse(other, path.stat().st_size)
        os.utime(other, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
        os.replace(other, path)

    return change


def touch_only(path: Path) -> Callable[[], None]:
    return lambda: later_mtime(path)


CHANGES = {
    "grown": (grow, "changed size from 67108864 to 83886080 bytes"),
    "shrunk": (shrink, "shrank from 67108864 to"),
    "tail rewritten": (rewrite_tail, "was written to"),
    "replaced by rename": (replace_by_rename, "was replaced by another file"),
    "touched": (touch_only, "was written to"),
}


@pytest.mark.parametrize("send", ["send_voice_file", "upload_file"])
@pytest.mark.parametrize("kind", list(CHANGES))
async def test_a_file_that_changes_while_it_is_uploaded_is_refused_and_no_status_is_sent(
    tmp_path: Path, kind: str, send: str
) -> None:
    path = tmp_path / "note.mp3"
    sparse(path, 64 * MIB)
    make_change, said = CHANGES[kind]
    with sink(make_change(path)) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        async with AsyncStatusClient(
            "1101000001",
            "token",
            api_url=url,
            media_url=url,
            retry=ExponentialBackoff(max_attempts=3),
        ) as client:
            with pytest.raises(InvalidStatusError) as excinfo:
                await getattr(client, send)(path)
    assert type(excinfo.value) is InvalidStatusError
    # The argument the caller passed: upload_file's file, send_*_file's path.
    assert excinfo.value.field == ("file" if send == "upload_file" else "path")
    assert said in excinfo.value.problem
    assert "no status is sent" in excinfo.value.problem
    # One attempt, cut short: the last chunk never went out, and no status followed.
    assert server.methods == ["uploadFile"]
    (received,) = server.upload_sizes
    assert CHANGE_AFTER <= received < 64 * MIB


async def test_a_file_left_alone_is_uploaded_whole_and_sent(tmp_path: Path) -> None:
    path = tmp_path / "note.mp3"
    sparse(path, 16 * MIB)
    with sink(lambda: None) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        async with AsyncStatusClient("1101000001", "token", api_url=url, media_url=url) as client:
            sent = await client.send_voice_file(path)
    assert sent.id_message == "3EB0C767D097B7C7C030"
    assert server.methods == ["uploadFile", "sendVoiceStatus"]
    assert server.upload_sizes == [16 * MIB]


async def test_a_file_changed_between_measuring_and_reading_is_refused_unsent(
    tmp_path: Path,
) -> None:
    from greenstatus._upload import prepare_upload

    path = tmp_path / "note.mp3"
    sparse(path, 600_000)
    body = await prepare_upload(path, None, None)
    path.write_bytes(b"short")  # changed after it was measured, before it is opened
    stream = body.open()
    assert not isinstance(stream, bytes)
    with pytest.raises(InvalidStatusError, match="changed size from 600000 to 5 bytes") as excinfo:
        async for _ in stream:
            pass
    assert excinfo.value.field == "file"
    assert body.sent == 0
    await body.aclose()
