"""Where greenstatus reads the time and waits: one seam, so tests never sleep."""

from __future__ import annotations

from typing import Protocol

import anyio

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    """Time in seconds (any origin) and a cancellable wait."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The event loop's own clock (``anyio.current_time``) and ``anyio.sleep``."""

    def now(self) -> float:
        return anyio.current_time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"
