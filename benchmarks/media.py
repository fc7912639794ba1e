"""Preparing media: time and peak memory to convert a 60-second 720p video and
a 5-minute voice note, and the event loop's p99 lag while a conversion runs
beside 64 sends. A benchmark, not a test: run it by hand.

    python benchmarks/media.py

The inputs are made first with PyAV (so the numbers are of the conversions
alone), in a temporary folder; the sends go to the fake GREEN-API on loopback.
Peak memory is the resident high-water mark (``VmHWM``) of a child process
that does one conversion and nothing else; importing greenstatus.media alone
takes about 67 MiB of it.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECONDS_OF_VIDEO = 60
SECONDS_OF_VOICE = 300
SENDS = 64


def make_video(path: Path) -> None:
    """A 60-second 1280x720 30 fps VP9 clip with Opus sound: a phone's webm."""
    import av

    with av.open(str(path), "w") as container:
        video = container.add_stream("libvpx-vp9", rate=30)
        video.width, video.height, video.pix_fmt = 1280, 720, "yuv420p"
        video.options = {"deadline": "realtime", "cpu-used": "8"}
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "stereo"
        for index in range(SECONDS_OF_VIDEO * 30):
            frame = av.VideoFrame(1280, 720, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index % 256]) * plane.buffer_size)
            frame.pts = index
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        write_tone(container, audio, SECONDS_OF_VIDEO, channels=2)


def make_voice(path: Path) -> None:
    """A 5-minute mono Opus voice note, as WhatsApp records one."""
    import av

    with av.open(str(path), "w") as container:
        audio = container.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        write_tone(container, audio, SECONDS_OF_VOICE, channels=1)


def write_tone(container: object, stream: object, seconds: int, *, channels: int) -> None:
    import array

    import av

    samples = 960
    layout = "mono" if channels == 1 else "stereo"
    for index in range(seconds * 48000 // samples):
        tone = array.array(
            "h",
            (
                int(8000 * math.sin(2 * math.pi * 440 * (index * samples + n) / 48000))
                for n in range(samples)
                for _ in range(channels)
            ),
        )
        frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
        frame.planes[0].update(tone.tobytes())
        frame.rate = 48000
        frame.pts = index * samples
        for packet in stream.encode(frame):  # type: ignore[attr-defined]
            container.mux(packet)  # type: ignore[attr-defined]
    for packet in stream.encode(None):  # type: ignore[attr-defined]
        container.mux(packet)  # type: ignore[attr-defined]


def convert_alone(kind: str, source: Path) -> dict[str, float]:
    """One conversion in a child process: its time and peak memory."""
    code = (
        "import anyio, json, resource, sys, time\n"
        "from greenstatus.media import prepare_media, prepare_voice\n"
        "prepare = prepare_voice if sys.argv[1] == 'voice' else prepare_media\n"
        "started = time.perf_counter()\n"
        "prepared = anyio.run(prepare, sys.argv[2])\n"
        "took = time.perf_counter() - started\n"
        "prepared.remove()\n"
        # VmHWM, not ru_maxrss: that one keeps the forking parent's high-water mark
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "peak = int(hwm.split()[1]) / 1024\n"
        "print(json.dumps({'seconds': took, 'peak_mib': peak, 'size': prepared.size}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, kind, str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


async def lag_beside_sends(source: Path) -> dict[str, float]:
    """The event loop's lag (p50, p99, max, in ms) while a video conversion
    runs beside 64 concurrent sends, and the same without the conversion."""
    from greenstatus import AsyncStatusClient, TextStatus
    from greenstatus.media import prepare_media
    from greenstatus.testing import FakeGreenAPI

    async def measure(convert: bool) -> list[float]:
        fake = FakeGreenAPI()
        lags: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                asked = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append((time.perf_counter() - asked - 0.005) * 1000)

        async with (
            fake.serve() as url,
            AsyncStatusClient(
                fake.id_instance, fake.token, api_url=url, rate_limits=None
            ) as client,
        ):
            tick = asyncio.create_task(ticker())
            statuses = [TextStatus(message=f"{n}") for n in range(SENDS)]
            if convert:  # rounds of sends for as long as the conversion runs
                converting = asyncio.create_task(prepare_media(source))
                while not converting.done():
                    await client.send_all(statuses)
                (await converting).remove()
            else:
                for _round in range(50):
                    await client.send_all(statuses)
            done.set()
            await tick
        return lags

    def summary(lags: list[float]) -> dict[str, float]:
        ordered = sorted(lags)
        return {
            "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[int(len(ordered) * 0.99)],
            "max_ms": ordered[-1],
        }

    return {
        **{f"alone_{k}": v for k, v in summary(await measure(False)).items()},
        **{f"converting_{k}": v for k, v in summary(await measure(True)).items()},
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        video, voice = Path(folder) / "clip.webm", Path(folder) / "voice-note.ogg"
        print("making the inputs ...", file=sys.stderr)
        make_video(video)
        make_voice(voice)
        results = {
            "video_60s_720p": convert_alone("media", video),
            "voice_5min_ogg": convert_alone("voice", voice),
            "loop_lag_beside_64_sends": asyncio.run(lag_beside_sends(video)),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
