"""video_file: animations and videos phones do not show as a status become
H.264/AAC MP4; an MP4 that is already fine is passed through untouched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import pytest
from av.audio.frame import AudioFrame
from av.container import InputContainer
from av.video.frame import VideoFrame
from PIL import Image

from greenstatus.media import _frames, _video
from greenstatus.media._frames import MAX_FRAME_PIXELS
from greenstatus.media._pictures import MAX_PICTURE_PIXELS
from greenstatus.media._prepared import Cancelled, PreparedFile, Unreadable
from greenstatus.media._video import VIDEO_MAX_SECONDS, video_file


@dataclass
class Probe:
    formats: str
    codec: str
    pix_fmt: str
    width: int
    height: int
    duration: float
    frames: int
    audio: str | None
    rotation: int


def _probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        assert video.codec_context.format is not None
        probe = Probe(
            formats=container.format.name,
            codec=video.codec_context.name,
            pix_fmt=video.codec_context.format.name,
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=(container.duration or 0) / av.time_base,
            frames=0,
            audio=audio.codec_context.name if audio is not None else None,
            rotation=0,
        )
        for frame in container.decode(video=0):  # every frame decodes
            probe.frames += 1
            probe.rotation = frame.rotation
        return probe


def _assert_mp4(prepared: PreparedFile, workdir: Path) -> Probe:
    assert prepared.converted
    assert prepared.temporary
    assert prepared.path.parent == workdir
    assert prepared.path.suffix == ".mp4"
    assert prepared.file_name == prepared.path.name
    assert prepared.content_type == "video/mp4"
    assert prepared.size == prepared.path.stat().st_size
    data = prepared.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart
    probe = _probe(prepared.path)
    assert "mp4" in probe.formats
    assert probe.codec == "h264"
    assert probe.pix_fmt == "yuv420p"
    assert probe.width % 2 == 0
    assert probe.height % 2 == 0
    assert prepared.duration == pytest.approx(probe.duration)
    return probe


def _go(source: Path, workdir: Path, **options: object) -> PreparedFile:
    return video_file(source, workdir, threading.Event(), **options)  # type: ignore[arg-type]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def _gif(path: Path, frames: int = 10, size: tuple[int, int] = (40, 30)) -> Path:
    images = []
    for index in range(frames):
        image = Image.new("RGBA", size, (0, 0, 0, 0))  # transparent background
        image.paste((200, 20 * index, 40, 255), (10, 5, size[0] - 10, size[1] - 5))
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0, disposal=2)
    return path


def _write(
    path: Path,
    *,
    codec: str,
    seconds: float,
    size: tuple[int, int] = (64, 64),
    fps: int = 10,
    pix_fmt: str = "yuv420p",
    audio: str | None = None,
    audio_rate: int = 48000,
    audio_seconds: float | None = None,
    rotation: int = 0,
    sar: Fraction | None = None,
    jitter: bool = False,
    format: str | None = None,
) -> Path:
    with av.open(str(path), "w", format=format) as output:
        video = output.add_stream(codec, rate=fps)
        video.width, video.height = size
        video.pix_fmt = pix_fmt
        if sar is not None:
            video.codec_context.sample_aspect_ratio = sar
        if jitter:  # a phone's 90 kHz timestamps, a millisecond early or late
            video.time_base = video.codec_context.time_base = Fraction(1, 90000)
        if rotation:
            video.set_display_rotation(rotation)
        sound = output.add_stream(audio, rate=audio_rate, layout="mono") if audio else None
        for index in range(round(seconds * fps)):
            image = Image.new("RGBA", size, (index * 7 % 255, 90, 160, 255))
            frame = VideoFrame.from_bytes(image.tobytes(), size[0], size[1], format="rgba")
            frame = frame.reformat(format=pix_fmt)
            frame.pts, frame.time_base = index, Fraction(1, fps)
            if jitter:
                early_or_late = (0, 90, -90, 45)[index % 4]
                frame.pts = index * 90000 // fps + early_or_late
                frame.time_base = Fraction(1, 90000)
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            samples = sound.codec_context.frame_size or 1024
            fmt = sound.codec_context.format.name
            audio_end = seconds if audio_seconds is None else audio_seconds
            for start in range(0, round(audio_end * audio_rate), samples):
                chunk = AudioFrame(format=fmt, layout="mono", samples=samples)
                chunk.sample_rate, chunk.pts = audio_rate, start
                chunk.time_base = Fraction(1, audio_rate)
                for plane in chunk.planes:
                    plane.update(bytes(plane.buffer_size))
                output.mux(sound.encode(chunk))
            output.mux(sound.encode(None))
    return path


def test_animated_gif_becomes_mp4(tmp_path: Path, workdir: Path) -> None:
    prepared = _go(_gif(tmp_path / "dance.gif"), workdir)
    assert prepared.path == workdir / "dance.mp4"
    probe = _assert_mp4(prepared, workdir)
    assert (probe.width, probe.height) == (40, 30)
    assert probe.frames == 10
    assert probe.duration == pytest.approx(1.0, abs=0.05)
    assert probe.audio is None
    assert not prepared.trimmed
    # The transparent background is black, the picture kept.
    with av.open(str(prepared.path)) as container:
        first = next(iter(container.decode(video=0))).reformat(format="rgb24")
        image = Image.frombytes(
            "RGB", (40, 30), bytes(first.planes[0]), "raw", "RGB", first.planes[0].line_size
        )
    assert max(image.getpixel((1, 1))) < 40  # type: ignore[arg-type]
    assert image.getpixel((20, 15))[0] > 150  # type: ignore[index]


def test_animated_webp_becomes_mp4(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "sticker.webp"
    frames = [Image.new("RGB", (40, 30), (20 * i, 80, 80)) for i in range(6)]
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=200, loop=0)
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert (probe.width, probe.height) == (40, 30)
    assert probe.frames == 6
    assert probe.duration == pytest.approx(1.2, abs=0.05)


def test_webm_with_audio_becomes_mp4_with_aac(tmp_path: Path, workdir: Path) -> None:
    audio = "libopus" if _can_encode("libopus") else "vorbis"
    source = _write(tmp_path / "clip.webm", codec="libvpx", seconds=2, audio=audio)
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert (probe.width, probe.height) == (64, 64)
    assert probe.audio == "aac"
    assert probe.frames == 20
    assert probe.duration == pytest.approx(2.0, abs=0.1)


def test_odd_mkv_gets_even_dimensions(tmp_path: Path, workdir: Path) -> None:
    source = _write(tmp_path / "odd.mkv", codec="ffv1", seconds=1, size=(101, 75))
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert (probe.width, probe.height) == (100, 74)
    assert probe.frames == 10
    assert probe.audio is None


def test_long_clip_is_trimmed_to_a_minute(tmp_path: Path, workdir: Path) -> None:
    source = _write(
        tmp_path / "long.mp4", codec="libx264", seconds=70, fps=5, audio="aac", audio_rate=8000
    )
    prepared = _go(source, workdir)
    probe = _assert_mp4(prepared, workdir)
    assert prepared.trimmed
    assert any("trimmed" in note for note in prepared.notes)
    assert probe.duration == pytest.approx(VIDEO_MAX_SECONDS, abs=0.3)
    assert probe.frames == 300
    assert probe.audio == "aac"


def test_fine_mp4_passes_through(tmp_path: Path, workdir: Path) -> None:
    source = _write(tmp_path / "fine.mp4", codec="libx264", seconds=1, audio="aac")
    prepared = _go(source, workdir)
    assert prepared.path == source
    assert prepared.file_name == "fine.mp4"
    assert prepared.content_type == "video/mp4"
    assert not prepared.converted
    assert not prepared.temporary
    assert prepared.duration == pytest.approx(1.0, abs=0.1)
    assert list(workdir.iterdir()) == []


def test_fit_pads_to_nine_by_sixteen(tmp_path: Path, workdir: Path) -> None:
    probe = _assert_mp4(_go(_gif(tmp_path / "wide.gif"), workdir, fit="9:16"), workdir)
    assert (probe.width, probe.height) == (54, 96)
    assert probe.frames == 10


def test_rotation_is_applied(tmp_path: Path, workdir: Path) -> None:
    source = _write(
        tmp_path / "phone.mov", codec="libx264", seconds=0.5, size=(64, 32), rotation=90
    )
    probe = _assert_mp4(_go(source, workdir, max_seconds=0.3), workdir)
    assert (probe.width, probe.height) == (32, 64)
    assert probe.rotation == 0


def test_corrupt_file_is_unreadable(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "broken.webm"
    source.write_bytes(b"\x1a\x45\xdf\xa3 this is no video at all" * 10)
    with pytest.raises(Unreadable):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_audio_only_is_unreadable(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "sound.wav"
    with av.open(str(source), "w") as output:
        sound = output.add_stream("pcm_s16le", rate=8000, layout="mono")
        chunk = AudioFrame(format="s16", layout="mono", samples=800)
        chunk.sample_rate, chunk.pts = 8000, 0
        chunk.planes[0].update(bytes(chunk.planes[0].buffer_size))
        output.mux(sound.encode(chunk))
        output.mux(sound.encode(None))
    with pytest.raises(Unreadable, match="video stream"):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_missing_file_is_unreadable(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(Unreadable):
        _go(tmp_path / "gone.mp4", workdir)
    assert list(workdir.iterdir()) == []


def test_bad_fit_is_a_value_error(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(ValueError, match="fit"):
        _go(tmp_path / "missing.gif", workdir, fit="square")


def test_cancelled_leaves_nothing(tmp_path: Path, workdir: Path) -> None:
    source = _gif(tmp_path / "dance.gif")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        video_file(source, workdir, cancel)
    assert list(workdir.iterdir()) == []


def test_cancelled_midway_leaves_nothing(tmp_path: Path, workdir: Path) -> None:
    source = _gif(tmp_path / "dance.gif")

    class Later(threading.Event):
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 4

    with pytest.raises(Cancelled):
        video_file(source, workdir, Later())
    assert list(workdir.iterdir()) == []


def _can_encode(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True


def test_animated_webp_trimmed_and_cancelled(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "sticker.webp"
    frames = [Image.new("RGB", (40, 30), (20 * i, 80, 80)) for i in range(6)]
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=200, loop=0)
    prepared = _go(source, workdir, max_seconds=0.5, fit="9:16")
    probe = _assert_mp4(prepared, workdir)
    assert prepared.trimmed
    assert (probe.width, probe.height) == (54, 96)
    assert probe.frames == 3
    prepared.path.unlink()

    class Later(threading.Event):
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 3

    with pytest.raises(Cancelled):
        video_file(source, workdir, Later())
    assert list(workdir.iterdir()) == []


def test_30_fps_keeps_every_frame(tmp_path: Path, workdir: Path) -> None:
    # WebM timestamps are milliseconds: 0.033, 0.067, a hair under k/30.
    source = _write(tmp_path / "thirty.webm", codec="libvpx", seconds=2, fps=30)
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert probe.frames == 60
    assert probe.duration == pytest.approx(2.0, abs=0.1)
    # A phone's MP4: 90 kHz timestamps jittered by a millisecond.
    source = _write(
        tmp_path / "phone.mp4", codec="libx264", seconds=2, fps=30, pix_fmt="yuv444p", jitter=True
    )
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert probe.frames == 60
    # 60 frames a second still become 30.
    source = _write(tmp_path / "sixty.mkv", codec="ffv1", seconds=1, fps=60)
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert probe.frames == 30


def _huge_canvas_gif(path: Path) -> Path:
    """A two-frame GIF whose screen (the size FFmpeg and Pillow decode every
    frame at) claims 9000x9000: 81 megapixels."""
    _gif(path, frames=2)
    data = bytearray(path.read_bytes())
    data[6:10] = (9000).to_bytes(2, "little") * 2
    path.write_bytes(bytes(data))
    return path


def test_huge_animation_is_refused_before_decoding(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(Unreadable, match="9000x9000, over 50 megapixels"):
        _go(_huge_canvas_gif(tmp_path / "bomb.gif"), workdir)
    assert list(workdir.iterdir()) == []
    assert MAX_FRAME_PIXELS == MAX_PICTURE_PIXELS


def test_huge_webp_animation_is_refused(
    tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "sticker.webp"
    frames = [Image.new("RGB", (40, 30), (20 * i, 80, 80)) for i in range(3)]
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=200, loop=0)
    monkeypatch.setattr(_frames, "MAX_FRAME_PIXELS", 1000)  # 40x30 is over it
    with pytest.raises(Unreadable, match="40x30, over"):
        _go(source, workdir)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow's own bomb check
    with pytest.raises(Unreadable, match="megapixels"):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_short_audio_does_not_decode_past_the_cut(
    tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write(
        tmp_path / "long.mp4",
        codec="libx264",
        seconds=90,
        fps=5,
        audio="aac",
        audio_rate=8000,
        audio_seconds=3,
    )
    demuxed: list[float] = []
    opened = _video._open

    class Spy:
        def __init__(self, container: InputContainer) -> None:
            self.container = container

        def __getattr__(self, name: str) -> object:
            return getattr(self.container, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.container.close()

        def demux(self, *streams: object) -> Iterator[av.Packet]:  # type: ignore[type-arg]
            for packet in self.container.demux(*streams):
                if packet.stream.type == "video" and packet.pts is not None:
                    demuxed.append(float(packet.pts * packet.time_base))
                yield packet

    monkeypatch.setattr(_video, "_open", lambda path: Spy(opened(path)))
    prepared = _go(source, workdir, max_seconds=10)
    probe = _assert_mp4(prepared, workdir)
    assert prepared.trimmed
    assert probe.duration == pytest.approx(10, abs=0.3)
    assert probe.frames == 50
    assert probe.audio == "aac"
    assert max(demuxed) < 12  # not the 90 seconds


def test_anamorphic_video_is_shown_wide(tmp_path: Path, workdir: Path) -> None:
    source = _write(
        tmp_path / "dvd.mkv", codec="mpeg2video", seconds=0.3, size=(720, 480), sar=Fraction(32, 27)
    )
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert (probe.width, probe.height) == (852, 480)  # 16:9, even


def test_trimmed_audio_ends_at_the_cut(tmp_path: Path, workdir: Path) -> None:
    source = _write(tmp_path / "talk.mkv", codec="ffv1", seconds=3, audio="aac", audio_rate=8000)
    prepared = _go(source, workdir, max_seconds=1.5)
    _assert_mp4(prepared, workdir)
    with av.open(str(prepared.path)) as container:
        sound = container.streams.audio[0]
        assert sound.duration is not None
        assert float(sound.duration * sound.time_base) == pytest.approx(1.5, abs=0.002)
    assert prepared.duration == pytest.approx(1.5, abs=0.002)


def test_raw_h264_without_timestamps_keeps_its_frames(tmp_path: Path, workdir: Path) -> None:
    source = _write(tmp_path / "raw.h264", codec="libx264", seconds=1, fps=10, format="h264")
    probe = _assert_mp4(_go(source, workdir), workdir)
    assert probe.frames == 10
    assert probe.duration == pytest.approx(1.0, abs=0.15)  # at the guessed 10 fps
