"""One exchange with the fake, whichever way it is served: what arrived goes
to the fake, and its reply comes back after the latency asked for. The
in-process transport and the loopback server each turn that reply into their
own kind of answer (a response, or a hang-up)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import anyio

from ._replies import FakeReply

__all__ = ["Answering", "reply_to"]


class Answering(Protocol):
    """What a way of serving needs of the fake (``FakeGreenAPI`` is one)."""

    @property
    def latency(self) -> float: ...

    def handle(
        self,
        http_method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> FakeReply: ...


async def reply_to(
    fake: Answering,
    http_method: str,
    path: str,
    query: Mapping[str, str],
    headers: Iterable[tuple[str, str]],
    body: bytes,
) -> FakeReply:
    """The fake's reply to a request that arrived, once its delay has passed."""
    reply = fake.handle(
        http_method, path, dict(query), {key.lower(): value for key, value in headers}, body
    )
    delay = fake.latency + reply.delay
    if delay > 0:
        # anyio's sleep: the transport runs on the caller's asyncio or trio,
        # the server on its own asyncio loop.
        await anyio.sleep(delay)
    return reply
