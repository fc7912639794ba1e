"""Fault injection: the answers queued by ``fail_next`` and ``drop_next``, and
``chaos``'s random ones, taken ahead of the model's own."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence

from ._replies import FakeReply, json_bytes

__all__ = ["Faults"]


class Faults:
    """The faults still to answer, in the order they were queued. Not
    thread-safe: ``FakeGreenAPI`` calls it under its lock."""

    def __init__(self) -> None:
        self._queued: deque[FakeReply] = deque()
        self._chaos: tuple[float, tuple[FakeReply, ...], random.Random] | None = None

    def fail(
        self,
        status_code: int,
        *,
        times: int,
        retry_after: float | str | None,
        body: object,
        processed: bool,
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if isinstance(body, bytes):
            content = body
        elif isinstance(body, str):
            content = body.encode()
            headers["Content-Type"] = "text/plain; charset=utf-8"
        else:
            content = json_bytes(body if body is not None else {"message": f"fault {status_code}"})
        self._queue(FakeReply(status_code, headers, content, processed=processed), times)

    def drop(self, *, times: int, reset: bool, processed: bool) -> None:
        self._queue(FakeReply(drop=True, reset=reset, processed=processed), times)

    def chaos(self, rate: float, faults: Sequence[FakeReply], seed: int | None) -> None:
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        self._chaos = (rate, tuple(faults), random.Random(seed))  # noqa: S311 - not security

    def next(self) -> FakeReply | None:
        """The fault to answer the next request with, if any."""
        if self._queued:
            return self._queued.popleft()
        if self._chaos is None:
            return None
        rate, faults, chance = self._chaos
        if not faults or chance.random() >= rate:
            return None
        return chance.choice(faults)

    def _queue(self, reply: FakeReply, times: int) -> None:
        self._queued.extend(reply for _ in range(times))
