"""upload_file, send_voice_file and send_media_file against the fake served on
loopback, on asyncio and trio: exact wire requests, streaming, the size limit
and the retry rules."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from array import array
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstatus import (
    APIConnectionError,
    AsyncStatusClient,
    ExponentialBackoff,
    GreenStatusWarning,
    InvalidStatusError,
    NoRetry,
    ServerError,
    UploadedFile,
)
from greenstatus._upload_sources import UPLOAD_MAX
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client, served_client

pytestmark = pytest.mark.anyio

# Nothing listens here: a request that went to api_url instead of media_url fails.
DEAD_API_URL = "http://127.0.0.1:9"
MIB = 1024 * 1024


@pytest.fixture
async def client(fake: FakeGreenAPI) -> AsyncIterator[AsyncStatusClient]:
    async with served_client(
        fake, retry=ExponentialBackoff(max_attempts=3), clock=FakeClock()
    ) as client:
        yield client


@pytest.fixture
async def media_only(fake: FakeGreenAPI) -> AsyncIterator[AsyncStatusClient]:
    """A client whose api_url leads nowhere: uploads must use media_url."""
    async with (
        fake.serve() as url,
        AsyncStatusClient(
            fake.id_instance, fake.token, api_url=DEAD_API_URL, media_url=url, retry=NoRetry()
        ) as client,
    ):
        yield client


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` zero bytes that takes no disk."""
    with path.open("wb") as handle:
        handle.truncate(size)


def write(path: Path, size: int) -> bytes:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path.write_bytes(data)
    return data


async def test_a_path_goes_raw_to_the_media_host_with_its_type_and_name(
    fake: FakeGreenAPI, media_only: AsyncStatusClient, tmp_path: Path
) -> None:
    data = write(tmp_path / "horse.mp3", 700_001)
    uploaded = await media_only.upload_file(tmp_path / "horse.mp3")
    (request,) = fake.requests
    assert (request.http_method, request.path) == (
        "POST",
        f"/waInstance{fake.id_instance}/uploadFile/***",
    )
    assert request.token_ok
    assert request.headers["content-type"] == "audio/mpeg"
    assert request.headers["ga-filename"] == "horse.mp3"
    assert request.headers["content-length"] == "700001"
    assert "transfer-encoding" not in request.headers
    assert request.body == data
    assert uploaded == UploadedFile(
        url_file=uploaded.url_file, file_name="horse.mp3", content_type="audio/mpeg", size=700_001
    )
    assert fake.uploads[uploaded.url_file] == ("audio/mpeg", data)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.jpg", "image/jpeg"),
        ("a.JPEG", "image/jpeg"),
        ("a.png", "image/png"),
        ("a.mp4", "video/mp4"),
        ("a.mov", "video/quicktime"),
        ("a.m4v", "video/x-m4v"),
        ("a.wav", "audio/wav"),
        ("a.pdf", "application/pdf"),
    ],
)
async def test_the_content_type_comes_from_the_extension(
    fake: FakeGreenAPI, client: AsyncStatusClient, name: str, content_type: str
) -> None:
    uploaded = await client.upload_file(b"bytes", file_name=name)
    assert fake.requests[-1].headers["content-type"] == content_type
    assert fake.requests[-1].headers["ga-filename"] == name
    assert uploaded.content_type == content_type


async def test_a_given_content_type_and_name_win(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    write(tmp_path / "recording", 10)
    uploaded = await client.upload_file(
        tmp_path / "recording", file_name="note.mp3", content_type="audio/mpeg"
    )
    headers = fake.requests[-1].headers
    assert (headers["content-type"], headers["ga-filename"]) == ("audio/mpeg", "note.mp3")
    assert uploaded.url_file.endswith("/note.mp3")


async def test_bytes_with_only_a_content_type_send_no_name(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    uploaded = await client.upload_file(b"\xff\xd8\xff", content_type="image/jpeg")
    (request,) = fake.requests
    assert "ga-filename" not in request.headers
    assert request.headers["content-length"] == "3"
    assert request.body == b"\xff\xd8\xff"
    assert uploaded.file_name is None
    assert uploaded.url_file.endswith(".jpg")  # GREEN-API names it by its type


async def test_a_name_beyond_ascii_is_percent_encoded(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    await client.upload_file(b"x", file_name="лошадь 100%.mp3")
    assert fake.requests[-1].headers["ga-filename"] == (
        "%D0%BB%D0%BE%D1%88%D0%B0%D0%B4%D1%8C 100%25.mp3"
    )


async def test_an_async_iterable_is_streamed_chunked(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(5):
            yield bytes([index]) * 100_000

    uploaded = await client.upload_file(chunks(), file_name="clip.mp4")
    (request,) = fake.requests
    assert request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in request.headers
    assert request.body == b"".join(bytes([i]) * 100_000 for i in range(5))
    assert uploaded.size == 500_000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"file": b"data"}, "file_name"),
        ({"file": b"data", "file_name": "notes.unknownext"}, "content_type"),
        ({"file": b"data", "file_name": "a.mp3", "content_type": "audio"}, "content_type"),
        (
            {"file": b"data", "file_name": "a.mp3", "content_type": "audio/mpeg\r\nX: y"},
            "content_type",
        ),
        ({"file": b"data", "file_name": "dir/a.mp3"}, "file_name"),
        ({"file": b"data", "file_name": "a\x00.mp3"}, "file_name"),
        ({"file": b"data", "file_name": ""}, "file_name"),
        ({"file": b"data", "file_name": "x" * 252 + ".mp3"}, "file_name"),
        ({"file": b"", "file_name": "a.mp3"}, "file"),
        ({"file": 42}, "file"),
        ({"file": [b"a", b"b"], "file_name": "a.mp3"}, "file"),
        ({"file": "/no/such/file.mp3"}, "file"),
        ({"file": ""}, "file"),
    ],
)
async def test_bad_input_is_refused_before_a_byte_is_sent(
    fake: FakeGreenAPI, client: AsyncStatusClient, kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        await client.upload_file(**kwargs)  # type: ignore[arg-type]
    assert excinfo.value.field == field
    assert fake.requests == []


async def test_a_directory_an_empty_file_and_an_open_file_are_refused(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    with pytest.raises(InvalidStatusError, match="is a directory"):
        await client.upload_file(tmp_path)
    (tmp_path / "empty.mp3").write_bytes(b"")
    with pytest.raises(InvalidStatusError, match="is empty"):
        await client.upload_file(tmp_path / "empty.mp3")
    write(tmp_path / "a.mp3", 10)
    opened = (tmp_path / "a.mp3").open("rb")
    with opened, pytest.raises(InvalidStatusError, match="pass the file's path"):
        await client.upload_file(opened)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_a_path_that_cannot_be_opened_is_refused(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    write(tmp_path / "a.mp3", 10)
    # A file where a directory should be: no process can open what is below it.
    with pytest.raises(InvalidStatusError, match="cannot be read") as excinfo:
        await client.upload_file(tmp_path / "a.mp3" / "b.mp3")
    assert excinfo.value.field == "file"
    assert fake.requests == []


async def test_a_file_over_100_mb_is_refused_unread(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    sparse(big, UPLOAD_MAX + 1)
    with pytest.raises(InvalidStatusError) as excinfo:
        await client.upload_file(big)
    assert excinfo.value.field == "file"
    assert f"{UPLOAD_MAX + 1} bytes" in excinfo.value.problem
    assert "100 MB" in excinfo.value.problem
    with pytest.raises(InvalidStatusError, match="100 MB"):
        await client.upload_file(bytes(UPLOAD_MAX + 1), file_name="big.mp4")
    assert fake.requests == []


async def test_an_iterable_over_100_mb_is_stopped_and_nothing_is_stored(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    chunk = bytes(MIB)

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(101):
            yield chunk

    with pytest.raises(InvalidStatusError) as excinfo:
        await client.upload_file(endless(), file_name="big.mp4")
    assert excinfo.value.field == "file"
    assert "stopped" in excinfo.value.problem
    assert fake.uploads == {}
    assert fake.statuses == []


async def test_an_iterable_that_yields_text_or_fails_raises_that(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    async def text() -> AsyncIterator[bytes]:
        yield b"ok"
        yield "not bytes"  # type: ignore[misc]

    with pytest.raises(InvalidStatusError, match="yielded str") as excinfo:
        await client.upload_file(text(), file_name="a.mp3")
    assert excinfo.value.field == "file"

    class SourceBroke(Exception):
        pass

    async def broken() -> AsyncIterator[bytes]:
        yield b"ok"
        raise SourceBroke("disk gone")

    with pytest.raises(SourceBroke, match="disk gone"):
        await client.upload_file(broken(), file_name="a.mp3")
    assert fake.uploads == {}


@pytest.mark.parametrize("source", ["path", "bytes"])
async def test_a_path_or_bytes_upload_is_retried_even_after_an_ambiguous_failure(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path, source: str
) -> None:
    data = write(tmp_path / "a.mp4", 300_000)
    fake.drop_next(processed=True)  # stored, then the answer lost
    fake.fail_next(502)
    file: object = tmp_path / "a.mp4" if source == "path" else data
    uploaded = await client.upload_file(file, file_name="a.mp4")  # type: ignore[arg-type]
    assert len(fake.requests) == 3
    assert all(request.body == data for request in fake.requests)
    # The lost answer left a second link behind, nothing worse.
    assert len(fake.uploads) == 2
    assert fake.uploads[uploaded.url_file] == ("video/mp4", data)


async def test_an_iterable_upload_is_never_retried(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"

    fake.fail_next(503)  # safe to retry for any other request
    with pytest.raises(ServerError):
        await client.upload_file(chunks(), file_name="a.mp3")
    assert len(fake.requests) == 1
    fake.drop_next()
    with pytest.raises(APIConnectionError):
        await client.upload_file(chunks(), file_name="a.mp3")
    assert len(fake.requests) == 2


async def test_send_voice_file_uploads_then_sends_the_link(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    data = write(tmp_path / "note.mp3", 5000)
    sent = await client.send_voice_file(
        tmp_path / "note.mp3", background_color="#228B22", participants=["+7 900 123-45-67"]
    )
    upload, send = fake.requests
    assert (upload.api_method, send.api_method) == ("uploadFile", "sendVoiceStatus")
    assert upload.body == data
    (url_file,) = fake.uploads
    assert send.json == {
        "urlFile": url_file,
        "fileName": "note.mp3",
        "backgroundColor": "#228B22",
        "participants": ["79001234567@c.us"],
    }
    assert fake.statuses[0].id_message == sent.id_message


async def test_send_media_file_uploads_then_sends_the_link(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    write(tmp_path / "horse.jpg", 5000)
    await client.send_media_file(str(tmp_path / "horse.jpg"), caption="Little horse")
    upload, send = fake.requests
    assert upload.headers["content-type"] == "image/jpeg"
    (url_file,) = fake.uploads
    assert send.json == {"urlFile": url_file, "fileName": "horse.jpg", "caption": "Little horse"}


@pytest.mark.parametrize(
    ("method", "name", "kwargs", "field"),
    [
        ("send_voice_file", "note.ogg", {}, "file_name"),
        ("send_voice_file", "note.mp3", {"background_color": "green"}, "background_color"),
        ("send_voice_file", "note.mp3", {"participants": ["nobody"]}, "participants[0]"),
        ("send_media_file", "anim.gif", {}, "file_name"),
        ("send_media_file", "song.mp3", {}, "file_name"),
        ("send_media_file", "a.jpg", {"caption": "x" * 1025}, "caption"),
        ("send_media_file", "a.jpg", {"participants": "79001234567"}, "participants"),
        ("send_media_file", "missing.jpg", {}, "path"),
    ],
)
async def test_send_file_checks_everything_before_uploading(
    fake: FakeGreenAPI,
    client: AsyncStatusClient,
    tmp_path: Path,
    method: str,
    name: str,
    kwargs: dict[str, object],
    field: str,
) -> None:
    if name != "missing.jpg":
        write(tmp_path / name, 100)
    with pytest.raises(InvalidStatusError) as excinfo:
        await getattr(client, method)(tmp_path / name, **kwargs)
    assert excinfo.value.field == field
    assert fake.requests == []


# -- streaming: the memory of an upload, in a process of its own --------------------


@pytest.fixture
def sink() -> Iterator[str]:
    """tests/upload_sink.py in its own process; its URL."""
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("upload_sink.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


async def test_a_path_is_streamed_never_read_whole(sink: str, tmp_path: Path) -> None:
    size = 48 * MIB
    sparse(tmp_path / "film.mp4", size)
    async with AsyncStatusClient("1101000001", "token", api_url=sink, media_url=sink) as client:
        await client.upload_file(tmp_path / "film.mp4")  # connect and warm up first
        tracemalloc.start()
        try:
            uploaded = await client.upload_file(tmp_path / "film.mp4")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert f"/files/{size}/" in uploaded.url_file  # the sink counted every byte
    assert peak < 8 * MIB, f"an upload of {size} bytes held {peak} bytes at once"


# -- classes of hostile input ----------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content_type=st.text(max_size=30) | st.from_regex(r"audio/mpeg[ -~\s]{0,6}", fullmatch=True))
def test_a_content_type_is_sent_exactly_as_given_or_refused_unsent(content_type: str) -> None:
    for backend in ("asyncio", "trio"):
        outcome = anyio.run(upload_with_type, content_type, backend=backend)
        assert outcome in ("refused unsent", f"sent as {content_type}"), (backend, outcome)


async def upload_with_type(content_type: str) -> str:
    fake = FakeGreenAPI()
    async with fake_client(fake, retry=NoRetry()) as client:
        try:
            await client.upload_file(b"x", file_name="a.mp3", content_type=content_type)
        except InvalidStatusError as error:
            return "refused unsent" if error.field == "content_type" and not fake.requests else "?"
    (request,) = fake.requests
    return f"sent as {request.headers['content-type']}"


async def test_memoryview_chunks_count_their_bytes(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    numbers = array("q", range(1000))

    async def chunks() -> AsyncIterator[memoryview]:
        yield memoryview(numbers)

    uploaded = await client.upload_file(chunks(), file_name="a.bin", content_type="audio/mpeg")  # type: ignore[arg-type]
    assert uploaded.size == 8000
    assert fake.requests[0].body == numbers.tobytes()


async def test_an_object_whose_aiter_is_no_iterator_is_refused(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    class Broken:
        def __aiter__(self) -> int:
            return 42

    with pytest.raises(InvalidStatusError, match="not a usable async iterable") as excinfo:
        await client.upload_file(Broken(), file_name="a.mp3")  # type: ignore[arg-type]
    assert excinfo.value.field == "file"
    assert fake.requests == []


async def test_a_pipe_is_refused_without_waiting_on_it(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe.mp3")  # no writer: opening it to read would block
    with anyio.fail_after(5), pytest.raises(InvalidStatusError, match="not a regular file"):
        await client.upload_file(tmp_path / "pipe.mp3")
    assert fake.requests == []


async def test_a_name_with_a_space_uploads_and_sends(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    write(tmp_path / "my song.mp3", 100)
    await client.send_voice_file(tmp_path / "my song.mp3")
    (url_file,) = fake.uploads
    assert fake.statuses[0].payload["urlFile"] == url_file
    assert url_file.endswith("/my%20song.mp3")
    assert fake.statuses[0].payload["fileName"] == "my song.mp3"


def open_descriptors_of(path: Path) -> list[str]:
    found = []
    for entry in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{entry}") == str(path):
                found.append(entry)
        except OSError:
            pass
    return found


async def test_a_cancelled_upload_leaves_its_file_closed(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    path = tmp_path / "film.mp4"
    write(path, 40 * MIB)
    with anyio.move_on_after(0.05) as scope:
        await client.upload_file(path)
    assert scope.cancelled_caught
    assert open_descriptors_of(path) == []
    assert fake.uploads == {}


async def test_send_text_status_warns_at_its_caller(client: AsyncStatusClient) -> None:
    with pytest.warns(GreenStatusWarning) as record:
        await client.send_text_status("hi", background_color="#FFFFFF")
    assert record[0].filename == __file__


# -- a path that gives no file name is an error naming the argument passed --------------


class BytesPath:
    """An os.PathLike whose path is bytes."""

    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


def bad_paths(folder: Path) -> dict[str, tuple[object, str]]:
    """Each bad path, made real on disk where it can be, and what its error says."""
    undecodable = os.fsencode(folder) + b"/\xff\xfe.mp3"
    with open(undecodable, "wb") as handle:
        handle.write(b"ID3")
    (folder / "folder.mp3").mkdir()
    (folder / "line\nbreak.mp3").write_bytes(b"ID3")
    return {
        "not UTF-8": (os.fsdecode(undecodable), "is not valid UTF-8, so it cannot be sent"),
        "NUL": (str(folder / "a\x00.mp3"), "holds a NUL character"),
        "empty": ("", "is empty, not a file path"),
        "directory": (folder / "folder.mp3", "is a directory, not a file"),
        "trailing slash": (f"{folder}/gone.mp3/", "names a directory, not a file"),
        "unprintable name": (folder / "line\nbreak.mp3", "not printable; pass file_name"),
        "bytes PathLike": (BytesPath(undecodable), "a bytes path is not taken"),
    }


BAD_PATHS = [
    "not UTF-8",
    "NUL",
    "empty",
    "directory",
    "trailing slash",
    "unprintable name",
    "bytes PathLike",
]


@pytest.mark.parametrize("kind", BAD_PATHS)
@pytest.mark.parametrize("method", ["send_voice_file", "send_media_file"])
async def test_send_file_names_path_for_a_path_that_gives_no_file_name(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path, kind: str, method: str
) -> None:
    path, said = bad_paths(tmp_path)[kind]
    with pytest.raises(InvalidStatusError) as excinfo:
        await getattr(client, method)(path)
    assert excinfo.value.field == "path"
    assert said in excinfo.value.problem
    assert excinfo.value.problem.isprintable()
    assert fake.requests == []


@pytest.mark.parametrize("method", ["send_voice_file", "send_media_file"])
async def test_send_file_names_path_for_a_bytes_path(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path, method: str
) -> None:
    with pytest.raises(InvalidStatusError, match="pass it as a str") as excinfo:
        await getattr(client, method)(os.fsencode(tmp_path / "note.mp3"))
    assert excinfo.value.field == "path"
    assert fake.requests == []


@pytest.mark.parametrize("kind", BAD_PATHS)
async def test_upload_file_names_file_for_a_path_that_gives_no_file_name(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path, kind: str
) -> None:
    path, said = bad_paths(tmp_path)[kind]
    if kind == "trailing slash":
        said = "no such file"  # upload_file looks for the file first
    with pytest.raises(InvalidStatusError) as excinfo:
        await client.upload_file(path)  # type: ignore[arg-type]
    assert excinfo.value.field == "file"
    assert said in excinfo.value.problem
    assert fake.requests == []


async def test_a_path_that_is_not_utf_8_uploads_under_a_given_file_name(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    path, _ = bad_paths(tmp_path)["not UTF-8"]
    uploaded = await client.upload_file(path, file_name="note.mp3")  # type: ignore[arg-type]
    assert fake.uploads[uploaded.url_file] == ("audio/mpeg", b"ID3")
    sent = await client.send_voice_file(path, file_name="note.mp3")  # type: ignore[arg-type]
    assert fake.statuses[-1].id_message == sent.id_message


async def test_send_file_takes_no_bytes_path_even_with_a_file_name(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path
) -> None:
    write(tmp_path / "a.mp3", 1000)
    with pytest.raises(InvalidStatusError, match="bytes path") as excinfo:
        await client.send_voice_file(os.fsencode(tmp_path / "a.mp3"), file_name="a.mp3")  # type: ignore[arg-type]
    assert excinfo.value.field == "path"
    assert fake.uploads == {}
    assert fake.requests == []


@pytest.mark.parametrize("kind", ["missing", "directory"])
async def test_send_file_names_path_for_a_problem_of_the_file(
    fake: FakeGreenAPI, client: AsyncStatusClient, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "gone.mp4"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(InvalidStatusError) as excinfo:
        await client.send_media_file(path, file_name="a.mp4")
    assert excinfo.value.field == "path"
    assert str(excinfo.value).startswith("path: ")
    assert fake.requests == []
