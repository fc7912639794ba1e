"""Link checks: whether a url_file is a direct link a status can show."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

__all__ = ["LinkChecker"]

V = TypeVar("V")

_REMEMBERED = 4096
"""Links remembered per client (checked or uploaded); the oldest are forgotten."""


class LinkChecker:
    """What one client knows of links: those its uploads made, and those checked."""

    def __init__(self) -> None:
        self._uploaded: OrderedDict[str, None] = OrderedDict()

    def uploaded(self, url: str) -> None:
        """``url`` came from uploadFile: a direct link, never checked."""
        _remember(self._uploaded, url, None)

    def was_uploaded(self, url: str) -> bool:
        return url in self._uploaded


def _remember(
    store: OrderedDict[str, object] | OrderedDict[str, None], key: str, value: object
) -> None:
    store[key] = value  # type: ignore[assignment]
    store.move_to_end(key)
    while len(store) > _REMEMBERED:
        store.popitem(last=False)
