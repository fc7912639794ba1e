"""A real redis-server on an ephemeral loopback port, for the tests.

The README's test command installs the server (Debian's redis-server
package); the tests start their own, with no persistence, and stop it.
"""

from __future__ import annotations

import shutil
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
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of its own; yields a handle with its URL and ``stop()``."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: the README's test command installs it "
            "(apt-get install redis-server)"
        )
    server = RedisServer(binary)
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, binary: str) -> None:
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
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            while True:
                try:
                    client.ping()
                    break
                except redis.exceptions.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        self.stop()
                        raise RuntimeError("redis-server did not start") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def stop(self) -> None:
        if self.process.poll() is None:
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
