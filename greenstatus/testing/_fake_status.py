"""A status the fake accepted: the value ``fake.statuses`` holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs

__all__ = ["FakeStatus", "StatusKind"]

StatusKind = Literal["text", "voice", "media"]


@attrs.frozen(kw_only=True)
class FakeStatus:
    """A status the fake accepted: what was sent, and the id it was given."""

    id_message: str
    kind: StatusKind
    payload: Mapping[str, object]
    id_instance: str
    timestamp: int
