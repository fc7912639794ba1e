"""Videos a status shows: H.264 in MP4 out of whatever PyAV reads.

GREEN-API takes mp4, mov and m4v; phones do not show a GIF status, and webm,
mkv, avi and 3gp are not taken as a status. ``video_file`` passes through an
MP4/MOV/M4V already in H.264 yuv420p (with AAC audio or none), short and
small enough, and turns anything else into ``<stem>.mp4``:

- H.264 (libx264, ``veryfast``, CRF 23) in yuv420p, the one format every
  phone plays; the frame rate is kept, capped at 30 frames a second (frames
  in between are dropped); even width and height, the longer side at most
  1920 (downscaled keeping the aspect); the display rotation is applied to
  the pixels, and the sample aspect ratio (anamorphic video comes out
  wide); a GIF's transparent background is flattened onto black; a frame
  over 50 megapixels is refused before anything is decoded;
- AAC audio (128 kbit/s, mono or stereo) when the input has audio, none when
  it has none; ``+faststart`` so a phone can play it while downloading;
- input longer than GREEN-API keeps (a minute) is trimmed: decoding stops
  there (and no video past the cut is decoded when the audio is shorter;
  frames without timestamps are timed by their index). x264's rate is
  capped (``maxrate`` 8 Mbit/s) so a minute stays far under the 100 MB
  upload limit, and the size is checked at the end;
- ``fit="9:16"`` pads each frame onto black, centred in the smallest 9:16
  frame holding it (see ``_frames``).

Everything streams, one packet and frame at a time; the cancellation flag is
checked between frames, and a failed or cancelled conversion leaves no
partial file. Animated WebP, which FFmpeg's decoder does not read, is read
frame by frame with Pillow (``_animation``).
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from ._animation import convert_animation, webp_animation
from ._encoder import MAX_FPS, Encoder
from ._frames import (
    MAX_UPLOAD_BYTES,
    check_fit,
    check_frame_pixels,
    checked_size,
    encodable,
    output_path,
)
from ._frames import video_geometry as geometry
from ._prepared import PreparedFile, Unreadable, check_cancel

__all__ = ["VIDEO_MAX_SECONDS", "video_file"]

# GREEN-API cuts audio and video longer than a minute.
VIDEO_MAX_SECONDS = 60.0
_PASS_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime"}


def _passes(source: Path, fit: str | None, max_seconds: float) -> tuple[str, float] | None:
    """The content type and duration to send ``source`` untouched under."""
    content_type = _PASS_TYPES.get(source.suffix.lower())
    if content_type is None or fit is not None:
        return None
    try:
        if source.stat().st_size > MAX_UPLOAD_BYTES:
            return None
        with av.open(str(source)) as container:
            if not {"mp4", "mov"} & set(container.format.name.split(",")):
                return None
            videos, audios = container.streams.video, container.streams.audio
            if container.duration is None:
                return None
            duration = container.duration / av.time_base
            if duration > max_seconds:
                return None
            fine_video = all(
                v.codec_context.name == "h264"
                and v.codec_context.format is not None
                and v.codec_context.format.name == "yuv420p"
                for v in videos
            )
            fine_audio = all(a.codec_context.name == "aac" for a in audios)
            if len(videos) == 1 and fine_video and fine_audio:
                return content_type, duration
            return None
    except (av.error.FFmpegError, OSError):
        return None


def _fps(video: VideoStream) -> Fraction:
    rate = video.average_rate or video.guessed_rate
    return min(Fraction(rate), Fraction(MAX_FPS)) if rate else Fraction(MAX_FPS)


def _packet_time(pts: int | None, time_base: Fraction | None) -> float:
    return math.inf if pts is None or time_base is None else float(pts * time_base)


def _display_size(frame: VideoFrame, sar: Fraction | None) -> tuple[int, int]:
    """The frame's size as shown: its width scaled by the sample aspect ratio
    (anamorphic video), then turned by the display rotation."""
    width, height = frame.width, frame.height
    if sar and sar > 0 and sar != 1:
        width = max(1, round(width * sar))
    return (height, width) if frame.rotation % 180 else (width, height)


def _convert(
    container: InputContainer,
    output: OutputContainer,
    fit: str | None,
    max_seconds: float,
    cancel: threading.Event,
) -> bool:
    """Decode, scale, pad and encode; true when the input was trimmed."""
    if not container.streams.video:
        raise Unreadable("no video stream")
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    check_frame_pixels(video.codec_context.width, video.codec_context.height, "the video")
    audio = container.streams.audio[0] if container.streams.audio else None
    origin = (container.start_time or 0) / av.time_base
    rate = float(video.guessed_rate or video.average_rate or 25)
    encoder: Encoder | None = None
    waiting: list[tuple[AudioFrame, float]] = []  # audio decoded before the first picture
    trimmed, video_done, audio_done = False, False, audio is None
    index = 0  # video frames decoded: the time of a frame without timestamp
    streams: list[VideoStream | AudioStream] = [video] if audio is None else [video, audio]
    for packet in container.demux(streams):
        check_cancel(cancel)
        if video_done and packet.stream.index == video.index:
            # Past the cut no video is decoded; audio before the cut still
            # comes within a second of video packets, none after that.
            if audio_done or _packet_time(packet.pts, packet.time_base) - origin > max_seconds + 1:
                break
            continue
        for frame in packet.decode():
            check_cancel(cancel)
            if isinstance(frame, AudioFrame):
                time = (frame.time or 0.0) - origin
                if audio_done or time >= max_seconds:
                    trimmed = trimmed or not audio_done
                    audio_done = True
                elif encoder is None:
                    waiting.append((frame, time))
                else:
                    encoder.add_audio(frame, time)
                continue
            if not isinstance(frame, VideoFrame) or video_done:
                continue
            time = index / rate if frame.time is None else frame.time - origin
            index += 1
            if time >= max_seconds:
                trimmed = video_done = True
                continue
            if encoder is None:
                check_frame_pixels(frame.width, frame.height, "the video")
                rotation = frame.rotation
                content, size = geometry(*_display_size(frame, video.sample_aspect_ratio), fit)
                encoder = Encoder(output, size, _fps(video), audio, max_seconds)
                for early, early_time in waiting:
                    encoder.add_audio(early, early_time)
                waiting.clear()
            duration = frame.duration * frame.time_base if frame.time_base else 0
            picture = encodable(frame, content, size, rotation)
            encoder.add_video(picture, time, float(duration) or None)
        if video_done and audio_done:
            break
    if encoder is None:
        raise Unreadable("the video has no frame that decodes")
    encoder.close()
    return trimmed


def _seconds(path: Path) -> float:
    with av.open(str(path)) as written:
        return (written.duration or 0) / av.time_base


def video_file(
    source: Path,
    workdir: Path,
    cancel: threading.Event,
    *,
    fit: str | None = None,
    max_seconds: float = VIDEO_MAX_SECONDS,
) -> PreparedFile:
    """``source`` as a video a status shows: untouched when it already is
    one, else an H.264 MP4 ``<stem>.mp4`` in ``workdir`` (see the module's
    notes), cut at ``max_seconds``.

    Raises ``ValueError`` for a ``fit`` other than ``None`` or ``"9:16"``,
    ``Unreadable`` for a file PyAV cannot read, without a video stream or
    failing to decode, ``Cancelled`` when ``cancel`` is set.
    """
    check_fit(fit)
    check_cancel(cancel)
    passing = _passes(source, fit, max_seconds)
    if passing is not None:
        content_type, duration = passing
        return PreparedFile(
            path=source,
            file_name=source.name,
            content_type=content_type,
            duration=duration,
            size=source.stat().st_size,
            converted=False,
            temporary=False,
        )
    target = output_path(workdir, source, ".mp4")
    try:
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as output:
            animation = webp_animation(source)
            if animation is not None:
                trimmed = convert_animation(animation, output, fit, max_seconds, cancel)
            else:
                with _open(source) as container:
                    trimmed = _convert(container, output, fit, max_seconds, cancel)
        size = checked_size(target, "the video")
        duration = _seconds(target)
    except av.error.FFmpegError as exc:
        target.unlink(missing_ok=True)
        raise Unreadable(f"the video cannot be converted ({exc.strerror or exc})") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    notes = ["converted to MP4: H.264 video, AAC audio when the input has sound"]
    if trimmed:
        notes.append(f"trimmed to {max_seconds:g} seconds: GREEN-API cuts longer videos")
    if fit is not None:
        notes.append(f"padded to {fit} on black")
    return PreparedFile(
        path=target,
        file_name=target.name,
        content_type="video/mp4",
        duration=duration,
        size=size,
        trimmed=trimmed,
        notes=tuple(notes),
    )


def _open(source: Path) -> InputContainer:
    try:
        return av.open(str(source))
    except av.error.FFmpegError as exc:
        raise Unreadable(f"not a video PyAV can read ({exc.strerror or exc})") from None
