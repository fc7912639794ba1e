"""httpx's write timeout on a transport that has none (aiohttp's).

aiohttp's writer waits on the socket only once its buffer passes 64 KiB, so a
smaller body is handed to the kernel at once and cannot stall a write; a larger
or streamed one is handed over in chunks, each of which must be written within
httpx's write timeout.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, AsyncIterator
from typing import cast

import anyio
import httpx

__all__ = ["may_stall_writing", "send_watching_writes"]

_WRITE_WATCH_FROM = 64 * 1024
_WRITE_CHUNK = 64 * 1024


def may_stall_writing(request: httpx.Request) -> bool:
    if request.extensions.get("timeout", {}).get("write") is None:
        return False
    try:
        return len(request.content) > _WRITE_WATCH_FROM
    except httpx.RequestNotRead:  # a streamed body: any size
        return True


async def send_watching_writes(
    inner: httpx.AsyncBaseTransport, request: httpx.Request
) -> httpx.Response:
    """Send with httpx's write timeout: each chunk of the body must be written
    within it, or the request fails with ``httpx.WriteTimeout``."""
    write_timeout = float(request.extensions["timeout"]["write"])
    with anyio.CancelScope() as scope:
        body = _WatchedBody(request, scope, write_timeout)
        watched = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=body,
            extensions=request.extensions,
        )
        response = await inner.handle_async_request(watched)
    if scope.cancelled_caught:
        raise httpx.WriteTimeout(
            f"writing the request body stalled for {write_timeout:g} s", request=request
        )
    return response


class _WatchedBody(httpx.AsyncByteStream):
    """A request body handed out in chunks; while it is being written, the
    enclosing scope is cancelled if one chunk takes longer than the timeout."""

    def __init__(self, request: httpx.Request, scope: anyio.CancelScope, timeout: float) -> None:
        self._request = request
        self._scope = scope
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._chunks()
        try:
            while True:
                # Asked for the next chunk, so the previous one has been
                # written; the body's own source takes as long as it takes.
                self._scope.deadline = math.inf
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                self._scope.deadline = anyio.current_time() + self._timeout
                yield chunk
        finally:
            self._scope.deadline = math.inf  # the rest is the read timeout's
            await chunks.aclose()

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            content = self._request.content
        except httpx.RequestNotRead:
            stream = cast("httpx.AsyncByteStream", self._request.stream)
            async for chunk in stream:
                yield chunk
            return
        view = memoryview(content)
        for start in range(0, len(view), _WRITE_CHUNK):
            yield bytes(view[start : start + _WRITE_CHUNK])
