"""Checks of numeric arguments, for plain code and attrs validators alike.

Each check returns the value it accepts and otherwise raises
``ValueError(f"{name} must be {expected}, got {value!r}")``, where ``expected``
is what the caller's message has always said (``"a whole number >= 1"`` by
default). A ``bool`` is never a number here, though Python counts it as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = [
    "at_least",
    "non_negative",
    "number_at_least",
    "positive_number",
    "positive_seconds",
    "whole_number_at_least",
]

Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def whole_number_at_least(
    name: str, value: object, minimum: int, *, expected: str | None = None
) -> int:
    """``value`` if it is an ``int`` of at least ``minimum``.

    ``whole_number_at_least("minutes", 0, 1, expected="a positive whole number")``
    raises ``ValueError("minutes must be a positive whole number, got 0")``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(_message(name, value, expected or f"a whole number >= {minimum}"))
    return value


def number_at_least(
    name: str, value: object, minimum: float, *, expected: str | None = None
) -> float:
    """``value`` if it is an ``int`` or ``float`` not below ``minimum`` (NaN,
    which is no number of seconds, is refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= minimum:
        raise ValueError(_message(name, value, expected or f"a number >= {minimum}"))
    return value


def positive_number(name: str, value: object, *, expected: str = "a positive number") -> float:
    """``value`` if it is an ``int`` or ``float`` above 0 (NaN is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(_message(name, value, expected))
    return value


def at_least(minimum: int, *, expected: str | None = None) -> Validator:
    """An attrs validator: the attribute is an ``int`` of at least ``minimum``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        whole_number_at_least(attribute.name, value, minimum, expected=expected)

    return check


def non_negative(*, expected: str | None = None) -> Validator:
    """An attrs validator: the attribute is an ``int`` or ``float`` >= 0."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        number_at_least(attribute.name, value, 0, expected=expected)

    return check


def positive_seconds(*, expected: str = "a positive number of seconds") -> Validator:
    """An attrs validator: the attribute is a duration above 0 seconds."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        positive_number(attribute.name, value, expected=expected)

    return check


def _message(name: str, value: object, expected: str) -> str:
    return f"{name} must be {expected}, got {value!r}"
