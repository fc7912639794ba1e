"""What a preparation gives back, and what its conversions share: the
result, the cancellation flag a worker thread checks, and the one error a
conversion raises for an input it cannot read."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import attrs

__all__ = ["Cancelled", "PreparedFile", "Unreadable", "check_cancel"]


@attrs.frozen(kw_only=True)
class PreparedFile:
    """A file a status shows, ready to upload.

    ``path`` is where it is; ``file_name`` the name to send (its extension
    tells GREEN-API its type); ``content_type`` its MIME type; ``duration``
    its length in seconds (``None`` for a picture); ``size`` its bytes.
    ``converted`` is false when the input was already fine and is passed
    through untouched (then ``path`` is the input itself); ``trimmed`` is true
    when it was cut to the longest GREEN-API keeps; ``notes`` says, in words,
    what was done. ``temporary`` files belong to greenstatus's caller: remove
    them with ``remove()`` (the ``send_*_file(prepare=True)`` methods do).
    """

    path: Path
    file_name: str
    content_type: str
    duration: float | None
    size: int
    converted: bool = True
    trimmed: bool = False
    notes: tuple[str, ...] = ()
    temporary: bool = True

    def remove(self) -> None:
        """Delete the file if it is a temporary one (never the input)."""
        if self.temporary:
            self.path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()  # its own directory, now empty


class Unreadable(Exception):
    """The input is no media a conversion can read (corrupt, empty, no
    stream of the kind asked for); its message says what, not where."""


class Cancelled(Exception):
    """The conversion was asked to stop (its caller was cancelled)."""


def check_cancel(cancel: threading.Event) -> None:
    """Between two packets or frames: stop if the caller has gone."""
    if cancel.is_set():
        raise Cancelled
