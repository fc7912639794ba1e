"""greenstatus.media's voice conversion: every input is made with PyAV here,
converted, and the MP3 that comes out is opened and decoded end to end."""

from __future__ import annotations

import array
import math
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

av = pytest.importorskip("av")

from greenstatus.media._prepared import Cancelled, PreparedFile, Unreadable  # noqa: E402
from greenstatus.media._voice import VOICE_MAX_SECONDS, voice_file  # noqa: E402

LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def _tone(rate: int, channels: int, seconds: float, chunk: int = 4096) -> Iterator[object]:
    """A 440 Hz sine, as s16 frames of ``chunk`` samples."""
    total = round(rate * seconds)
    step = 2 * math.pi * 440 / rate
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        samples = array.array(
            "h",
            (
                int(8000 * math.sin(step * i))
                for i in range(start, start + n)
                for _ in range(channels)
            ),
        )
        frame = av.AudioFrame(format="s16", layout=LAYOUTS[channels], samples=n)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = rate
        frame.pts = start
        yield frame


def make_media(
    path: Path,
    codec: str | None,
    *,
    rate: int = 48000,
    channels: int = 1,
    seconds: float = 1.0,
    video: str | None = None,
    fmt: str | None = None,
    bit_rate: int | None = None,
) -> Path:
    """Write ``seconds`` of tone with ``codec`` (and/or a few video frames)."""
    with av.open(str(path), "w", format=fmt) as out:
        # Every stream is added before the first packet (the header is written then).
        vstream = out.add_stream(video, rate=8) if video is not None else None
        astream = None
        if codec is not None:
            astream = out.add_stream(codec, rate=rate, layout=LAYOUTS[channels])
            if bit_rate is not None:
                astream.codec_context.bit_rate = bit_rate
            astream.codec_context.open()  # its frame size is known from here
        if vstream is not None:
            vstream.width = vstream.height = 64
            vstream.pix_fmt = "yuv420p"
            for i in range(max(1, round(seconds * 8))):
                picture = av.VideoFrame(64, 64, "yuv420p")
                for plane in picture.planes:
                    plane.update(bytes([128]) * plane.buffer_size)
                picture.pts = i
                out.mux(vstream.encode(picture))
            out.mux(vstream.encode(None))
        if astream is not None:
            resampler = av.AudioResampler(
                format=astream.codec_context.format,
                layout=astream.codec_context.layout,
                rate=rate,
                frame_size=astream.codec_context.frame_size or None,
            )
            for frame in [*_tone(rate, channels, seconds), None]:
                for resampled in resampler.resample(frame):
                    out.mux(astream.encode(resampled))
            out.mux(astream.encode(None))
    return path


def check_mp3(prepared: PreparedFile, *, channels: int, rate: int, seconds: float) -> None:
    """The output is an MP3 of that shape, and it decodes to its end."""
    assert prepared.path.suffix == ".mp3"
    assert prepared.file_name == prepared.path.name
    assert prepared.content_type == "audio/mpeg"
    assert prepared.size == prepared.path.stat().st_size > 0
    assert prepared.duration is not None
    assert prepared.duration == pytest.approx(seconds, abs=0.05)
    with av.open(str(prepared.path)) as container:
        assert container.format.name == "mp3"
        stream = container.streams.audio[0]
        assert stream.codec_context.codec.canonical_name == "mp3"
        assert stream.codec_context.channels == channels
        assert stream.codec_context.sample_rate == rate
        decoded = sum(frame.samples for frame in container.decode(stream))
    assert decoded / rate == pytest.approx(seconds, abs=0.05)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.fixture
def cancel() -> threading.Event:
    return threading.Event()


@pytest.mark.parametrize(
    ("name", "codec", "rate", "channels", "out_channels", "out_rate"),
    [
        ("note.ogg", "libopus", 48000, 1, 1, 48000),  # WhatsApp's own voice note
        ("song.m4a", "aac", 44100, 2, 2, 44100),
        ("take.flac", "flac", 22050, 1, 1, 22050),
        ("memo.wav", "pcm_s16le", 16000, 1, 1, 16000),
        ("hires.flac", "flac", 96000, 2, 2, 48000),  # no MP3 rate: resampled
        ("surround.wav", "pcm_s16le", 48000, 6, 2, 48000),  # downmixed
        ("call.amr", "amr_nb", 8000, 1, 1, 8000),
        ("boxed.mp3", "libmp3lame", 44100, 1, 1, 44100),  # MP3 in Matroska, named .mp3
    ],
)
def test_audio_becomes_mp3(
    tmp_path: Path,
    workdir: Path,
    cancel: threading.Event,
    name: str,
    codec: str,
    rate: int,
    channels: int,
    out_channels: int,
    out_rate: int,
) -> None:
    bit_rate = 12_200 if codec == "amr_nb" else None
    fmt = "matroska" if name == "boxed.mp3" else None
    source = make_media(
        tmp_path / name, codec, rate=rate, channels=channels, bit_rate=bit_rate, fmt=fmt
    )
    prepared = voice_file(source, workdir, cancel)
    assert prepared.converted is True
    assert prepared.temporary is True
    assert prepared.trimmed is False
    assert prepared.path == workdir / f"{source.stem}.mp3"
    check_mp3(prepared, channels=out_channels, rate=out_rate, seconds=1.0)
    kbits = "64 kbit/s" if out_channels == 1 else "96 kbit/s"
    assert any(kbits in note for note in prepared.notes)
    if channels > 2:
        assert any("downmixed 6 channels" in note for note in prepared.notes)
    if out_rate != rate:
        assert any("resampled 96000 Hz to 48000 Hz" in note for note in prepared.notes)
    if name.endswith(".wav"):
        assert any("WAV" in note for note in prepared.notes)


def test_fine_mp3_passes_through(tmp_path: Path, workdir: Path, cancel: threading.Event) -> None:
    source = make_media(tmp_path / "ready.mp3", "libmp3lame", rate=44100, seconds=1.0)
    prepared = voice_file(source, workdir, cancel)
    assert prepared.converted is False
    assert prepared.temporary is False
    assert prepared.path == source
    assert prepared.file_name == "ready.mp3"
    assert prepared.size == source.stat().st_size
    assert prepared.duration == pytest.approx(1.0, abs=0.05)
    assert list(workdir.iterdir()) == []
    prepared.remove()  # never the input
    assert source.exists()


def test_mp3_encoder_refuses_96k() -> None:
    # MP3 has no 96 kHz: such input can only come from elsewhere (flac, wav
    # above), which is converted at 48 kHz.
    with pytest.raises(av.error.FFmpegError):
        make_media(Path("/dev/null"), "libmp3lame", rate=96000, fmt="mp3")


@pytest.mark.parametrize(
    ("name", "video", "audio"), [("clip.webm", "libvpx", "libopus"), ("clip.mp4", "mpeg4", "aac")]
)
def test_audio_track_of_a_video(
    tmp_path: Path, workdir: Path, cancel: threading.Event, name: str, video: str, audio: str
) -> None:
    source = make_media(tmp_path / name, audio, rate=48000, channels=2, video=video)
    prepared = voice_file(source, workdir, cancel)
    check_mp3(prepared, channels=2, rate=48000, seconds=1.0)
    assert "took the audio track of a video" in prepared.notes


def test_long_input_is_trimmed(tmp_path: Path, workdir: Path, cancel: threading.Event) -> None:
    source = make_media(tmp_path / "long.ogg", "libopus", rate=48000, seconds=5.0)
    prepared = voice_file(source, workdir, cancel, max_seconds=2.0)
    assert prepared.trimmed is True
    check_mp3(prepared, channels=1, rate=48000, seconds=2.0)
    assert any(
        note.startswith("trimmed from 5") and "to 2 s: GREEN-API drops longer" in note
        for note in prepared.notes
    )


def test_long_mp3_is_trimmed_not_passed(
    tmp_path: Path, workdir: Path, cancel: threading.Event
) -> None:
    source = make_media(tmp_path / "long.mp3", "libmp3lame", rate=44100, seconds=3.0)
    prepared = voice_file(source, workdir, cancel, max_seconds=1.5)
    assert prepared.converted is True
    assert prepared.trimmed is True
    check_mp3(prepared, channels=1, rate=44100, seconds=1.5)


def test_default_limit_is_ten_minutes() -> None:
    assert VOICE_MAX_SECONDS == 600.0


def test_corrupt_file_is_unreadable(tmp_path: Path, workdir: Path, cancel: threading.Event) -> None:
    source = tmp_path / "broken.ogg"
    source.write_bytes(random.Random(0).randbytes(8192))
    with pytest.raises(Unreadable) as caught:
        voice_file(source, workdir, cancel)
    assert str(tmp_path) not in str(caught.value)
    assert caught.value.__cause__ is None
    assert list(workdir.iterdir()) == []


def test_video_without_audio_is_unreadable(
    tmp_path: Path, workdir: Path, cancel: threading.Event
) -> None:
    source = make_media(tmp_path / "silent.mp4", None, video="mpeg4")
    with pytest.raises(Unreadable, match="no audio"):
        voice_file(source, workdir, cancel)
    assert list(workdir.iterdir()) == []


def test_cancelled_before_start(tmp_path: Path, workdir: Path, cancel: threading.Event) -> None:
    source = make_media(tmp_path / "note.ogg", "libopus")
    cancel.set()
    with pytest.raises(Cancelled):
        voice_file(source, workdir, cancel)
    assert list(workdir.iterdir()) == []


class _CancelAfter(threading.Event):
    """Set once it has been asked ``checks`` times: a cancel mid-way."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        return self.checks < 0


def test_cancelled_midway_leaves_no_file(tmp_path: Path, workdir: Path) -> None:
    source = make_media(tmp_path / "note.ogg", "libopus", seconds=2.0)
    with pytest.raises(Cancelled):
        voice_file(source, workdir, _CancelAfter(20))
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize(("rate", "kbits"), [(11025, 64), (8000, 64), (22050, 96)])
def test_stereo_bitrate_note_is_the_real_one(
    tmp_path: Path, workdir: Path, cancel: threading.Event, rate: int, kbits: int
) -> None:
    # libmp3lame caps stereo at 64 kbit/s below 16 kHz: the note says so.
    source = make_media(tmp_path / "low.flac", "flac", rate=rate, channels=2, seconds=1.0)
    prepared = voice_file(source, workdir, cancel)
    with av.open(str(prepared.path)) as container:
        actual = container.streams.audio[0].codec_context.bit_rate
    assert actual == kbits * 1000
    assert f"{kbits} kbit/s, {rate} Hz" in prepared.notes


def test_long_name_is_shortened(tmp_path: Path, workdir: Path, cancel: threading.Event) -> None:
    source = make_media(tmp_path / ("v" * 250), "flac", fmt="flac")  # no extension
    prepared = voice_file(source, workdir, cancel)
    assert prepared.path == workdir / f"{'v' * 100}.mp3"
    check_mp3(prepared, channels=1, rate=48000, seconds=1.0)
