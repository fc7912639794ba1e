"""``prepare_voice`` and ``prepare_media``: the conversions (``_voice``,
``_pictures``, ``_video``) run in a worker thread, in a directory of their
own, cancellable, with what they cannot read as a ``MediaError`` naming the
path."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread

from .._exceptions import MediaError
from .._file_names import checked_path
from ._pictures import picture_file
from ._prepared import Cancelled, PreparedFile, Unreadable
from ._video import VIDEO_MAX_SECONDS, video_file
from ._voice import VOICE_MAX_SECONDS, voice_file

__all__ = ["VIDEO_MAX_SECONDS", "VOICE_MAX_SECONDS", "prepare_media", "prepare_voice"]

_FITS = (None, "9:16")


async def prepare_voice(
    source: str | os.PathLike[str], *, max_seconds: float = VOICE_MAX_SECONDS
) -> PreparedFile:
    """Any audio PyAV reads (ogg/opus, m4a/aac, flac, webm, amr, wav, an
    odd mp3, the audio of a video) as an MP3 a voice status plays: mono or
    stereo kept, a bitrate for speech, trimmed to ``max_seconds`` (GREEN-API
    drops longer voice statuses). An MP3 already fine comes back untouched.

    The result's ``temporary`` file is the caller's to ``remove()``. An input
    that cannot be read raises ``MediaError`` naming it; nothing is left behind.
    """
    path = Path(checked_path(source, "source"))
    if not 0 < max_seconds <= VOICE_MAX_SECONDS:
        raise ValueError(
            f"max_seconds must be above 0 and at most {VOICE_MAX_SECONDS:g}, got {max_seconds!r}"
        )
    return await _in_thread(
        path, lambda workdir, cancel: voice_file(path, workdir, cancel, max_seconds=max_seconds)
    )


async def prepare_media(source: str | os.PathLike[str], *, fit: str | None = None) -> PreparedFile:
    """A picture as a JPEG, an animation (gif, animated webp) or a video as an
    H.264/AAC MP4 (``yuv420p``, ``+faststart``, at most 60 seconds: what
    GREEN-API keeps, within its 100 MB upload bound). ``fit="9:16"`` pads to
    the vertical frame statuses are shown in. A file already fine comes back
    untouched. Errors and clean-up as for ``prepare_voice``.
    """
    path = Path(checked_path(source, "source"))
    if fit not in _FITS:
        raise ValueError(f"fit must be None or '9:16', got {fit!r}")

    def convert(workdir: Path, cancel: threading.Event) -> PreparedFile:
        if _is_still_picture(path):
            return picture_file(path, workdir, cancel, fit=fit)
        return video_file(path, workdir, cancel, fit=fit)

    return await _in_thread(path, convert)


# The formats whose several frames are an animation; in others (a phone's
# MPO JPEG with its depth or gain map, a multi-page TIFF) they are pages.
_ANIMATED_FORMATS = frozenset({"GIF", "PNG", "WEBP"})


def _is_still_picture(path: Path) -> bool:
    """A picture Pillow opens that is not an animation; animations and the
    rest are for the video conversion (which says what it cannot read)."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                animated = image.format in _ANIMATED_FORMATS and getattr(
                    image, "is_animated", False
                )
                return not animated
    except Image.DecompressionBombError:
        return True  # a picture, too large: the picture conversion refuses it
    except Exception:  # Pillow's errors for what is no picture are many
        return False


async def _in_thread(
    source: Path, convert: Callable[[Path, threading.Event], PreparedFile]
) -> PreparedFile:
    """Run ``convert`` in a worker thread, in a fresh directory. A cancelled
    caller returns at once; the thread stops at its next frame and removes
    what it wrote. Whatever ends it, no file of it is left but the result."""
    cancel = threading.Event()
    # Whether the caller left, and what the worker made: decided under one
    # lock, so that a result made just as the caller left is removed by one
    # side or the other, never left behind.
    lock = threading.Lock()
    made: list[PreparedFile] = []

    def work() -> PreparedFile:
        try:
            if not source.is_file():
                raise Unreadable("is not a file that can be read")
        except OSError as error:  # a name too long, a folder not to be read...
            raise Unreadable(f"cannot be read ({error.strerror})") from None
        workdir = Path(tempfile.mkdtemp(prefix="greenstatus-media-"))
        try:
            prepared = convert(workdir, cancel)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        with lock:
            left = cancel.is_set()
            if not left:
                made.append(prepared)
        if left or not prepared.temporary:
            # Passed through (nothing written), or its caller left (no one
            # takes it): the directory goes.
            shutil.rmtree(workdir, ignore_errors=True)
        if left:
            raise Cancelled
        return prepared

    try:
        prepared = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except Unreadable as problem:
        raise MediaError(f"{str(source)!r}: {problem}", path=str(source)) from None
    except Cancelled:  # pragma: no cover - only when cancelled, which returns first
        raise MediaError(f"{str(source)!r}: the conversion was stopped", path=str(source)) from None
    except BaseException:
        with lock:
            cancel.set()  # the thread stops at its next frame and cleans up
            orphan = made[0] if made else None
        if orphan is not None:
            orphan.remove()  # made just as the caller left
        raise
    return prepared
