"""A real redis-server on an ephemeral loopback port, for the tests.

The README's test command installs the server (Debian's redis-server
package); the tests start their own, with no persistence, and stop it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

_START_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server(password: str | None = None) -> Iterator[RedisServer]:
    """A redis-server of its own (asking for ``password``, if given); yields a
    handle with its URL and ``stop()``."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: the README's test command installs it "
            "(apt-get install redis-server)"
        )
    server = RedisServer(binary, password=password)
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, binary: str, *, password: str | None = None) -> None:
        self.password = password
        # The port is free when picked, but another process may bind it before
        # redis-server does; redis-server then exits, and it starts again on
        # another port.
        for _ in range(3):
            if self._start(binary):
                return
        raise RuntimeError("redis-server did not start on any of three free ports")

    def _start(self, binary: str) -> bool:
        """Start on a free port; False if redis-server exited (the port was taken)."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                *(("--requirepass", self.password) if self.password else ()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        client = redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1
        )
        try:
            while True:
                try:
                    client.ping()
                    return True
                except redis.exceptions.ConnectionError:
                    if self.process.poll() is not None:
                        return False
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_timeout=2
        )

    def url_with(self, password: str) -> str:
        """Its URL with ``password`` in it, right or wrong."""
        return f"redis://:{password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process hears no TERM
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def redis_client(limiter: object) -> Iterator[redis.Redis]:
    """A plain client to the Redis of ``limiter`` (a RedisRateLimiter), to look."""
    kwargs = limiter._client.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    client = redis.Redis(host=kwargs["host"], port=kwargs["port"], socket_timeout=2)
    try:
        yield client
    finally:
        client.close()
