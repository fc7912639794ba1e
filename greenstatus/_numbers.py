"""Whole numbers as GREEN-API and HTTP write them: JSON numbers, or strings of
digits (GREEN-API's tables type some numbers as strings, its examples as
numbers; headers are text)."""

from __future__ import annotations

__all__ = ["whole_number"]

_DIGITS_MAX = 20  # more is no count, size or time (and int() refuses past 4300 digits)


def whole_number(value: object) -> int | None:
    """``value`` as a non-negative whole number if it is one: an ``int`` (not a
    ``bool``), an integral ``float``, or a string of at most 20 ASCII digits
    (surrounding white space ignored); else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= _DIGITS_MAX:
            return int(digits)
    return None
