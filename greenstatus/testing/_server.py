"""FakeGreenAPI over real HTTP on loopback, served by aiohttp.web.

The server runs on its own asyncio event loop in a thread, so it serves callers
on asyncio and on trio alike, and the caller's event loop never runs server code.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio.to_thread
from aiohttp import web

if TYPE_CHECKING:
    from ._fake import FakeGreenAPI

__all__ = ["serve"]

_START_TIMEOUT = 30.0


class _ServerThread:
    """Owns the server's thread and event loop (composition: Thread's own
    attribute names differ between Python versions)."""

    def __init__(
        self, fake: FakeGreenAPI, host: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> None:
        self.thread = threading.Thread(target=self.run, name="FakeGreenAPI server", daemon=True)
        self.fake = fake
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.failure: BaseException | None = None
        self._stopping: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the caller, who re-raises
            self.failure = exc
            self.started.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl_context)
            await site.start()
            server = site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.port = server.sockets[0].getsockname()[1]
            self.started.set()
            await self._stopping.wait()
        finally:
            # A server going away drops its connections: a graceful TLS close
            # would wait for clients' close_notify past this loop's life.
            if runner.server is not None:
                for handler in runner.server.connections:
                    if handler.transport is not None:
                        handler.transport.abort()
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        reply = self.fake.handle(
            request.method,
            request.path,
            dict(request.query),
            {key.lower(): value for key, value in request.headers.items()},
            body,
        )
        if self.fake.latency + reply.delay > 0:
            await asyncio.sleep(self.fake.latency + reply.delay)
        if reply.drop and request.transport is not None:
            # Hang up with the request read, unanswered: an orderly close, or a
            # reset (no lingering: the kernel sends RST).
            if reply.reset:
                sock = request.transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            request.transport.close()
        return web.Response(status=reply.status_code, headers=reply.headers, body=reply.body)

    def stop(self) -> None:
        if self._stopping is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopping.set)


@asynccontextmanager
async def serve(
    fake: FakeGreenAPI, host: str, port: int, ssl_context: ssl.SSLContext | None
) -> AsyncIterator[str]:
    thread = _ServerThread(fake, host, port, ssl_context)
    thread.thread.start()
    try:
        await anyio.to_thread.run_sync(thread.started.wait, _START_TIMEOUT)
        if thread.failure is not None:
            raise RuntimeError(f"the fake server could not start: {thread.failure}")
        if not thread.started.is_set():
            raise RuntimeError("the fake server did not start in time")
        scheme = "https" if ssl_context is not None else "http"
        yield f"{scheme}://{host}:{thread.port}"
    finally:
        thread.stop()
        await anyio.to_thread.run_sync(thread.thread.join, _START_TIMEOUT)
