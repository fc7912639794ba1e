"""FakeClock: virtual time for tests of waits, retries and rate limits."""

from __future__ import annotations

import anyio
import anyio.lowlevel

__all__ = ["FakeClock"]


class FakeClock:
    """A clock whose time moves only when told: tests never sleep for real.

    With ``autojump=True`` (the default) every ``sleep`` returns at once and moves
    the time forward by its length, which suits one waiter at a time (greenstatus's
    rate limiter lets only one task wait per method). With ``autojump=False``,
    sleepers wait until the test calls ``advance``. ``sleeps`` records every wait
    asked for, in order.

    For example, a client whose backoffs and rate-limit waits take no time:

    ```python
    from greenstatus import AsyncStatusClient
    from greenstatus.testing import FakeClock

    clock = FakeClock()
    client = AsyncStatusClient.from_env(clock=clock)
    ```
    """

    def __init__(self, start: float = 0.0, *, autojump: bool = True) -> None:
        self.time = start
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, anyio.Event]] = []

    def __repr__(self) -> str:
        return f"FakeClock(time={self.time!r}, autojump={self.autojump!r})"

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.autojump:
            self.time += max(0.0, seconds)
            await anyio.lowlevel.checkpoint()
            return
        deadline = self.time + seconds
        if deadline <= self.time:
            await anyio.lowlevel.checkpoint()
            return
        sleeper = (deadline, anyio.Event())
        self._sleepers.append(sleeper)
        try:
            await sleeper[1].wait()
        finally:
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)

    def advance(self, seconds: float) -> None:
        """Move the time forward, waking every sleeper whose time has come."""
        self.time += seconds
        for sleeper in list(self._sleepers):
            if sleeper[0] <= self.time:
                self._sleepers.remove(sleeper)
                sleeper[1].set()
