"""Pictures a status shows: JPEG out of whatever Pillow reads.

GREEN-API takes jpg, jpeg, png and bmp pictures; phones do not show a GIF or
a WebP status, and HEIC is not taken at all. ``picture_file`` passes through a
JPEG, PNG or BMP that is already fine (and decodes whole: a damaged file is
``Unreadable``, never sent), and turns anything else into a JPEG (quality 90,
optimized, baseline), which every phone shows. One that would pass but carries
EXIF metadata beyond an upright orientation (a phone's photo: where it was
taken) is re-encoded the same way, without it:

- the EXIF orientation is applied to the pixels (``exif_transpose``), since
  the EXIF block is not copied: metadata is dropped on purpose, for privacy
  (a phone's photo carries where it was taken);
- transparency is flattened onto white (what a viewer shows behind a
  transparent PNG); CMYK and other modes become RGB, through the embedded ICC
  profile into sRGB when there is one (else Pillow's plain conversion);
- only the first frame of an animation is kept (animations go to video);
- ``fit="9:16"`` pads the picture onto black, centred in the smallest 9:16
  frame holding it (see ``_frames``): nothing is cropped or upscaled.

A picture over 50 megapixels is refused before it is decoded (a phone shows
a status at about 1080x1920; a bigger one is a mistake or a decompression
bomb). Pillow's own bomb check is left as configured; its warning is
silenced here since the 50 MP limit is stricter than Pillow's default. HEIC
and HEIF are read when the optional ``pillow-heif`` is installed.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ._frames import (
    MAX_UPLOAD_BYTES,
    centre,
    check_fit,
    checked_size,
    flatten,
    output_path,
    picture_canvas,
)
from ._prepared import PreparedFile, Unreadable, check_cancel

__all__ = ["MAX_PICTURE_PIXELS", "picture_file"]

MAX_PICTURE_PIXELS = 50_000_000
_WHITE = (255, 255, 255)
_ORIENTATION = 0x0112
# Pillow format -> (extensions it passes through under, content type).
_PASS_THROUGH = {
    "JPEG": ((".jpg", ".jpeg"), "image/jpeg"),
    "PNG": ((".png",), "image/png"),
    "BMP": ((".bmp",), "image/bmp"),
}
_GPS_IFD = 0x8825
_READ_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)
# Output names are cut to this many UTF-8 bytes (a name is at most 255).
_MAX_STEM_BYTES = 100


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return
    register_heif_opener()


def _short_name(source: Path) -> Path:
    """``source`` with its stem cut so the output's name stays within 255 bytes."""
    stem = source.stem.encode("utf-8", "surrogateescape")[:_MAX_STEM_BYTES]
    return source.with_name(stem.decode("utf-8", "ignore") + source.suffix)


def _open(source: Path) -> Image.Image:
    _register_heif()
    try:
        image = Image.open(source)
    except _READ_ERRORS as exc:
        raise Unreadable(f"not a picture Pillow can read ({exc})") from None
    width, height = image.size
    if width * height > MAX_PICTURE_PIXELS:
        image.close()
        raise Unreadable(
            f"the picture is {width}x{height}, over {MAX_PICTURE_PIXELS // 1_000_000} megapixels"
        )
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _passes(source: Path, image: Image.Image, fit: str | None) -> str | None:
    """The content type to send ``source`` untouched under, or ``None``."""
    known = _PASS_THROUGH.get(image.format or "")
    if known is None or fit is not None or source.suffix.lower() not in known[0]:
        return None
    if image.mode not in ("RGB", "L") or _has_alpha(image):
        return None
    if image.getexif().get(_ORIENTATION, 1) != 1:
        return None
    if source.stat().st_size > MAX_UPLOAD_BYTES:
        return None
    image.load()  # decoded whole: a damaged file is Unreadable, not sent
    return known[1]


def _private(image: Image.Image) -> str | None:
    """The note for EXIF metadata to remove (beyond orientation 1), or None."""
    exif = image.getexif()
    if not exif or dict(exif) == {_ORIENTATION: 1}:
        return None
    where = " (a location among it)" if _GPS_IFD in exif else ""
    return f"removed its EXIF metadata{where}"


def _to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if _has_alpha(image):
        image = flatten(image, _WHITE)
        notes.append("transparency flattened onto white")
    if icc:
        try:
            source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source_profile, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None
        if converted is not None:
            if image.mode != "RGB":
                notes.append(f"colours converted from {image.mode} to sRGB (ICC profile)")
            return converted
    if image.mode != "RGB":
        notes.append(f"colours converted from {image.mode} to RGB")
        image = image.convert("RGB")
    return image


def _convert(image: Image.Image, fit: str | None, notes: list[str]) -> Image.Image:
    if getattr(image, "n_frames", 1) > 1:
        notes.append("only the first frame of the animation was kept")
    image.seek(0)
    image.load()
    upright = ImageOps.exif_transpose(image)
    if image.getexif().get(_ORIENTATION, 1) != 1:
        notes.append("EXIF orientation applied")
    if "icc_profile" in image.info:
        upright.info.setdefault("icc_profile", image.info["icc_profile"])
    rgb = _to_rgb(upright, notes)
    if fit is not None:
        content, frame = picture_canvas(rgb.width, rgb.height)
        if content != rgb.size:
            rgb = rgb.resize(content, Image.Resampling.LANCZOS)
        rgb = centre(rgb, frame)
        notes.append(f"padded to {fit} ({frame[0]}x{frame[1]}) on black")
    return rgb


def picture_file(
    source: Path, workdir: Path, cancel: threading.Event, *, fit: str | None = None
) -> PreparedFile:
    """``source`` as a picture a status shows: untouched when it already is
    one, else a JPEG ``<stem>.jpg`` in ``workdir`` (see the module's notes).

    Raises ``ValueError`` for a ``fit`` other than ``None`` or ``"9:16"``,
    ``Unreadable`` for a file Pillow cannot read or one over 50 megapixels,
    ``Cancelled`` when ``cancel`` is set.
    """
    check_fit(fit)
    check_cancel(cancel)
    try:
        with warnings.catch_warnings():
            # The 50 MP limit is enforced in _open: Pillow's warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            read = _read(source, fit)
    except Image.DecompressionBombError:
        raise Unreadable(
            f"the picture is over {MAX_PICTURE_PIXELS // 1_000_000} megapixels"
        ) from None
    except _READ_ERRORS as exc:
        raise Unreadable(f"the picture cannot be decoded ({exc})") from None
    if isinstance(read, PreparedFile):
        return read
    rgb, notes = read
    check_cancel(cancel)
    target = output_path(workdir, _short_name(source), ".jpg")
    try:
        rgb.info.clear()  # no EXIF, no stale ICC profile: the output is plain sRGB
        rgb.save(target, "JPEG", quality=90, optimize=True, progressive=False)
        size = checked_size(target, "the picture")
        check_cancel(cancel)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return PreparedFile(
        path=target,
        file_name=target.name,
        content_type="image/jpeg",
        duration=None,
        size=size,
        notes=tuple(notes),
    )


def _read(source: Path, fit: str | None) -> PreparedFile | tuple[Image.Image, list[str]]:
    """``source`` passed through untouched, or the RGB picture to save and
    the notes; every Pillow error propagates (``picture_file`` maps them)."""
    with _open(source) as image:
        content_type = _passes(source, image, fit)
        private = _private(image) if content_type is not None else None
        if content_type is not None and private is None:
            return PreparedFile(
                path=source,
                file_name=source.name,
                content_type=content_type,
                duration=None,
                size=source.stat().st_size,
                converted=False,
                temporary=False,
            )
        notes: list[str] = []
        rgb = _convert(image, fit, notes)
        if private is not None:
            notes.insert(0, private)  # the only reason: it would have passed through
        else:
            notes.insert(0, f"converted from {image.format or 'an unknown format'} to JPEG")
            notes.append("metadata (EXIF, location) not copied")
    return rgb, notes
