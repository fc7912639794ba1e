"""A shared pool's shares: one stuck instance or one dead host holds a bounded
part of it, and every other instance keeps getting connections.

Real servers on loopback, on distinct loopback hosts (127.0.0.2, 127.0.0.3):
a stuck request is one the server read and never answers. Nothing is timed:
the good requests must complete while the stuck ones are still pending, and
the servers count what reached them.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest

from greenstatus import (
    APITimeoutError,
    AsyncStatusClient,
    NoRetry,
    create_http_client,
)
from tests import loopback
from tests.conftest import TOKEN

pytestmark = pytest.mark.anyio

STUCK = "1101000666"


class HostServer(loopback.Server):
    """tests.loopback's server, on a loopback host of the test's choosing."""

    # The standard library listens with a backlog of 5: connections past it
    # wait for the kernel's SYN retries, seconds apart.
    request_queue_size = 128

    def __init__(self, host: str, behaviour: loopback.Behaviour) -> None:
        http.server.ThreadingHTTPServer.__init__(self, (host, 0), loopback.Handler)
        self.behaviour = behaviour
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, bytes]] = []
        self.connections_opened = 0
        self.connections_closed = 0

    def seen(self, instance: str) -> int:
        with self.lock:
            return sum(f"/waInstance{instance}/" in path for _, path, _ in self.requests)


@contextmanager
def serve_on(host: str, behaviour: loopback.Behaviour) -> Iterator[HostServer]:
    with loopback.running(HostServer(host, behaviour)) as server:
        yield server


@pytest.fixture
def unstuck() -> Iterator[threading.Event]:
    """Set at the end of a test: the stuck handlers then hang up, unanswered."""
    event = threading.Event()
    yield event
    event.set()


def never_answering(unstuck: threading.Event) -> loopback.Behaviour:
    def behaviour(handler: loopback.Handler) -> None:
        unstuck.wait(timeout=60)
        with contextlib.suppress(OSError):  # the client may have hung up first
            handler.drop()

    return behaviour


def stuck_instance_only(unstuck: threading.Event) -> loopback.Behaviour:
    hang = never_answering(unstuck)

    def behaviour(handler: loopback.Handler) -> None:
        if f"/waInstance{STUCK}/" in handler.path:
            hang(handler)
        else:
            loopback.answer_id(handler)

    return behaviour


def instance(number: int) -> str:
    return f"1101{number:06d}"


async def wait_until(condition: Callable[[], bool]) -> None:
    """Until the servers' threads have seen what the test waits for (bounded)."""
    for _ in range(1000):
        if condition():
            return
        await anyio.sleep(0.01)
    raise AssertionError("the servers never saw what the test waited for")


class Sends:
    """Sends of many instances through one shared pool; counts what ended."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.completed = 0
        self.ended_stuck = 0

    async def send(self, url: str, id_instance: str) -> None:
        client = AsyncStatusClient(
            id_instance,
            TOKEN,
            api_url=url,
            http_client=self.http,
            retry=NoRetry(),
            rate_limits=None,
        )
        try:
            await client.send_text_status("hi")
        finally:
            if id_instance == STUCK:
                self.ended_stuck += 1
        self.completed += 1


async def test_a_dead_host_holds_no_more_connections_than_its_share(
    unstuck: threading.Event,
) -> None:
    http = create_http_client(limits=httpx.Limits(max_connections=8), max_connections_per_host=3)
    sends = Sends(http)
    with (
        serve_on("127.0.0.2", never_answering(unstuck)) as dead,
        serve_on("127.0.0.3", loopback.answer_id) as alive,
    ):
        async with http, anyio.create_task_group() as tasks:
            for number in range(6):  # six instances on the dead host, two sends each
                for _ in range(2):
                    tasks.start_soon(sends.send, dead.url, instance(number))
            await wait_until(lambda: len(dead.requests) == 3)

            async with anyio.create_task_group() as good:
                for number in range(100, 140):  # forty instances on a live host
                    good.start_soon(sends.send, alive.url, instance(number))

            assert sends.completed == 40
            assert len(alive.requests) == 40
            assert dead.connections_opened == 3
            assert len(dead.requests) == 3
            tasks.cancel_scope.cancel()


async def test_a_stuck_instance_leaves_its_host_to_the_others(unstuck: threading.Event) -> None:
    http = create_http_client(limits=httpx.Limits(max_connections=8), max_requests_per_instance=2)
    sends = Sends(http)
    with serve_on("127.0.0.2", stuck_instance_only(unstuck)) as host:
        async with http, anyio.create_task_group() as tasks:
            for _ in range(10):
                tasks.start_soon(sends.send, host.url, STUCK)
            await wait_until(lambda: host.seen(STUCK) == 2)

            async with anyio.create_task_group() as good:
                for number in range(100, 140):  # forty instances on the same host
                    good.start_soon(sends.send, host.url, instance(number))

            assert sends.completed == 40
            assert sends.ended_stuck == 0
            assert host.seen(STUCK) == 2
            assert len(host.requests) == 42
            tasks.cancel_scope.cancel()


async def test_by_default_one_instance_holds_eight_requests(unstuck: threading.Event) -> None:
    http = create_http_client()
    sends = Sends(http)
    with serve_on("127.0.0.2", stuck_instance_only(unstuck)) as host:
        async with http, anyio.create_task_group() as tasks:
            for _ in range(20):
                tasks.start_soon(sends.send, host.url, STUCK)
            await wait_until(lambda: host.seen(STUCK) == 8)
            await sends.send(host.url, instance(100))  # goes round the stuck ones

            assert host.seen(STUCK) == 8
            assert host.connections_opened == 9
            tasks.cancel_scope.cancel()


async def test_by_default_one_host_holds_three_quarters_of_the_pool(
    unstuck: threading.Event,
) -> None:
    http = create_http_client(limits=httpx.Limits(max_connections=8))
    sends = Sends(http)
    with (
        serve_on("127.0.0.2", never_answering(unstuck)) as dead,
        serve_on("127.0.0.3", loopback.answer_id) as alive,
    ):
        async with http, anyio.create_task_group() as tasks:
            for number in range(10):
                tasks.start_soon(sends.send, dead.url, instance(number))
            await wait_until(lambda: len(dead.requests) == 6)
            await sends.send(alive.url, instance(100))

            assert dead.connections_opened == 6
            assert len(alive.requests) == 1
            tasks.cancel_scope.cancel()


async def test_waiting_for_a_share_counts_against_the_pool_timeout(
    unstuck: threading.Event,
) -> None:
    http = create_http_client(timeout=httpx.Timeout(15.0, pool=0.2), max_requests_per_instance=1)
    with serve_on("127.0.0.2", stuck_instance_only(unstuck)) as host:
        url = f"{host.url}/waInstance{STUCK}/sendTextStatus/{TOKEN}"
        async with http, anyio.create_task_group() as tasks:
            tasks.start_soon(http.post, url)
            await wait_until(lambda: host.seen(STUCK) == 1)

            with pytest.raises(httpx.PoolTimeout):
                await http.post(url)
            client = AsyncStatusClient(
                STUCK, TOKEN, api_url=host.url, http_client=http, retry=NoRetry(), rate_limits=None
            )
            with pytest.raises(APITimeoutError) as excinfo:
                await client.send_text_status("hi")

            assert excinfo.value.request_sent is False
            assert host.seen(STUCK) == 1
            tasks.cancel_scope.cancel()


async def test_a_request_cancelled_while_waiting_for_its_share_leaves_none_taken(
    unstuck: threading.Event,
) -> None:
    http = create_http_client(max_requests_per_instance=1)
    with serve_on("127.0.0.2", stuck_instance_only(unstuck)) as host:
        url = f"{host.url}/waInstance{STUCK}/sendTextStatus/{TOKEN}"
        async with http:
            async with anyio.create_task_group() as stuck:
                stuck.start_soon(http.post, url)
                await wait_until(lambda: host.seen(STUCK) == 1)
                for _ in range(5):
                    stuck.start_soon(http.post, url)  # each waits for the instance's share
                await anyio.wait_all_tasks_blocked()
                stuck.cancel_scope.cancel()
            unstuck.set()  # the server now hangs up on what it holds

            # The instance's one share is free: its next request reaches the server.
            with pytest.raises(httpx.TransportError):
                await http.post(url)
            assert host.seen(STUCK) == 2


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("max_requests_per_instance", 0, ValueError),
        ("max_connections_per_host", -1, ValueError),
        ("max_requests_per_instance", 2.5, TypeError),
        ("max_connections_per_host", True, TypeError),
    ],
)
def test_a_share_must_be_a_positive_int_or_none(
    option: str, value: object, error: type[Exception]
) -> None:
    options: dict[str, Any] = {option: value}
    with pytest.raises(error, match=option):
        create_http_client(**options)
