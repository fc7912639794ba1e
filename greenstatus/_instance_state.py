"""An instance's state as getStateInstance names it, and the state a 400
answer's text says the instance is in (starting, or not linked).

A value module: the error tree reads it, so it imports nothing of greenstatus.
"""

from __future__ import annotations

import enum

__all__ = ["InstanceState", "not_ready_state"]

_UNKNOWN = "UNKNOWN"
_KEPT_UNKNOWN_MAX = 64


class InstanceState(str, enum.Enum):
    """The states getStateInstance documents. A state GREEN-API adds later is
    kept as it came, under the name ``UNKNOWN`` (``state.known`` is false),
    never a crash. It compares equal to its string: ``state == "authorized"``.
    """

    NOT_AUTHORIZED = "notAuthorized"
    """The phone is not linked: scan the QR code in the console."""
    AUTHORIZED = "authorized"
    """Linked and ready."""
    BLOCKED = "blocked"
    """The WhatsApp account is banned."""
    SLEEP_MODE = "sleepMode"
    """The phone is offline (deprecated by GREEN-API)."""
    STARTING = "starting"
    """The instance is starting (after a reboot or maintenance)."""
    YELLOW_CARD = "yellowCard"
    """WhatsApp suspended sending for a while, suspecting spam."""

    @classmethod
    def _missing_(cls, value: object) -> InstanceState | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._value_ = value
        member._name_ = _UNKNOWN
        if len(cls._value2member_map_) < len(cls.__members__) + _KEPT_UNKNOWN_MAX:
            # The same object each time, so it compares, hashes and pickles
            # like a member.
            cls._value2member_map_[value] = member
        return member

    @property
    def known(self) -> bool:
        """The state is one GREEN-API documents."""
        return self._name_ != _UNKNOWN

    def __str__(self) -> str:
        return str(self.value)


# Phrases of a 400 body that say the instance cannot send yet, and its state.
_NOT_READY_PHRASES = (
    ("starting process", InstanceState.STARTING),
    ("not authorized", InstanceState.NOT_AUTHORIZED),
)


def not_ready_state(text: str) -> InstanceState | None:
    """The state a 400 body such as "instance account not authorized" names."""
    lowered = text.lower()
    for phrase, state in _NOT_READY_PHRASES:
        if phrase in lowered:
            return state
    return None
