"""The fake as an in-process httpx transport: no sockets, same answers."""

from __future__ import annotations

import httpx

from ._exchange import Answering, reply_to

__all__ = ["FakeTransport"]


class FakeTransport(httpx.AsyncBaseTransport):
    def __init__(self, fake: Answering) -> None:
        self._fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply = await reply_to(
            self._fake,
            request.method,
            request.url.path,
            request.url.params,
            request.headers.items(),
            await request.aread(),
        )
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
