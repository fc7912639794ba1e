"""A real HTTP server on 127.0.0.1, from the standard library, for network behaviour.

It runs in a thread, so it serves asyncio and trio tests alike. Each request is
answered by ``behaviour(handler)``; the server counts requests and connections.
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

Behaviour = Callable[["Handler"], None]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GREEN-API's own servers
    server: Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections_opened += 1

    def finish(self) -> None:
        super().finish()
        with self.server.lock:
            self.server.connections_closed += 1

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length)
        with self.server.lock:
            self.server.requests.append((self.command, self.path, self.body))
        self.server.behaviour(self)

    do_GET = do_POST = _handle

    def reply_json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """Close the connection without answering (the request was read)."""
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(2)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = behaviour
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, bytes]] = []
        self.connections_opened = 0
        self.connections_closed = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def answer_id(handler: Handler) -> None:
    handler.reply_json(200, {"idMessage": "3EB0C767D097B7C7C030"})


S = TypeVar("S", bound=socketserver.BaseServer)


@contextmanager
def running(server: S) -> Iterator[S]:
    """``server`` serving in a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve(behaviour: Behaviour = answer_id) -> Iterator[Server]:
    with running(Server(behaviour)) as server:
        yield server
