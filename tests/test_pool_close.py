"""Closing a pool under calls: every call ends with an outcome greenstatus can
classify, and those that never got a connection say they were not sent.

A real, slow server on loopback answers nothing until the test lets it; the
pool is closed once the server has read every request that holds a connection.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    AsyncStatusClient,
    ClientClosedError,
    NoRetry,
    create_http_client,
)
from greenstatus._in_flight import AUTO_START
from tests import loopback
from tests.conftest import TOKEN

pytestmark = pytest.mark.anyio

ID_INSTANCE = "1101000001"
CALLS = 100


class RoomyServer(loopback.Server):
    # The standard library listens with a backlog of 5: connections past it
    # wait for the kernel's SYN retries, seconds apart.
    request_queue_size = 128


@pytest.fixture
def slow_server() -> Iterator[loopback.Server]:
    """Reads every request and holds it unanswered until the test is over."""
    done = threading.Event()

    def behaviour(handler: loopback.Handler) -> None:
        done.wait(timeout=60)

    with loopback.running(RoomyServer(behaviour)) as server:
        try:
            yield server
        finally:
            done.set()  # its handlers end before the server does


async def wait_for_requests(server: loopback.Server, count: int) -> None:
    for _ in range(1000):
        if len(server.requests) >= count:
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"the server saw {len(server.requests)} requests, not {count}")


async def outcomes_of_closing_mid_way(
    client: AsyncStatusClient,
    server: loopback.Server,
    close: Callable[[], Awaitable[None]],
    in_flight: int,
) -> list[BaseException | str]:
    """Starts ``CALLS`` sends, calls ``close`` once ``in_flight`` reached the
    server, and returns every send's outcome (one per send, or the test fails)."""
    outcomes: list[BaseException | str] = []

    async def send() -> None:
        try:
            sent = await client.send_text_status("hi")
        except Exception as error:
            outcomes.append(error)
        else:
            outcomes.append(sent.id_message)

    async with anyio.create_task_group() as tasks:
        for _ in range(CALLS):
            tasks.start_soon(send)
        await wait_for_requests(server, in_flight)
        await close()
    return outcomes


def assert_honest(outcomes: list[BaseException | str], server: loopback.Server) -> None:
    assert len(outcomes) == CALLS
    assert all(type(outcome) is APIConnectionError for outcome in outcomes), outcomes
    errors = [outcome for outcome in outcomes if isinstance(outcome, APIConnectionError)]
    never_sent = [error for error in errors if not error.request_sent]
    assert len(never_sent) == CALLS - len(server.requests)
    assert all(
        "the connection pool was closed while this request waited for a connection" in str(error)
        for error in never_sent
    )


async def test_closing_a_shared_pool_under_calls_fails_the_waiting_ones_as_not_sent(
    slow_server: loopback.Server,
) -> None:
    # No shares: one instance may hold the whole pool, 64 connections.
    http = create_http_client(max_connections_per_host=None, max_requests_per_instance=None)
    client = AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=slow_server.url,
        http_client=http,
        retry=NoRetry(),
        rate_limits=None,
    )
    outcomes = await outcomes_of_closing_mid_way(client, slow_server, http.aclose, in_flight=64)
    assert len(slow_server.requests) == 64
    assert_honest(outcomes, slow_server)


async def test_closing_a_client_under_its_own_calls_fails_the_waiting_ones_as_not_sent(
    slow_server: loopback.Server, anyio_backend: str
) -> None:
    client = AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=slow_server.url, retry=NoRetry(), rate_limits=None
    )
    if anyio_backend == "asyncio":
        outcomes = await outcomes_of_closing_mid_way(
            client, slow_server, client.aclose, in_flight=64
        )
        assert len(slow_server.requests) == 64  # its own pool: one instance may use all of it
        assert_honest(outcomes, slow_server)
        return
    # On trio its own client sends through httpx's own transport, whose
    # requests in flight greenstatus caps (``max_in_flight="auto"``): the
    # others wait at that cap, and the close ends them as not sent.
    outcomes = await outcomes_of_closing_mid_way(
        client, slow_server, client.aclose, in_flight=AUTO_START
    )
    on_the_wire = len(slow_server.requests)
    assert AUTO_START <= on_the_wire < CALLS
    assert len(outcomes) == CALLS
    waited = [error for error in outcomes if type(error) is ClientClosedError]
    assert len(waited) == CALLS - on_the_wire
    assert not any(error.request_sent for error in waited)
    cut = [error for error in outcomes if type(error) is APIConnectionError]
    assert len(cut) == on_the_wire
    assert all(error.request_sent for error in cut)


async def test_a_request_after_the_pool_closed_fails_as_not_sent_at_once() -> None:
    http = create_http_client()
    transport = http._transport
    await http.aclose()
    request = httpx.Request("POST", f"http://127.0.0.1:9/waInstance{ID_INSTANCE}/x/{TOKEN}")
    with pytest.raises(httpx.ConnectError, match="the connection pool was closed"):
        await transport.handle_async_request(request)


UNCLOSED = """
    import asyncio, gc, sys
    import trio
    sys.path.insert(0, {root!r})
    from greenstatus import AsyncStatusClient, NoRetry
    from tests import loopback

    kept = []

    async def main(url):
        client = AsyncStatusClient("1101000001", {token!r}, api_url=url, retry=NoRetry())
        await client.send_text_status("hi")
        if {keep}:
            kept.append(client)  # alive until the interpreter exits, as in a REPL

    with loopback.serve() as server:
        {run}
        gc.collect()
    print("done")
"""


@pytest.mark.parametrize("loop", ["asyncio", "trio"])
@pytest.mark.parametrize("keep", [False, True], ids=["collected", "alive-at-exit"])
def test_a_client_never_closed_warns_once_with_greenstatus_words(keep: bool, loop: str) -> None:
    root = str(Path(__file__).resolve().parent.parent)
    run = "asyncio.run(main(server.url))" if loop == "asyncio" else "trio.run(main, server.url)"
    script = textwrap.dedent(UNCLOSED).format(root=root, token=TOKEN, keep=keep, run=run)
    ran = subprocess.run(
        [sys.executable, "-W", "default", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "done\n"
    assert ran.stderr.count("ResourceWarning: an AsyncStatusClient") == 1, ran.stderr
    assert "`async with" in ran.stderr
    assert "aclose()" in ran.stderr
    assert "Unclosed client session" not in ran.stderr
    assert "Unclosed connector" not in ran.stderr
    assert "unclosed <socket" not in ran.stderr
