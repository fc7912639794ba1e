"""A link's host on a loopback address that records everything it is asked.

Each request's method, target (a path, or a whole URL when it serves as a
forward proxy) and header lines are kept in ``asked``; answers come from
``routes``, a 404 elsewhere. It runs in a thread, so it serves asyncio and
trio tests alike.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from tests import loopback


@attrs.frozen
class Asked:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    """Each header line as sent, names in lower case."""

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None


@attrs.frozen
class Reply:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    head: bool = True
    """Whether HEAD is answered; else 405, as some hosts do."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LinkHost

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        asked = Asked(
            method=self.command,
            target=self.path,
            headers=tuple((key.lower(), value) for key, value in self.headers.items()),
        )
        with self.server.lock:
            self.server.asked.append(asked)
            reply = self.server.routes.get(self.path, Reply(status=404))
        status = reply.status if reply.head or self.command != "HEAD" else 405
        self.send_response(status)
        for key, value in reply.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer


class LinkHost(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.lock = threading.Lock()
        self.asked: list[Asked] = []
        self.routes: dict[str, Reply] = {}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def route(self, target: str, status: int = 200, *, head: bool = True, **headers: str) -> str:
        """Answer ``target`` (a path, or a proxied URL) so; returns its URL.
        Header names are given with ``_`` for ``-``."""
        lines = tuple((key.replace("_", "-"), value) for key, value in headers.items())
        with self.lock:
            self.routes[target] = Reply(status=status, headers=lines, head=head)
        return target if "://" in target else self.url + target


@contextmanager
def serve(host: str = "127.0.0.1") -> Iterator[LinkHost]:
    with loopback.running(LinkHost(host)) as server:
        yield server
