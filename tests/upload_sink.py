"""An uploadFile stand-in that reads each upload in chunks and keeps only its
size, in a process of its own: the memory of a client's upload is then the
client's alone. Run it as a script; it prints its port, then serves until
its standard input closes."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


async def upload(request: web.Request) -> web.Response:
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
    name = request.headers.get("GA-Filename", "file.bin")
    return web.json_response({"urlFile": f"http://127.0.0.1/files/{size}/{name}"})


async def main() -> None:
    app = web.Application(client_max_size=0)
    app.router.add_post("/{tail:.*}", upload)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until the parent closes our standard input (or goes away).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
