"""A user's own ``httpx.AsyncClient`` on httpx's default transport (httpcore's
pool, which serves fewer requests per second the more are in flight):
greenstatus caps its requests in flight through it (``max_in_flight``), says
so once, and caps nothing else.

A real server on loopback counts the most requests it held at once; it holds
each one until the test lets it go, so a cap that let more through would show
them all held at once. Nothing here is timed: ``benchmarks/own_client.py``
measures the speed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from functools import partial

import anyio
import httpx
import pytest

from greenstatus import (
    APITimeoutError,
    AsyncStatusClient,
    ClientClosedError,
    ExponentialBackoff,
    GreenStatusError,
    InProcessRateLimiter,
    NoRetry,
    RatePlace,
    RateRequest,
    TextStatus,
    create_http_client,
)
from greenstatus._in_flight import AUTO_CEILING, AUTO_START, Climb, InFlightGate
from tests import loopback
from tests.conftest import ID_INSTANCE, TOKEN

pytestmark = pytest.mark.anyio

BOUND = 30  # seconds any one test may take, whatever the machine


class RoomyServer(loopback.Server):
    # The standard library listens with a backlog of 5: connections past it
    # wait for the kernel's SYN retries, seconds apart.
    request_queue_size = 256


class Holding:
    """Answers each request once the test lets one go (``let_one_go``) or all
    (``opened``); counts the requests it holds and the most at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.held = 0
        self.most = 0
        self.answered = 0
        self.permits = threading.Semaphore(0)
        self.opened = threading.Event()
        self.url = ""

    def behaviour(self, handler: loopback.Handler) -> None:
        with self.lock:
            self.held += 1
            self.most = max(self.most, self.held)
        while not self.opened.is_set() and not self.permits.acquire(timeout=0.02):
            pass
        with self.lock:
            # Before the answer: the client frees its place only once it has it.
            self.held -= 1
            self.answered += 1
        loopback.answer_id(handler)

    async def until(self, condition: Callable[[], bool]) -> None:
        while True:
            with self.lock:
                if condition():
                    return
            await anyio.sleep(0.002)

    async def let_through(self, total: int, *, first: int) -> None:
        """Wait until ``first`` are held, then let ``total`` go one at a time,
        each once it was answered before the next."""
        await self.until(lambda: self.held >= first)
        for count in range(1, total + 1):
            await self.until(lambda: self.held > 0)
            self.permits.release()
            await self.until(partial(self.answered_at_least, count))

    def answered_at_least(self, count: int) -> bool:
        return self.answered >= count


@pytest.fixture
def server() -> Iterator[Holding]:
    holding = Holding()
    with loopback.running(RoomyServer(holding.behaviour)) as running:
        holding.url = running.url
        try:
            yield holding
        finally:
            holding.opened.set()  # its handlers end before the server does


def client_of(server: Holding, http: httpx.AsyncClient, **options: object) -> AsyncStatusClient:
    return AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=server.url,
        http_client=http,
        rate_limits=None,  # the cap, not GREEN-API's 5 sends a second, is under test
        retry=NoRetry(),
        **options,  # type: ignore[arg-type]
    )


async def send_many(clients: list[AsyncStatusClient], each: int, sent: list[str]) -> None:
    async def one(client: AsyncStatusClient) -> None:
        sent.append((await client.send_text_status("hi")).id_message)

    async with anyio.create_task_group() as tasks:
        for client in clients:
            for _ in range(each):
                tasks.start_soon(one, client)


# -- a cap of the user's choosing: exact ------------------------------------------


async def test_concurrent_sends_on_a_plain_client_never_pass_the_cap(server: Holding) -> None:
    sent: list[str] = []
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            client = client_of(server, http, max_in_flight=8)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_many, [client], 64, sent)
                await server.let_through(64, first=8)
    assert len(sent) == 64
    assert server.most == 8


async def test_send_all_on_a_plain_client_never_passes_the_cap(server: Holding) -> None:
    statuses = [TextStatus(message=f"{index}") for index in range(64)]
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            client = client_of(server, http, max_in_flight=8)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(partial(server.let_through, 64, first=8))
                results = await client.send_all(statuses, max_concurrency=64)
    assert all(result.ok for result in results)
    assert server.most == 8


async def test_clients_sharing_a_plain_client_share_its_cap(server: Holding) -> None:
    sent: list[str] = []
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            clients = [client_of(server, http, max_in_flight=8) for _ in range(2)]
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_many, clients, 32, sent)
                await server.let_through(64, first=8)
    assert len(sent) == 64
    assert server.most == 8


# -- the default: "auto" ------------------------------------------------------------


async def test_the_default_caps_a_plain_client_shared_by_clients(server: Holding) -> None:
    # More sends at once than the cap's ceiling, from two clients on one
    # plain httpx client: without one cap shared by both, the server would
    # hold them all.
    sent: list[str] = []
    total = AUTO_CEILING + 36
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None)) as http:
            clients = [client_of(server, http) for _ in range(2)]
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_many, clients, total // 2, sent)
                await server.let_through(total, first=AUTO_START)
    assert len(sent) == total
    assert AUTO_START <= server.most <= AUTO_CEILING


async def test_send_all_runs_no_more_at_once_than_the_default_cap(server: Holding) -> None:
    total = AUTO_CEILING + 36
    statuses = [TextStatus(message=f"{index}") for index in range(total)]
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None)) as http:
            client = client_of(server, http)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(partial(server.let_through, total, first=AUTO_START))
                results = await client.send_all(statuses, max_concurrency=total)
    assert all(result.ok for result in results)
    assert AUTO_START <= server.most <= AUTO_CEILING


async def test_a_mounted_httpx_transport_is_capped_too(server: Holding) -> None:
    sent: list[str] = []
    total = AUTO_CEILING + 16
    mounted = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=None))
    # Any other host goes to a transport that is not httpx's own: the cap
    # follows httpx's own routing to the mount.
    unused = httpx.MockTransport(lambda request: httpx.Response(500))
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient(
            transport=unused, mounts={"http://127.0.0.1": mounted}
        ) as http:
            client = client_of(server, http)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(send_many, [client], total, sent)
                await server.let_through(total, first=AUTO_START)
    assert len(sent) == total
    assert server.most <= AUTO_CEILING


async def past_the_ceiling_at_once(server: Holding, client: AsyncStatusClient) -> None:
    """Sends through ``client`` until more than the "auto" ceiling are held at
    the server at once (a cap would stop them short), then lets every one be
    answered: all of them are sent."""
    sent: list[str] = []
    total = AUTO_CEILING + 16
    with anyio.fail_after(BOUND):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send_many, [client], total, sent)
            await server.until(lambda: server.held > AUTO_CEILING)
            server.opened.set()
    assert len(sent) == total


async def test_greenstatus_s_own_kind_of_client_is_not_capped(server: Holding) -> None:
    # create_http_client() on asyncio sends through aiohttp's pool; on trio a
    # user's shares it between instances, whose shares a cap in front would
    # undo. Either way, more than the cap reach the server at once.
    http = create_http_client(
        limits=httpx.Limits(max_connections=128),
        max_connections_per_host=None,
        max_requests_per_instance=None,
    )
    async with http:
        await past_the_ceiling_at_once(server, client_of(server, http))


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp runs on asyncio only
async def test_httpx_aiohttp_s_transport_is_not_capped(server: Holding) -> None:
    from httpx_aiohttp import AiohttpTransport

    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        await past_the_ceiling_at_once(server, client_of(server, http))


async def test_no_cap_when_lifted(server: Holding) -> None:
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None)) as http:
        await past_the_ceiling_at_once(server, client_of(server, http, max_in_flight=None))


# -- what it says -------------------------------------------------------------------


async def test_it_says_once_what_it_did_and_the_fast_path_without_the_token(
    server: Holding, caplog: pytest.LogCaptureFixture
) -> None:
    server.opened.set()
    caplog.set_level(logging.DEBUG)
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            clients = [client_of(server, http) for _ in range(2)]
            clients.append(clients[0].with_options(deadline=10))
            await send_many(clients, 3, [])
            await clients[0].send_all([TextStatus(message="hi")] * 3)
    said = [
        record
        for record in caplog.records
        if record.name == "greenstatus" and "AsyncHTTPTransport" in record.getMessage()
    ]
    assert len(said) == 1
    message = said[0].getMessage()
    assert said[0].levelno == logging.INFO
    assert server.url in message  # which requests
    assert "greenstatus.create_http_client()" in message  # the way round it
    assert "AiohttpTransport" in message
    assert "max_in_flight=None" in message
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)


@pytest.mark.parametrize("cap", [None, 8])
async def test_nothing_is_said_of_a_cap_the_user_chose(
    server: Holding, caplog: pytest.LogCaptureFixture, cap: int | None
) -> None:
    server.opened.set()
    caplog.set_level(logging.INFO, logger="greenstatus")
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            await send_many([client_of(server, http, max_in_flight=cap)], 3, [])
    assert not [record for record in caplog.records if record.name == "greenstatus"]


async def test_nothing_is_said_of_greenstatus_s_own_kind_of_client(
    server: Holding, caplog: pytest.LogCaptureFixture
) -> None:
    server.opened.set()
    caplog.set_level(logging.INFO, logger="greenstatus")
    with anyio.fail_after(BOUND):
        async with create_http_client() as http:
            await send_many([client_of(server, http)], 3, [])
    assert not [record for record in caplog.records if record.name == "greenstatus"]


# -- waiting at the cap: not sent ---------------------------------------------------


async def test_closing_the_client_ends_the_sends_waiting_at_the_cap_as_not_sent(
    server: Holding,
) -> None:
    outcomes: list[str | BaseException] = []

    async def one(client: AsyncStatusClient) -> None:
        try:
            outcomes.append((await client.send_text_status("hi")).id_message)
        except ClientClosedError as error:
            outcomes.append(error)

    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            client = client_of(server, http, max_in_flight=2)
            async with anyio.create_task_group() as tasks:
                for _ in range(10):
                    tasks.start_soon(one, client)
                await server.until(lambda: server.held == 2)
                await client.aclose()
                # The two on the wire of the user's client, which stays open,
                # end as they would have.
                server.opened.set()
    assert len(outcomes) == 10
    assert sum(isinstance(outcome, str) for outcome in outcomes) == 2
    closed = [outcome for outcome in outcomes if isinstance(outcome, ClientClosedError)]
    assert len(closed) == 8
    assert not any(error.request_sent for error in closed)
    assert server.answered == 2


async def test_a_deadline_ends_a_send_waiting_at_the_cap_as_not_sent(server: Holding) -> None:
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            client = client_of(server, http, max_in_flight=1)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(client.send_text_status, "first")
                await server.until(lambda: server.held == 1)
                with pytest.raises(APITimeoutError) as caught:
                    await client.with_options(deadline=0.2).send_text_status("second")
                server.opened.set()
    assert caught.value.request_sent is False
    assert server.answered == 1  # the second was never sent


class CountingLimiter:
    """The default rate limiter, counting the places asked for."""

    def __init__(self) -> None:
        self.inner = InProcessRateLimiter()
        self.asked = 0

    async def acquire(self, request: RateRequest) -> RatePlace:
        self.asked += 1
        return await self.inner.acquire(request)


async def test_a_send_waits_at_the_cap_before_it_asks_the_rate_limiter(server: Holding) -> None:
    limiter = CountingLimiter()
    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient() as http:
            client = AsyncStatusClient(
                ID_INSTANCE,
                TOKEN,
                api_url=server.url,
                http_client=http,
                rate_limiter=limiter,
                retry=NoRetry(),
                max_in_flight=1,
            )
            async with anyio.create_task_group() as tasks:
                for _ in range(2):
                    tasks.start_soon(client.send_text_status, "hi")
                await server.until(lambda: server.held == 1)
                await anyio.wait_all_tasks_blocked()
                # The second waits at the cap, with no rate-limit place taken
                # (which would count a send that was not made).
                assert limiter.asked == 1
                server.opened.set()
    assert limiter.asked == 2


# -- the climb: where "auto" takes the limit -------------------------------------------

# Requests per second of greenstatus on a plain httpx client over TLS on
# loopback, by requests in flight (benchmarks/own_client.py, 2 cores).
LOOPBACK = {1: 1266, 2: 1323, 3: 1203, 4: 1130, 6: 970, 8: 878, 12: 700, 16: 534}
LOOPBACK.update({24: 480, 32: 457, 48: 430, 64: 420})


def climbed(rate: Callable[[int], float], measurements: int = 60) -> list[int]:
    """The limits a climb goes through, each measurement saturated and as
    long as a gate makes it."""
    climb = Climb(AUTO_CEILING, AUTO_START)
    limits: list[int] = []
    for _ in range(measurements):
        done = 2 * climb.limit + 8
        climb.measured(done, done, done / rate(climb.limit), timed_out=False)
        limits.append(climb.limit)
    return limits


def test_on_a_server_that_answers_at_once_the_limit_goes_to_the_peak() -> None:
    limits = climbed(LOOPBACK.__getitem__)
    assert max(limits[10:]) <= 3


def test_on_a_server_that_answers_slowly_the_limit_climbs_to_the_ceiling() -> None:
    limits = climbed(lambda limit: limit / 0.2)  # 200 ms each, more in flight sends more
    assert min(limits[10:]) >= 48
    assert max(limits) == AUTO_CEILING


def test_the_limit_stays_near_a_peak_in_the_middle() -> None:
    # 10 ms answers, until the CPU runs out (and each one more in flight costs).
    limits = climbed(lambda limit: min(100 * limit, 2000 - 25 * limit))
    assert all(12 <= limit <= 24 for limit in limits[10:])


@pytest.mark.parametrize("timed_out", [False, True])
def test_a_measurement_with_few_waiting_moves_nothing(timed_out: bool) -> None:
    climb = Climb(AUTO_CEILING, AUTO_START)
    for _ in range(10):
        climb.measured(100, 10, 0.1, timed_out=timed_out)
    assert climb.limit == AUTO_START


def test_places_held_by_slow_answers_raise_the_limit() -> None:
    climb = Climb(AUTO_CEILING, AUTO_START)
    climb.measured(0, 0, 1.0, timed_out=True)
    assert climb.limit > AUTO_START


async def test_a_gate_whose_places_slow_answers_hold_lets_more_through() -> None:
    now = [0.0]
    gate = InFlightGate(AUTO_CEILING, Climb(AUTO_CEILING, AUTO_START), now=lambda: now[0])
    for _ in range(AUTO_START):
        await gate.__aenter__()  # held, never answered
    with anyio.fail_after(BOUND):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(gate.__aenter__)
            await anyio.wait_all_tasks_blocked()
            now[0] += 1.0  # a second with requests waiting and no answer
            # The waiter's timer (a second later, on the event loop's clock)
            # finds that, and lets it through.
    assert gate.limit > AUTO_START
    assert gate.in_flight == AUTO_START + 1


def test_the_first_measurement_opens_connections_and_moves_nothing() -> None:
    climb = Climb(AUTO_CEILING, AUTO_START)
    climb.measured(100, 100, 0.2, timed_out=False)
    assert climb.limit == AUTO_START
    climb.measured(100, 100, 0.2, timed_out=False)
    assert climb.limit != AUTO_START  # the next one probes


async def test_a_retry_s_hook_and_backoff_hold_no_place_in_flight() -> None:
    # One place in flight. The first getStateInstance is answered 429, and its
    # on_retry hook waits until getSettings has been answered: holding the
    # place meanwhile, it would wait for ever.
    answered: list[str] = []
    first_answered, settings_done = anyio.Event(), anyio.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        method = request.url.path.split("/")[2]
        answered.append(method)
        if method == "getStateInstance" and answered.count(method) == 1:
            first_answered.set()
            return httpx.Response(429, json={"message": "slow down"})
        if method == "getSettings":
            return httpx.Response(200, json={"wid": "79001234567@c.us"})
        return httpx.Response(200, json={"stateInstance": "authorized"})

    async def on_retry(attempt: int, error: GreenStatusError, delay: float) -> None:
        await settings_done.wait()

    async def settings() -> None:
        await client.get_settings()
        settings_done.set()

    with anyio.fail_after(BOUND):
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = AsyncStatusClient(
                ID_INSTANCE,
                TOKEN,
                http_client=http,
                rate_limits=None,
                retry=ExponentialBackoff(max_attempts=2, initial=0.01),
                on_retry=on_retry,
                max_in_flight=1,
            )
            async with client, anyio.create_task_group() as tasks:
                tasks.start_soon(client.get_state_instance)
                await first_answered.wait()
                tasks.start_soon(settings)
    assert answered == ["getStateInstance", "getSettings", "getStateInstance"]


async def test_a_place_handed_to_a_waiter_cancelled_before_it_ran_goes_to_the_next() -> None:
    # The holder leaves and hands its place to the waiter; the waiter is
    # cancelled (a close, a deadline) before it runs again. Its place must go
    # on, not be lost: with one place, every later request would wait for ever.
    gate = InFlightGate(1)
    entered = anyio.Event()
    with anyio.fail_after(BOUND):
        await gate.__aenter__()  # the holder
        async with anyio.create_task_group() as tasks:
            waiting = anyio.CancelScope()

            async def waiter() -> None:
                with waiting:
                    async with gate:
                        entered.set()
                        await anyio.sleep_forever()

            tasks.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            assert len(gate._waiters) == 1
            waiting.cancel()  # the waiter is cancelled, and before it runs...
            await gate.__aexit__(None, None, None)  # ...the holder hands it the place
        assert gate.in_flight == 0
        async with gate:  # the next one gets in
            assert gate.in_flight == 1
    assert not entered.is_set()
