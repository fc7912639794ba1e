"""The ``raw`` field of results: the JSON item a result was read from, kept
read-only so that fields GREEN-API adds later are never lost."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

__all__ = ["RawItem", "raw_field"]


class RawItem(Mapping[str, object]):
    """The item a result was read from, read-only; unlike ``MappingProxyType``
    it pickles and copies, so results can cross a process or a task queue."""

    __slots__ = ("_item",)

    def __init__(self, item: Mapping[str, object]) -> None:
        self._item = dict(item)

    def __getitem__(self, key: str) -> object:
        return self._item[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._item)

    def __len__(self) -> int:
        return len(self._item)

    def __repr__(self) -> str:
        return f"RawItem({self._item!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (RawItem, (self._item,))


def raw_field() -> Mapping[str, object]:
    """An attrs field holding a ``RawItem``, left out of ``==``, ``hash`` and ``repr``."""
    return attrs.field(factory=dict, converter=RawItem, eq=False, repr=False, hash=False)
