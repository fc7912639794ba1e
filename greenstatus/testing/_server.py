"""The fake over real HTTP on loopback, served by aiohttp.web.

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

import anyio.to_thread
from aiohttp import web

from ._exchange import Answering, reply_to

__all__ = ["serve"]

_START_TIMEOUT = 30.0


class _ServerThread:
    """Owns the server's thread and event loop (composition: Thread's own
    attribute names differ between Python versions)."""

    def __init__(
        self, fake: Answering, host: str, port: int, ssl_context: ssl.SSLContext | None
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
        manager = runner.server
        assert manager is not None
        loop = asyncio.get_running_loop()
        transports: list[asyncio.BaseTransport] = []

        def connection() -> _TrackedHandler:
            return _TrackedHandler(manager, loop=loop, access_log=None, tracked=transports)

        server = await loop.create_server(connection, self.host, self.port, ssl=self.ssl_context)
        try:
            self.port = server.sockets[0].getsockname()[1]
            self.started.set()
            await self._stopping.wait()
        finally:
            # A connection accepted just now is made into a transport by a task
            # of its own; closing the server before that task runs leaves its
            # socket open (asyncio's Server refuses to attach it). So those
            # tasks finish first, and the server closes without yielding after.
            for _ in range(10):
                accepting = [
                    task
                    for task in asyncio.all_tasks()
                    if getattr(task.get_coro(), "__name__", "") == "_accept_connection2"
                ]
                if not accepting:
                    break
                await asyncio.wait(accepting, timeout=_START_TIMEOUT)
            server.close()
            await _drop(transports)
            await runner.cleanup()
            await _drop(transports)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except (RuntimeError, ConnectionError, asyncio.IncompleteReadError):
            # The client went away in the middle of its body (an upload it
            # stopped): there is no request to handle and no one to answer.
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=400)
        reply = await reply_to(
            self.fake, request.method, request.path, request.query, request.headers.items(), body
        )
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


class _TrackedHandler(web.RequestHandler):
    """aiohttp's handler of one connection, whose transport is kept: a client
    gone in the middle of a body can leave it open and unreferenced by aiohttp."""

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        access_log: None,
        tracked: list[asyncio.BaseTransport],
    ) -> None:
        super().__init__(manager, loop=loop, access_log=access_log)  # type: ignore[arg-type]
        self._tracked = tracked
        self._mine: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._tracked.append(transport)
        self._mine = transport
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._mine in self._tracked:
            self._tracked.remove(self._mine)
        super().connection_lost(exc)


async def _drop(transports: list[asyncio.BaseTransport]) -> None:
    """Drop every connection: a server going away does not wait for its
    clients (a graceful TLS close would wait for their close_notify past this
    loop's life). A transport made just now, and the closing of a socket,
    happen in later callbacks: hence the rounds."""
    for _ in range(3):
        await asyncio.sleep(0)
        for transport in list(transports):
            if isinstance(transport, asyncio.Transport):
                transport.abort()
    await asyncio.sleep(0)


@asynccontextmanager
async def serve(
    fake: Answering, host: str, port: int, ssl_context: ssl.SSLContext | None
) -> AsyncIterator[str]:
    """Serve ``fake`` on ``host``; yields the server's base URL."""
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
