"""Which files a status can show, by extension: GREEN-API's table of supported
extensions and users' reports (docs/requests.md gives the source of each)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "MEDIA_EXTENSIONS",
    "REFUSED_MEDIA_EXTENSIONS",
    "REFUSED_VOICE_EXTENSIONS",
    "VOICE_EXTENSIONS",
]

# The status pages name .mp3 and .wav; GREEN-API's table marks wav "supported,
# with a workaround" (GREEN-API issue #338).
VOICE_EXTENSIONS = frozenset({"mp3", "wav"})
# Pictures and videos in GREEN-API's table: bmp is listed as supported, m4v as
# "supported, with a workaround" (GREEN-API issue #339).
MEDIA_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "bmp", "mp4", "mov", "m4v"})
# Extensions people try that GREEN-API takes but phones do not show as a
# status, or does not take at all: why, and what to send instead.
REFUSED_MEDIA_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "gif": "phones do not show a GIF status (GREEN-API issue #53); convert it to .mp4",
        "webp": "WebP shows only with a workaround (GREEN-API issue #336); convert it to .jpg "
        "or .png",
        "3gp": "3GP is delivered as a file, not shown as a status; convert it to .mp4",
        "avi": "AVI is not in GREEN-API's table of supported files; convert it to .mp4",
        "mkv": "MKV is not in GREEN-API's table of supported files; convert it to .mp4",
        "webm": "WebM is not in GREEN-API's table of supported files; convert it to .mp4",
        "heic": "HEIC is not in GREEN-API's table of supported files; convert it to .jpg",
        "mp3": "sendMediaStatus does not take audio (users report it); send it as a voice "
        "status (send_voice_status)",
        "wav": "sendMediaStatus does not take audio; send it as a voice status (send_voice_status)",
    }
)
REFUSED_VOICE_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        ext: f"a voice status takes .mp3 or .wav, not .{ext}; convert it to .mp3"
        for ext in ("ogg", "oga", "opus", "m4a", "aac", "flac", "amr", "wma")
    }
)
