"""Geometry and pixels the picture and video conversions share.

``fit="9:16"`` pads: the picture (or every video frame) is centred in the
smallest 9:16 frame that holds it, on black (``#000000``, the neutral dark
colour a phone shows around a status anyway). Padding rather than cropping
means nothing of the picture is lost, and nothing is upscaled. Transparency is
flattened onto white for pictures (what a viewer shows behind a transparent
PNG) and onto black for animations (the colour of the status screen, and of
the padding).
"""

from __future__ import annotations

import math
from pathlib import Path

from av.video.frame import VideoFrame
from PIL import Image

from ._prepared import Unreadable

__all__ = [
    "FIT_CHOICES",
    "MAX_FRAME_PIXELS",
    "MAX_UPLOAD_BYTES",
    "PAD_COLOUR",
    "centre",
    "check_fit",
    "check_frame_pixels",
    "checked_size",
    "encodable",
    "flatten",
    "from_image",
    "output_path",
    "picture_canvas",
    "to_image",
    "video_geometry",
]

# uploadFile takes files up to 100 MB (decimal megabytes: the lower reading).
MAX_UPLOAD_BYTES = 100_000_000
PAD_COLOUR = (0, 0, 0)
# The largest video or animation frame decoded: the limit pictures have
# (``MAX_PICTURE_PIXELS``), so a huge GIF cannot take gigabytes of memory.
MAX_FRAME_PIXELS = 50_000_000
FIT_CHOICES = ("9:16",)
# The largest 9:16 frame a padded picture gets: 4K portrait, more than any
# phone screen shows (a wide panorama padded to 9:16 would otherwise grow huge).
_PICTURE_FRAME_MAX = (2160, 3840)


def check_fit(fit: str | None) -> None:
    """Refuse a ``fit`` other than ``None`` or ``"9:16"``, before any work."""
    if fit is not None and fit not in FIT_CHOICES:
        raise ValueError(f"fit must be None or '9:16', not {fit!r}")


def check_frame_pixels(width: int, height: int, what: str) -> None:
    """Refuse (``Unreadable``) a frame over 50 megapixels, before decoding it."""
    if width * height > MAX_FRAME_PIXELS:
        raise Unreadable(
            f"{what} is {width}x{height}, over {MAX_FRAME_PIXELS // 1_000_000} megapixels"
        )


def picture_canvas(width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """For ``fit="9:16"``: the picture's size in its frame, and the frame's.

    The frame is the smallest 9:16 one holding the picture; the picture is
    downscaled only when that frame would exceed 2160x3840.
    """
    if width * 16 >= height * 9:
        frame = (width, math.ceil(width * 16 / 9))
    else:
        frame = (math.ceil(height * 9 / 16), height)
    scale = min(1.0, _PICTURE_FRAME_MAX[0] / frame[0], _PICTURE_FRAME_MAX[1] / frame[1])
    if scale == 1.0:
        return (width, height), frame
    content = (max(1, round(width * scale)), max(1, round(height * scale)))
    return content, (min(frame[0], _PICTURE_FRAME_MAX[0]), min(frame[1], _PICTURE_FRAME_MAX[1]))


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def video_geometry(
    width: int, height: int, fit: str | None, longest: int = 1920
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The size of the picture in a video frame, and of the frame.

    H.264 in yuv420p needs an even width and height; the longer side is capped
    at ``longest`` (downscaled keeping the aspect). Without ``fit`` the frame is
    the (even) picture; with ``"9:16"`` it is the smallest even 9:16 frame
    (18k x 32k) holding it, capped at 1080x1920.
    """
    if fit is None:
        scale = min(1.0, longest / max(width, height))
        size = (_even(width * scale), _even(height * scale))
        return size, size
    k = max(math.ceil(width / 18), math.ceil(height / 32), 1)
    k = min(k, longest // 32)
    frame = (18 * k, 32 * k)
    scale = min(1.0, frame[0] / width, frame[1] / height)
    content = (
        max(1, min(frame[0], round(width * scale))),
        max(1, min(frame[1], round(height * scale))),
    )
    return content, frame


def centre(image: Image.Image, frame: tuple[int, int]) -> Image.Image:
    """``image`` (RGB) centred on a black frame of size ``frame``."""
    canvas = Image.new("RGB", frame, PAD_COLOUR)
    canvas.paste(image, ((frame[0] - image.width) // 2, (frame[1] - image.height) // 2))
    return canvas


def flatten(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """An RGBA (or LA, PA, transparent P) image composed onto ``colour``, as RGB."""
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (*colour, 255))
    canvas.alpha_composite(rgba)
    return canvas.convert("RGB")


def output_path(workdir: Path, source: Path, suffix: str) -> Path:
    """``<stem><suffix>`` in ``workdir``, never an existing file (the input
    itself may be there)."""
    candidate = workdir / f"{source.stem}{suffix}"
    number = 1
    while candidate.exists():
        candidate = workdir / f"{source.stem}-{number}{suffix}"
        number += 1
    return candidate


def checked_size(path: Path, what: str) -> int:
    """The size of a finished output; ``Unreadable`` when it is over 100 MB."""
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise Unreadable(
            f"{what} is still {size} bytes once converted, over the 100 MB upload limit"
        )
    return size


def _has_alpha(frame: VideoFrame) -> bool:
    return frame.format.has_palette or any(c.is_alpha for c in frame.format.components)


def to_image(frame: VideoFrame, size: tuple[int, int]) -> Image.Image:
    """A decoded frame scaled to ``size``, as an RGB Pillow image, its
    transparency (a GIF's background) flattened onto black."""
    alpha = _has_alpha(frame)
    mode = "RGBA" if alpha else "RGB"
    pixels = frame.reformat(width=size[0], height=size[1], format="rgba" if alpha else "rgb24")
    plane = pixels.planes[0]
    image = Image.frombuffer(mode, size, bytes(plane), "raw", mode, plane.line_size, 1)
    return flatten(image, PAD_COLOUR) if alpha else image


def from_image(image: Image.Image) -> VideoFrame:
    """An opaque Pillow image as a yuv420p frame, for the H.264 encoder."""
    rgba = image.convert("RGBA")
    frame = VideoFrame.from_bytes(rgba.tobytes(), rgba.width, rgba.height, format="rgba")
    return frame.reformat(format="yuv420p")


def encodable(
    frame: VideoFrame, content: tuple[int, int], size: tuple[int, int], rotation: int
) -> VideoFrame:
    """A decoded frame as the encoder takes it: upright (``rotation``, the
    display matrix's counterclockwise degrees), scaled to ``content``, centred
    in a black frame of ``size`` when that is bigger, transparency on black,
    yuv420p. Scaling alone stays in FFmpeg's swscale; the rest goes through
    Pillow."""
    if rotation == 0 and content == size and not _has_alpha(frame):
        return frame.reformat(width=size[0], height=size[1], format="yuv420p")
    turned = rotation % 180 != 0
    image = to_image(frame, (content[1], content[0]) if turned else content)
    if rotation:
        image = image.rotate(rotation, expand=True)
    if content != size:
        image = centre(image, size)
    return from_image(image)
