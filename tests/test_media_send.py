"""Prepared files sent end to end: send_*_file(prepare=True) converts, uploads
through the streamed upload, sends, and removes what it made; greenstatus.media
without its extra, cancellation, and the command line's --prepare."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import av
import httpx
import pytest
from PIL import Image

from greenstatus import AsyncStatusClient, MediaError
from greenstatus.media import prepare_media, prepare_voice
from greenstatus.testing import FakeGreenAPI

from .conftest import served_client
from .docs_harness import write_recorded_media

pytestmark = pytest.mark.anyio


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A voice note (Opus in Ogg) and a WebP photo, as phones record them."""
    write_recorded_media(tmp_path)
    return tmp_path


def leftovers() -> set[str]:
    folder = Path(tempfile.gettempdir())
    return {path.name for path in folder.glob("greenstatus-media-*")}


async def test_a_voice_note_is_sent_as_an_mp3_and_nothing_is_left(recorded: Path) -> None:
    before = leftovers()
    fake = FakeGreenAPI()
    async with served_client(fake) as client, httpx.AsyncClient() as http:
        await client.send_voice_file(recorded / "voice-note.ogg", prepare=True)
        # What GREEN-API fetches to post it: the link serves an MP3, typed as one.
        fetched = await http.get(str(fake.statuses[0].payload["urlFile"]))
    [(content_type, content)] = fake.uploads.values()
    assert content_type == "audio/mpeg"
    with av.open(io.BytesIO(content)) as uploaded:
        assert uploaded.format.name == "mp3"
        assert uploaded.streams.audio[0].codec_context.codec.canonical_name == "mp3"
    [status] = fake.statuses
    assert status.payload["fileName"] == "voice-note.mp3"
    assert status.payload["urlFile"] in fake.uploads
    upload = next(r for r in fake.requests if r.api_method == "uploadFile")
    assert upload.headers["content-type"] == "audio/mpeg"
    assert upload.headers["ga-filename"] == "voice-note.mp3"
    assert leftovers() == before
    assert fetched.headers["content-type"] == "audio/mpeg"
    assert fetched.content == content


async def test_a_webp_photo_is_sent_as_a_jpeg_in_the_vertical_frame(recorded: Path) -> None:
    Image.new("RGB", (400, 300), "#228B22").save(recorded / "wide.webp", "WEBP")
    fake = FakeGreenAPI()
    async with served_client(fake) as client:
        await client.send_media_file(
            recorded / "wide.webp", prepare=True, fit="9:16", caption="Open today"
        )
    [(content_type, content)] = fake.uploads.values()
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(content)) as picture:
        assert picture.format == "JPEG"
        width, height = picture.size
    assert abs(width / height - 9 / 16) < 0.01
    assert fake.statuses[0].payload["fileName"] == "wide.jpg"
    assert fake.statuses[0].payload["caption"] == "Open today"


async def test_a_file_already_fine_is_uploaded_as_it_is(recorded: Path) -> None:
    Image.new("RGB", (90, 160), "#228B22").save(recorded / "fine.jpg", "JPEG")
    fake = FakeGreenAPI()
    async with served_client(fake) as client:
        await client.send_media_file(recorded / "fine.jpg", prepare=True)
    [(content_type, content)] = fake.uploads.values()
    assert content == (recorded / "fine.jpg").read_bytes()
    assert content_type == "image/jpeg"
    assert (recorded / "fine.jpg").exists()  # the input is never removed


async def test_an_unreadable_file_is_a_typed_error_and_nothing_is_uploaded(
    recorded: Path,
) -> None:
    broken = recorded / "broken.ogg"
    broken.write_bytes(os.urandom(4096))
    before = leftovers()
    fake = FakeGreenAPI()
    async with served_client(fake) as client:
        with pytest.raises(MediaError) as caught:
            await client.send_voice_file(broken, prepare=True)
    assert caught.value.field == "path"
    assert caught.value.path == str(broken)
    assert fake.uploads == {}
    assert fake.statuses == []
    assert leftovers() == before


async def test_a_bad_argument_is_refused_before_any_conversion(recorded: Path) -> None:
    fake = FakeGreenAPI()
    async with served_client(fake) as client:
        with pytest.raises(ValueError, match="fit"):
            await client.send_media_file(recorded / "photo.webp", fit="9:16")  # no prepare
        with pytest.raises(ValueError, match="fit"):
            await prepare_media(recorded / "photo.webp", fit="square")
        with pytest.raises(ValueError, match="max_seconds"):
            await prepare_voice(recorded / "voice-note.ogg", max_seconds=0)
    assert fake.requests == []


async def test_a_cancelled_conversion_returns_at_once_and_cleans_up(tmp_path: Path) -> None:
    clip = tmp_path / "long.webm"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libvpx", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for index in range(25 * 20):
            frame = av.VideoFrame(640, 360, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index % 256]) * plane.buffer_size)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    before = leftovers()
    with anyio.fail_after(10):
        with anyio.move_on_after(0.3) as scope:
            await prepare_media(clip)
        assert scope.cancelled_caught
        for _ in range(100):  # the worker stops at its next frame: within a few seconds
            if leftovers() == before:
                break
            await anyio.sleep(0.05)
    assert leftovers() == before


def test_without_the_extra_the_import_names_it() -> None:
    code = (
        "import sys; sys.modules['av'] = None\n"
        "try:\n"
        "    import greenstatus.media\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'greenstatus[media]'" in done.stdout
    core = subprocess.run(
        [sys.executable, "-c", "import sys; sys.modules['av'] = None; import greenstatus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert core.returncode == 0, core.stderr  # the core never needs it


async def test_the_command_line_prepares_with_its_flag(recorded: Path) -> None:
    fake = FakeGreenAPI()
    async with fake.serve() as url:
        env = {
            **os.environ,
            "GREEN_API_ID_INSTANCE": fake.id_instance,
            "GREEN_API_TOKEN": fake.token,
            "GREEN_API_URL": url,
            "GREEN_API_MEDIA_URL": url,
        }
        command = [sys.executable, "-m", "greenstatus", "send-voice"]
        refused = await anyio.run_process(
            [*command, str(recorded / "voice-note.ogg")], env=env, check=False
        )
        prepared = await anyio.run_process(
            [*command, str(recorded / "voice-note.ogg"), "--prepare"], env=env, check=False
        )
    assert refused.returncode == 2  # an .ogg is refused as it is, with the fix
    assert prepared.returncode == 0, prepared.stderr.decode()
    assert prepared.stdout.decode().startswith("sent ")
    assert [status.payload["fileName"] for status in fake.statuses] == ["voice-note.mp3"]


async def test_a_client_with_its_own_pool_sends_a_prepared_file_in_process(
    recorded: Path,
) -> None:
    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport()
    ) as client:
        await client.send_voice_file(
            recorded / "voice-note.ogg", prepare=True, file_name="hello.mp3"
        )
    assert fake.statuses[0].payload["fileName"] == "hello.mp3"


async def test_a_name_given_keeps_its_stem_and_takes_the_prepared_type(recorded: Path) -> None:
    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport()
    ) as client:
        await client.send_voice_file(
            recorded / "voice-note.ogg", prepare=True, file_name="greeting.ogg"
        )
        await client.send_media_file(recorded / "photo.webp", prepare=True, file_name="menu.png")
    assert [status.payload["fileName"] for status in fake.statuses] == [
        "greeting.mp3",
        "menu.jpg",
    ]
    assert sorted(content_type for content_type, _ in fake.uploads.values()) == [
        "audio/mpeg",
        "image/jpeg",
    ]


async def test_a_phone_jpeg_with_a_second_image_stays_a_picture(tmp_path: Path) -> None:
    first = Image.new("RGB", (64, 48), "#228B22")
    second = Image.new("RGB", (64, 48), "#000000")
    source = tmp_path / "phone.jpg"
    first.save(source, format="MPO", save_all=True, append_images=[second])
    prepared = await prepare_media(source)
    assert prepared.content_type.startswith("image/")
    prepared.remove()


async def test_a_picture_too_large_to_decode_is_a_media_error(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)
    source = tmp_path / "huge.png"
    source.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(MediaError):
        await prepare_media(source)


async def test_a_name_too_long_for_the_file_system_is_a_media_error() -> None:
    with pytest.raises(MediaError):
        await prepare_media("/tmp/" + "x" * 300 + ".jpg")


async def test_leaving_at_any_moment_leaves_no_converted_file(recorded: Path) -> None:
    before = leftovers()
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05):
        with anyio.move_on_after(delay):
            prepared = await prepare_media(recorded / "photo.webp")
            prepared.remove()  # finished first: the caller's to remove, and removed
    for _ in range(200):  # each worker ends at its next check: within 10 s
        if leftovers() == before:
            break
        await anyio.sleep(0.05)
    assert leftovers() == before
