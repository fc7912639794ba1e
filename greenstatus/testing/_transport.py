"""FakeGreenAPI as an in-process httpx transport: no sockets, same answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import httpx

if TYPE_CHECKING:
    from ._fake import FakeGreenAPI

__all__ = ["FakeTransport"]


class FakeTransport(httpx.AsyncBaseTransport):
    def __init__(self, fake: FakeGreenAPI) -> None:
        self._fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = self._fake.handle(
            request.method,
            request.url.path,
            dict(request.url.params),
            {key.lower(): value for key, value in request.headers.items()},
            body,
        )
        if self._fake.latency + reply.delay > 0:
            await anyio.sleep(self._fake.latency + reply.delay)
        if reply.drop:
            # What httpx raises when a real server hangs up (or resets the
            # connection) after reading the request.
            if reply.reset:
                raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            reply.status_code, headers=dict(reply.headers), content=reply.body, request=request
        )
