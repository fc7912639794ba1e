"""Voice statuses: any audio PyAV reads, made an MP3 GREEN-API takes.

sendVoiceStatus takes ``.mp3`` and ``.wav`` only; phones do not play an Ogg
Opus voice note, an m4a, a flac... posted as a status. So every other input,
and a ``.wav`` too (an MP3 is a far smaller upload), is re-encoded with
libmp3lame. An MP3 that is already fine (a rate MP3 allows, one or two
channels, short enough) is passed through untouched.

The choices: mono stays mono and stereo stereo, more channels are downmixed
to stereo (phones play no more); the bitrate is one for speech, not music;
the sample rate is kept when MP3 has it, else made 48 kHz. Input longer than
GREEN-API keeps is cut, by stopping the encoding there (the rest is never
decoded). Everything streams: one packet is demuxed, decoded, resampled,
encoded and muxed at a time, so a long recording never sits in memory, and
the cancellation flag is checked between packets. A failed or cancelled
conversion leaves no partial file behind.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream

from ._prepared import PreparedFile, Unreadable, check_cancel

__all__ = ["VOICE_MAX_SECONDS", "voice_file"]

# GREEN-API's newer sendVoiceStatus pages allow voice up to 10 minutes and
# drop longer ones (the status never appears); older pages said audio is cut
# at one minute. Ten minutes is what it takes today.
VOICE_MAX_SECONDS = 600.0

# The rates an MP3 can carry (MPEG-1, -2 and -2.5 layer III).
MP3_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
_FALLBACK_RATE = 48000

# A voice status is speech: 64 kbit/s is transparent for a mono voice and
# 96 kbit/s for stereo, at a third to a half of music's 128-192 kbit/s, so
# the upload and the recipients' download stay small. Below 16 kHz (MPEG-2.5:
# 8, 11.025 and 12 kHz) libmp3lame caps stereo at 64 kbit/s whatever is asked
# (and reports the asked rate back), so 64 kbit/s is what is set and said there.
_BITRATE = {1: 64_000, 2: 96_000}
_LOW_RATE_BITRATE = 64_000
# Output names are cut to this many UTF-8 bytes (a name is at most 255).
_MAX_STEM_BYTES = 100


def _bitrate(channels: int, rate: int) -> int:
    return _LOW_RATE_BITRATE if rate < 16_000 else _BITRATE[channels]


def _short_stem(source: Path) -> str:
    """``source``'s stem, cut so the output's name stays within 255 bytes."""
    return source.stem.encode("utf-8", "surrogateescape")[:_MAX_STEM_BYTES].decode(
        "utf-8", "ignore"
    )


_TRIM_REASON = "GREEN-API drops longer voice statuses (older pages: cut at one minute)"


def _seconds(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _head(frame: AudioFrame, samples: int) -> AudioFrame:
    """The first ``samples`` of a frame (where the output is trimmed)."""
    head = AudioFrame(format=frame.format, layout=frame.layout, samples=samples)
    head.sample_rate = frame.sample_rate
    head.pts = frame.pts
    for source, target in zip(frame.planes, head.planes, strict=True):
        target.update(bytes(source)[: target.buffer_size])
    return head


def _input_seconds(container: av.container.InputContainer, stream: AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _passes(
    container: av.container.InputContainer, stream: AudioStream, max_seconds: float
) -> float | None:
    """The duration of an input that is already a fine MP3, else None."""
    seconds = _input_seconds(container, stream)
    fine = (
        container.format.name == "mp3"
        and stream.codec_context.codec.canonical_name == "mp3"
        and stream.codec_context.sample_rate in MP3_RATES
        and 1 <= stream.codec_context.channels <= 2
        and seconds is not None
        and seconds <= max_seconds
    )
    return seconds if fine else None


def voice_file(
    source: Path,
    workdir: Path,
    cancel: threading.Event,
    *,
    max_seconds: float = VOICE_MAX_SECONDS,
) -> PreparedFile:
    """Make ``source`` an MP3 a voice status plays, in ``workdir``.

    Runs in a worker thread; raises ``Unreadable`` for an input that is no
    audio PyAV can read, ``Cancelled`` when ``cancel`` is set.
    """
    check_cancel(cancel)
    try:
        container = av.open(str(source))
    except av.error.FFmpegError as exc:
        raise Unreadable(f"not an audio or video file it can read ({exc.strerror})") from None
    with container:
        if not container.streams.audio:
            raise Unreadable("it has no audio track")
        stream = container.streams.audio[0]
        seconds = _passes(container, stream, max_seconds)
        if seconds is not None:
            return PreparedFile(
                path=source,
                file_name=f"{source.stem}.mp3",
                content_type="audio/mpeg",
                duration=seconds,
                size=source.stat().st_size,
                converted=False,
                notes=("already an MP3 phones play: sent as it is",),
                temporary=False,
            )
        target = workdir / f"{_short_stem(source)}.mp3"
        try:
            return _convert(container, stream, target, cancel, max_seconds)
        except av.error.FFmpegError as exc:
            target.unlink(missing_ok=True)
            raise Unreadable(f"its audio cannot be decoded ({exc.strerror})") from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise


def _convert(
    container: av.container.InputContainer,
    stream: AudioStream,
    target: Path,
    cancel: threading.Event,
    max_seconds: float,
) -> PreparedFile:
    in_rate = stream.codec_context.sample_rate
    in_channels = stream.codec_context.channels
    rate = in_rate if in_rate in MP3_RATES else _FALLBACK_RATE
    channels = 1 if in_channels == 1 else 2
    notes: list[str] = []
    if any(not v.disposition & av.stream.Disposition.attached_pic for v in container.streams.video):
        notes.append("took the audio track of a video")
    codec = stream.codec_context.codec.canonical_name
    box = container.format.name.split(",")[0]  # "mov,mp4,m4a,3gp,3g2,mj2" is one demuxer
    if box == "wav":
        notes.append("converted WAV to MP3: a far smaller upload")
    else:
        notes.append(f"converted {codec} in {box} to MP3")
    if in_channels > 2:
        notes.append(f"downmixed {in_channels} channels to stereo")
    if rate != in_rate:
        notes.append(f"resampled {in_rate} Hz to {rate} Hz (a rate MP3 carries)")
    bit_rate = _bitrate(channels, rate)
    notes.append(f"{bit_rate // 1000} kbit/s, {rate} Hz")

    limit = round(max_seconds * rate)  # samples at the output rate
    written = 0
    trimmed = False
    with av.open(str(target), "w", format="mp3") as output:
        out = output.add_stream(
            "libmp3lame", rate=rate, layout="mono" if channels == 1 else "stereo"
        )
        out.codec_context.bit_rate = bit_rate
        out.codec_context.open()  # now its frame size is known (1152, or 576 below 32 kHz)
        resampler = av.AudioResampler(
            format=out.codec_context.format,
            layout=out.codec_context.layout,
            rate=rate,
            frame_size=out.codec_context.frame_size or None,
        )

        def encode(frames: list[AudioFrame]) -> None:
            nonlocal written, trimmed
            for frame in frames:
                if written + frame.samples > limit:
                    trimmed = True
                    if written >= limit:
                        return
                    frame = _head(frame, limit - written)
                frame.pts = written
                frame.time_base = Fraction(1, rate)
                written += frame.samples
                output.mux(out.encode(frame))

        for packet in container.demux(stream):
            check_cancel(cancel)
            for decoded in packet.decode():
                encode(resampler.resample(decoded))
            if trimmed:
                break  # the rest is never decoded
        encode(resampler.resample(None))
        output.mux(out.encode(None))
    if written == 0:
        raise Unreadable("its audio track holds no sound")
    duration = written / rate
    if trimmed:
        was = _input_seconds(container, stream)
        start = f"from {_seconds(was)} s " if was is not None and was > max_seconds else ""
        notes.append(f"trimmed {start}to {_seconds(max_seconds)} s: {_TRIM_REASON}")
    return PreparedFile(
        path=target,
        file_name=target.name,
        content_type="audio/mpeg",
        duration=duration,
        size=target.stat().st_size,
        converted=True,
        trimmed=trimmed,
        notes=tuple(notes),
        temporary=True,
    )
