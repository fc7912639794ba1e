"""Animated WebP, read with Pillow: FFmpeg's WebP decoder reads still
pictures only. Pillow gives one frame at a time (``seek``), with its delay;
each is flattened onto black, scaled, padded and encoded like a video frame.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Generator
from contextlib import closing
from fractions import Fraction
from pathlib import Path

from av.container import OutputContainer
from PIL import Image

from ._encoder import MAX_FPS, Encoder
from ._frames import PAD_COLOUR, centre, check_frame_pixels, flatten, from_image
from ._frames import video_geometry as geometry
from ._prepared import Unreadable, check_cancel

__all__ = ["convert_animation", "webp_animation"]


def webp_animation(source: Path) -> Generator[tuple[Image.Image, float, float], None, None] | None:
    """The frames of an animated WebP (RGB on black, start and duration in
    seconds), or ``None`` when ``source`` is no animated WebP. ``Unreadable``
    when it is one with frames over 50 megapixels (checked before decoding)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
    except Image.DecompressionBombError:
        raise Unreadable("the animation's frames are far over 50 megapixels") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        return None
    try:
        if image.format != "WEBP" or getattr(image, "n_frames", 1) < 2:
            image.close()
            return None
        check_frame_pixels(image.width, image.height, "the animation")
    except BaseException:
        image.close()
        raise
    return _frames(image)


def _frames(image: Image.Image) -> Generator[tuple[Image.Image, float, float], None, None]:
    with image:
        time = 0.0
        for index in range(getattr(image, "n_frames", 1)):
            try:
                image.seek(index)
                image.load()
            except (Image.DecompressionBombError, OSError, ValueError, SyntaxError, EOFError) as e:
                raise Unreadable(f"the animation cannot be decoded ({e})") from None
            duration = max(int(image.info.get("duration") or 100), 10) / 1000
            yield flatten(image, PAD_COLOUR), time, duration
            time += duration


def convert_animation(
    frames: Generator[tuple[Image.Image, float, float], None, None],
    output: OutputContainer,
    fit: str | None,
    max_seconds: float,
    cancel: threading.Event,
) -> bool:
    """Scale, pad and encode the frames of an animation Pillow reads
    (animated WebP); true when it was trimmed at ``max_seconds``."""
    encoder: Encoder | None = None
    trimmed = False
    with closing(frames):  # the picture file is closed even on Cancelled
        for image, time, duration in frames:
            check_cancel(cancel)
            if time >= max_seconds:
                trimmed = True
                break
            if encoder is None:
                content, size = geometry(image.width, image.height, fit)
                encoder = Encoder(output, size, Fraction(MAX_FPS), None)
            picture = image.resize(content, Image.Resampling.BILINEAR)
            encoder.add_video(from_image(centre(picture, size)), time, duration)
    if encoder is None:
        raise Unreadable("the animation has no frame")
    encoder.close()
    return trimmed
