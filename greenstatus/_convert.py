"""A local file made into one a status shows before it is uploaded
(``send_*_file(prepare=True)``), through ``greenstatus.media``, which is
imported only then: the core does not need the ``media`` extra."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs

if TYPE_CHECKING:
    from .media import PreparedFile

__all__ = ["Convert"]


@attrs.frozen
class Convert:
    """How to prepare one file: as a voice or as a media status."""

    kind: Literal["voice", "media"]
    named: bool = False
    """The caller gave the file name: it is kept (and checked), not the
    prepared file's own."""
    fit: str | None = None

    async def run(self, path: str) -> PreparedFile:
        from . import media  # the extra's ImportError names it

        if self.kind == "voice":
            return await media.prepare_voice(path)
        return await media.prepare_media(path, fit=self.fit)
