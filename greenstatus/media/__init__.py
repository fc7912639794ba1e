"""greenstatus.media: from any file a phone records to a file a status shows.

``prepare_voice`` makes an MP3 of any audio; ``prepare_media`` a JPEG of a
picture and an H.264 MP4 of an animation or a video, within the lengths and
sizes GREEN-API keeps. Conversions run in a worker thread, never on the event
loop, and stream: a long input is never held whole in memory.

It needs the ``media`` extra, PyAV and Pillow:

```sh
pip install 'greenstatus[media]'
```
"""

from __future__ import annotations

try:
    import av  # noqa: F401 - checked here, used by the conversions
    import PIL  # noqa: F401
except ImportError as missing:  # pragma: no cover - the test suite has the extra
    raise ImportError(
        "greenstatus.media needs the media extra (PyAV and Pillow): "
        "pip install 'greenstatus[media]'"
    ) from missing

from .._exceptions import MediaError
from ._prepare import VIDEO_MAX_SECONDS, VOICE_MAX_SECONDS, prepare_media, prepare_voice
from ._prepared import PreparedFile

__all__ = [
    "VIDEO_MAX_SECONDS",
    "VOICE_MAX_SECONDS",
    "MediaError",
    "PreparedFile",
    "prepare_media",
    "prepare_voice",
]

for _name in ("PreparedFile", "prepare_media", "prepare_voice"):
    globals()[_name].__module__ = __name__
del _name
