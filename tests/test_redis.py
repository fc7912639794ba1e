"""RedisRateLimiter against a real redis-server on loopback: the limit's meaning,
fairness, dead processes, an unreachable or stopped Redis, and four processes
sharing one instance against the fake enforcing GREEN-API's limits."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import cast

import anyio
import anyio.lowlevel
import pytest
import redis
import redis.asyncio

from greenstatus import (
    GreenStatusError,
    NoRetry,
    RateLimiter,
    RateLimiterUnavailableError,
    RateRequest,
    RedisRateLimiter,
    TextStatus,
)
from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeGreenAPI

from .conftest import fake_client, served_client
from .reachable import hits
from .redis_server import RedisServer, free_port, redis_client, redis_server

pytestmark = pytest.mark.anyio

WORKER = str(Path(__file__).with_name("redis_worker.py"))
ID = "1101000001"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis-py's asyncio client


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with redis_server() as started:
        yield started


@pytest.fixture
async def limiter(server: RedisServer) -> AsyncIterator[RedisRateLimiter]:
    with server.client() as admin:
        admin.flushall()
    limiter = RedisRateLimiter(server.url)
    yield limiter
    await limiter.aclose()


def request(limit: int, hold: float = 5.0, method: str = "sendTextStatus") -> RateRequest:
    return RateRequest(ID, method, limit, hold)


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


async def test_it_is_a_rate_limiter(limiter: RedisRateLimiter) -> None:
    assert isinstance(limiter, RateLimiter)


async def test_n_places_at_once_then_one_more_a_window_after_a_release(
    limiter: RedisRateLimiter,
) -> None:
    with anyio.fail_after(5):
        places = [await limiter.acquire(request(3)) for _ in range(3)]
    released = time.monotonic()
    await places[0].release()
    with anyio.fail_after(5):
        await limiter.acquire(request(3))
    waited = time.monotonic() - released
    # The released place counted for its window, and no longer: the others are
    # held for a minute (room above the window for a slow machine).
    assert 0.95 < waited < 2.5


async def test_keys_live_under_the_prefix_per_instance_and_method_and_expire(
    server: RedisServer,
) -> None:
    limiter = RedisRateLimiter(server.url, key_prefix="bots")
    await limiter.acquire(RateRequest("42", "sendVoiceStatus", 5, 2.0))
    await limiter.aclose()
    with server.client() as admin:
        keys = sorted(key.decode() for key in admin.keys("bots:*"))
        assert keys == [
            "bots:{42:sendVoiceStatus}:places",
            "bots:{42:sendVoiceStatus}:tickets",
        ]
        # Idle keys go: the hold, the window, a stale waiter's time and a second.
        assert all(0 < admin.pttl(key) <= 10100 for key in keys)


async def test_waiters_take_places_in_the_order_they_came(limiter: RedisRateLimiter) -> None:
    holder = await limiter.acquire(request(1))
    order: list[int] = []

    async def wait(number: int) -> None:
        place = await limiter.acquire(request(1))
        order.append(number)
        await place.release()

    queue = limiter.keys(ID, "sendTextStatus")[1]
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for number in range(4):
                group.start_soon(wait, number)
                with redis_client(limiter) as admin:  # each is queued before the next comes
                    for _ in range(500):
                        if cast("int", admin.zcard(queue)) >= number + 1:
                            break
                        await anyio.sleep(0.01)
            await holder.release()
    assert order == [0, 1, 2, 3]


async def test_a_cancelled_waiter_leaves_its_turn_at_once(limiter: RedisRateLimiter) -> None:
    holder = await limiter.acquire(request(1))
    with anyio.move_on_after(0.2):
        await limiter.acquire(request(1))  # first in the queue, then gone
    released = time.monotonic()
    await holder.release()
    with anyio.fail_after(3):
        await limiter.acquire(request(1))
    # One window, not the two seconds a vanished waiter takes to go stale (it
    # left 0.2 s before the release: stale 1.8 s after it at the earliest).
    assert time.monotonic() - released < 1.7


async def test_a_place_never_released_counts_its_hold_and_a_window(
    limiter: RedisRateLimiter,
) -> None:
    await limiter.acquire(request(1, hold=0.5))  # its process "dies" holding it
    started = time.monotonic()
    with anyio.fail_after(5):
        await limiter.acquire(request(1, hold=0.5))
    # Its hold and a window (1.5 s), with room above for a slow machine.
    assert 1.3 < time.monotonic() - started < 3.5


async def test_a_client_keeps_the_fake_s_limits_with_redis(
    limiter: RedisRateLimiter,
) -> None:
    fake = FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS)
    async with served_client(fake, retry=NoRetry(), rate_limiter=limiter) as client:
        results = await client.send_all(
            [TextStatus(message=f"{n}") for n in range(12)], max_concurrency=12
        )
    assert all(result.ok for result in results), [r.error for r in results if r.error]
    assert most_in_any_second([r.received_at for r in fake.requests]) <= 5


async def test_an_unreachable_redis_is_a_typed_error_and_nothing_is_sent() -> None:
    fake = FakeGreenAPI()
    secret = "r3dis-pa55word"
    limiter = RedisRateLimiter(f"redis://:{secret}@127.0.0.1:{free_port()}/0")
    async with fake_client(fake, rate_limiter=limiter) as client:
        with pytest.raises(RateLimiterUnavailableError) as excinfo:
            await client.send_text_status("hi")
        (result,) = await client.send_all([TextStatus(message="hi")])
    await limiter.aclose()
    error = excinfo.value
    assert isinstance(error, GreenStatusError)
    assert error.api_method == "sendTextStatus"
    assert "this request was not sent" in str(error)
    assert secret not in str(error)
    assert secret not in repr(limiter)
    assert isinstance(result.error, RateLimiterUnavailableError)
    assert fake.requests == []


async def test_stopping_redis_mid_run_gives_the_typed_error() -> None:
    fake = FakeGreenAPI()
    with redis_server() as own:
        limiter = RedisRateLimiter(own.url)
        async with fake_client(fake, rate_limiter=limiter, retry=NoRetry()) as client:
            await client.send_text_status("before")
            own.stop()
            with pytest.raises(RateLimiterUnavailableError, match="cannot be used"):
                await client.send_text_status("after")
        await limiter.aclose()
    assert [status.payload["message"] for status in fake.statuses] == ["before"]


async def test_it_refuses_trio_with_a_clear_error(server: RedisServer) -> None:
    limiter = RedisRateLimiter(server.url)

    async def on_trio() -> None:
        await limiter.acquire(request(1))

    with pytest.raises(RuntimeError, match="runs on asyncio"):
        await anyio.to_thread.run_sync(lambda: anyio.run(on_trio, backend="trio"))


def test_the_limiter_checks_its_arguments(server: RedisServer) -> None:
    with pytest.raises(TypeError, match="url_or_client"):
        RedisRateLimiter(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key_prefix"):
        RedisRateLimiter(server.url, key_prefix="a{b")


# -- many processes ------------------------------------------------------------------


async def test_four_processes_share_one_instance_s_limit(server: RedisServer) -> None:
    with server.client() as admin:
        admin.flushall()
    fake = FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS)
    async with fake.serve() as url:
        command = [sys.executable, WORKER, "send", server.url, url, fake.id_instance, fake.token]
        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                outputs: list[str] = []

                async def worker() -> None:
                    done = await anyio.run_process([*command, "15"], check=True)
                    outputs.append(done.stdout.decode())

                for _ in range(4):
                    group.start_soon(worker)
    reports = [json.loads(output) for output in outputs]
    assert [report["errors"] for report in reports] == [[]] * 4  # not one 429
    assert sum(report["sent"] for report in reports) == 60
    sends = [r.received_at for r in fake.requests if r.api_method == "sendTextStatus"]
    assert len(sends) == 60
    assert most_in_any_second(sends) <= 5


async def test_watchers_in_three_processes_share_one_request_a_second(server: RedisServer) -> None:
    with server.client() as admin:
        admin.flushall()
    fake = FakeGreenAPI(contacts=["79001234567@c.us"], rate_limits=DOCUMENTED_RATE_LIMITS)
    async with fake.serve() as url:
        # The statuses to watch are sent at GREEN-API's pace (the client's default
        # limits): the fake answers a sixth send within one second with 429.
        async with fake_client(fake) as sender:
            ids = [(await sender.send_text_status(f"status {n}")).id_message for n in range(6)]
        fake.requests = []
        command = [sys.executable, WORKER, "watch", server.url, url, fake.id_instance, fake.token]
        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                outputs: list[str] = []

                async def worker(mine: list[str]) -> None:
                    done = await anyio.run_process([*command, "4", *mine], check=True)
                    outputs.append(done.stdout.decode())

                for start in range(0, 6, 2):
                    group.start_soon(worker, ids[start : start + 2])
    seen = {key: value for output in outputs for key, value in json.loads(output).items()}
    assert seen == dict.fromkeys(ids, 1)  # each watcher saw its one recipient
    polls = [r.received_at for r in fake.requests if r.api_method == "getStatusStatistic"]
    assert most_in_any_second(polls) <= 1  # six watchers asking five times a second each
    assert len(polls) >= 6


async def test_a_killed_process_holding_places_blocks_no_one_past_the_bound(
    limiter: RedisRateLimiter, server: RedisServer
) -> None:
    hold = 1.0
    dying = subprocess.Popen(  # noqa: ASYNC220 - started once, read in a thread
        [sys.executable, WORKER, "hold", server.url, ID, "sendTextStatus", "5", str(hold)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert dying.stdout is not None
        assert await anyio.to_thread.run_sync(dying.stdout.readline) == "held\n"
        with server.client() as admin:  # it holds every place as it dies
            assert admin.zcard(limiter.keys(ID, "sendTextStatus")[0]) == 5
        os.kill(dying.pid, signal.SIGKILL)
        dying.wait(timeout=10)
        killed = time.monotonic()
        with anyio.fail_after(10):
            await limiter.acquire(request(5))
        waited = time.monotonic() - killed
    finally:
        if dying.poll() is None:
            dying.kill()
        dying.wait(timeout=10)
        assert dying.stdout is not None
        dying.stdout.close()
    # Its five places counted until their hold plus the window, not longer
    # (with room above for a slow machine).
    assert waited < hold + 1.0 + 1.5


def test_most_in_any_second_counts_windows() -> None:
    assert most_in_any_second([0.0, 0.5, 0.99, 1.0, 1.98]) == 3
    assert most_in_any_second([]) == 0
    assert list(itertools.islice(itertools.count(), 0)) == []


async def test_cancellation_at_any_point_leaves_no_place_held_past_a_window(
    limiter: RedisRateLimiter, server: RedisServer
) -> None:
    chance = random.Random(7)

    async def attempt() -> None:
        with anyio.move_on_after(chance.uniform(0, 0.02)):
            place = await limiter.acquire(request(2, hold=60))
            try:
                await anyio.sleep(chance.uniform(0, 0.01))
            finally:  # as the client gives a place back
                with anyio.CancelScope(shield=True):
                    await place.release()

    async with anyio.create_task_group() as group:
        for _ in range(40):
            group.start_soon(attempt)
    places_key = limiter.keys(ID, "sendTextStatus")[0]
    with server.client() as admin:
        seconds, micros = admin.time()
        now = seconds + micros / 1_000_000
        # Every place counts at most one window from now, never its 60 s hold.
        assert admin.zcount(places_key, now + 1.1, "+inf") == 0


async def test_a_place_given_to_a_waiter_that_left_is_released(
    limiter: RedisRateLimiter,
) -> None:
    place = await limiter.acquire(request(1, hold=60))
    queue, seen = limiter.keys(ID, "sendTextStatus")[1:3]
    # What acquire does when it is cancelled after Redis gave it the place.
    limits = limiter.keys(ID, "sendTextStatus")[4]
    await limiter._leave(keys=[queue, seen, place.places_key, limits], args=[place.waiter, 1.01])
    started = time.monotonic()
    with anyio.fail_after(10):
        await limiter.acquire(request(1, hold=60))
    assert time.monotonic() - started < 5  # a window, not the 60 s hold


async def test_a_place_granted_as_its_acquire_is_cancelled_is_released(
    limiter: RedisRateLimiter, server: RedisServer
) -> None:
    granted = limiter._acquire
    scope = anyio.CancelScope()

    async def granted_then_cancelled(**kwargs: object) -> object:
        answer = await granted(**kwargs)
        scope.cancel()  # the answer is in, and the caller is cancelled
        await anyio.lowlevel.checkpoint()
        return answer

    limiter._acquire = granted_then_cancelled
    with scope:
        await limiter.acquire(request(1, hold=60))
    assert scope.cancelled_caught
    places_key = limiter.keys(ID, "sendTextStatus")[0]
    with server.client() as admin:
        seconds, micros = admin.time()
        (score,) = [s for _, s in admin.zrange(places_key, 0, -1, withscores=True)]
    assert score - (seconds + micros / 1_000_000) < 1.1  # a window, not 60 s


async def test_an_evicted_waiter_comes_back_in_its_turn(limiter: RedisRateLimiter) -> None:
    keys = list(limiter.keys(ID, "sendTextStatus"))
    await limiter.acquire(request(1))  # the place is held; the rest wait

    async def ask(waiter: str, ticket: str) -> str:
        answer: list[object] = await limiter._acquire(
            keys=keys, args=[waiter, 1, 5.0, 1.01, 6.0, ticket]
        )
        taken, ticket_back, _ = answer
        assert not taken
        return str(ticket_back.decode() if isinstance(ticket_back, bytes) else ticket_back)

    first = await ask("first", "")
    await ask("second", "")
    limiter_queue = keys[1]
    with redis_client(limiter) as admin:
        admin.zrem(limiter_queue, "first")  # as a Redis pause would evict it
    await ask("first", first)  # it asks again, with the ticket it had
    with redis_client(limiter) as admin:
        queued = cast("list[bytes]", admin.zrange(limiter_queue, 0, -1))
    assert [member.decode() for member in queued] == ["first", "second"]


async def test_waiters_of_different_limits_never_overtake_one_another(
    limiter: RedisRateLimiter,
) -> None:
    await limiter.acquire(request(5, hold=0.5))  # one place held, not for long
    queue = limiter.keys(ID, "sendTextStatus")[1]
    waiting_behind: list[int] = []
    done: list[str] = []

    async def wait(name: str, limit: int) -> None:
        await limiter.acquire(request(limit))
        if limit == 5:
            # Given its place only once the earlier waiter had left the queue.
            with redis_client(limiter) as admin:
                waiting_behind.append(cast("int", admin.zcard(queue)))
        done.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(wait, "limit 1, first", 1)
            await anyio.sleep(0.3)  # it waits: the held place is its whole limit
            group.start_soon(wait, "limit 5, second", 5)  # free under 5, but behind it
    assert sorted(done) == ["limit 1, first", "limit 5, second"]
    assert waiting_behind == [0]


async def test_a_stalled_redis_is_unavailable_within_the_call_bound(
    server: RedisServer,
) -> None:
    # The limiter's own bound, 5 s a call: nothing private is patched to shorten it.
    with redis_server() as own:
        limiter = RedisRateLimiter(own.url)
        await limiter.acquire(request(5))  # connected
        own.process.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(RateLimiterUnavailableError, match=r"no answer within 5 s"):
                await limiter.acquire(request(5))
            assert time.monotonic() - started < 6.5
        finally:
            own.process.send_signal(signal.SIGCONT)
        await limiter.aclose()


# -- no password reachable from an error ---------------------------------------------

PASSWORD = "r3dis-Pa55word-9f8e7d"


@pytest.fixture
def password_server() -> Iterator[RedisServer]:
    """A redis-server of its own that asks for PASSWORD."""
    with redis_server(password=PASSWORD) as server:
        yield server


async def caught(call: Awaitable[object]) -> BaseException:
    """The error ``call`` raises, caught in a frame that holds no secret."""
    try:
        await call
    except RateLimiterUnavailableError as error:
        return error
    raise AssertionError("no RateLimiterUnavailableError")


async def unavailable_limiter(way: str, server: RedisServer) -> RedisRateLimiter:
    if way == "wrong password":
        return RedisRateLimiter(server.url_with(PASSWORD[::-1]))
    if way == "wrong password, own client":
        return RedisRateLimiter(
            redis.asyncio.Redis(host="127.0.0.1", port=server.port, password=PASSWORD[::-1])
        )
    limiter = RedisRateLimiter(server.url_with(PASSWORD))
    await limiter.acquire(request(5))  # connected, and the password taken
    if way == "server down":
        server.stop()
    else:  # a stalled server: the call times out, at the limiter's own bound (5 s)
        server.process.send_signal(signal.SIGSTOP)
    return limiter


WAYS = ["wrong password", "wrong password, own client", "server down", "timeout"]


@pytest.mark.parametrize("way", WAYS)
async def test_no_password_is_reachable_from_the_limiter_s_error(
    password_server: RedisServer, way: str
) -> None:
    limiter = await unavailable_limiter(way, password_server)
    error = await caught(limiter.acquire(request(5)))
    password_server.stop()
    assert isinstance(error, RateLimiterUnavailableError)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert hits(error, PASSWORD[::-1]) == []
    assert hits(error, PASSWORD) == []
    await limiter.aclose()


@pytest.mark.parametrize("way", WAYS)
async def test_no_password_or_token_is_reachable_from_a_client_s_error(
    password_server: RedisServer, way: str
) -> None:
    fake = FakeGreenAPI()
    limiter = await unavailable_limiter(way, password_server)
    async with fake_client(fake, rate_limiter=limiter) as client:
        error = await caught(client.send_text_status("hi"))
    password_server.stop()
    assert isinstance(error, RateLimiterUnavailableError)
    for secret in (PASSWORD[::-1], PASSWORD, fake.token):
        assert hits(error, secret) == [], secret
    assert fake.requests == []
    await limiter.aclose()
