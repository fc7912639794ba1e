"""The MP4 a video conversion writes: H.264 video and AAC audio.

libx264 with ``veryfast`` and CRF 23 (a good picture at a phone's size, quickly
made), its rate capped at 8 Mbit/s (``maxrate``, with a 2-second buffer) so a
minute of video plus 128 kbit/s of AAC stays near 61 MB, far under the 100 MB
upload limit. Timestamps are in milliseconds, taken from the input, so a GIF's
uneven delays survive; frames closer than 1/30 s are dropped (at most 30 a
second: a frame takes the slot of the 1/30 s grid nearest its time, and
is dropped only when that slot is taken, so a 30 fps input whose timestamps
are a millisecond early or late keeps every frame). Audio is resampled
to planar float at a rate AAC has (48 kHz when the input's is not one),
mono or stereo, in AAC's 1024-sample frames, and cut at the exact
sample of ``end`` (where a trimmed video stops).
"""

from __future__ import annotations

from fractions import Fraction

from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.frame import VideoFrame

__all__ = ["MAX_FPS", "Encoder"]

MAX_FPS = 30
_X264 = {"preset": "veryfast", "crf": "23", "maxrate": "8M", "bufsize": "16M"}
_AUDIO_BITRATE = 128_000
_AAC_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
_TIME_BASE = Fraction(1, 1000)
_SLACK = 0.25 / MAX_FPS


def _head(frame: AudioFrame, samples: int) -> AudioFrame:
    """The first ``samples`` of a frame (where the output is trimmed)."""
    head = AudioFrame(format=frame.format, layout=frame.layout, samples=samples)
    head.sample_rate = frame.sample_rate
    for source, target in zip(frame.planes, head.planes, strict=True):
        target.update(bytes(source)[: target.buffer_size])
    return head


class Encoder:
    """The output: H.264 video, AAC audio if the input has any, in MP4."""

    def __init__(
        self,
        output: OutputContainer,
        size: tuple[int, int],
        fps: Fraction,
        audio: AudioStream | None,
        end: float | None = None,
    ) -> None:
        self.output = output
        self.video = output.add_stream("libx264", rate=fps, options=dict(_X264))
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        self.video.codec_context.time_base = _TIME_BASE
        self.last_pts = -1
        self.durations: dict[int, int] = {}
        self.next_slot = 0.0
        self.audio: AudioStream | None = None
        self.resampler: AudioResampler | None = None
        self.samples: int | None = None
        self.limit: int | None = None
        if audio is not None:
            rate = audio.rate if audio.rate in _AAC_RATES else 48000
            layout = "mono" if audio.channels == 1 else "stereo"
            self.audio = output.add_stream("aac", rate=rate, layout=layout)
            self.audio.codec_context.bit_rate = _AUDIO_BITRATE
            self.limit = None if end is None else round(end * rate)
            self.resampler = AudioResampler(
                format="fltp", layout=layout, rate=rate, frame_size=1024
            )

    def add_video(self, frame: VideoFrame, time: float, duration: float | None) -> None:
        """One upright yuv420p frame shown from ``time`` (seconds)."""
        pts = round(time * 1000)
        # Slack of a quarter slot: 30 fps timestamps rounded to milliseconds
        # (0.033, 0.067) or jittered by a millisecond still take their slot.
        if time < self.next_slot - _SLACK or pts <= self.last_pts:
            return  # over 30 frames a second: dropped
        self.next_slot = (max(0, round(time * MAX_FPS)) + 1) / MAX_FPS
        frame.pts, frame.time_base, self.last_pts = pts, _TIME_BASE, pts
        self.durations[pts] = round((duration or 1 / MAX_FPS) * 1000)
        self._mux_video(frame)

    def _mux_video(self, frame: VideoFrame | None) -> None:
        # libx264 does not carry a frame's duration to its packet, and the MP4
        # muxer needs it for the last one (a GIF's last delay).
        for packet in self.video.encode(frame):
            if packet.pts is not None and packet.pts in self.durations:
                packet.duration = self.durations.pop(packet.pts)
            self.output.mux(packet)

    def add_audio(self, frame: AudioFrame | None, time: float) -> None:
        """One decoded audio frame starting at ``time`` (``None`` flushes)."""
        if self.audio is None or self.resampler is None:
            return
        rate = self.audio.rate
        for out in self.resampler.resample(frame):
            if self.samples is None:
                self.samples = max(0, round(time * rate))
            if self.limit is not None and self.samples + out.samples > self.limit:
                if self.samples >= self.limit:
                    return
                out = _head(out, self.limit - self.samples)
            out.pts, out.time_base = self.samples, Fraction(1, rate)
            self.samples += out.samples
            self.output.mux(self.audio.encode(out))

    def close(self) -> None:
        self._mux_video(None)
        if self.audio is not None:
            self.add_audio(None, 0.0)
            self.output.mux(self.audio.encode(None))
