"""RedisRateLimiter's script calls, counted at a real redis-server (INFO
commandstats): about one per send or fewer, with the same guarantees. A
released place reaches Redis with the next call, or by one of its own when
nothing else would carry it; a cancelled waiter still leaves the queue; aclose
tells what is left. The client's own attempts give their places back without
waiting for Redis (``release_soon``): one at a time, a send is one call.
Counted and read from Redis, never timed."""

from __future__ import annotations

import gc
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from typing import cast

import anyio
import anyio.lowlevel
import pytest
import redis

from greenstatus import (
    NoRetry,
    RateLimiterUnavailableError,
    RateRequest,
    RedisRateLimiter,
    TextStatus,
)
from greenstatus._rate_places import AttemptPlace
from greenstatus.testing import FakeGreenAPI

from .conftest import fake_client, served_client
from .redis_server import RedisServer, redis_server

pytestmark = pytest.mark.anyio

ID = "1101000002"
METHOD = "sendTextStatus"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis-py's asyncio client


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with redis_server() as started:
        yield started


@pytest.fixture
def admin(server: RedisServer) -> Iterator[redis.Redis]:
    with server.client() as client:
        client.flushall()
        yield client


@pytest.fixture
async def limiter(server: RedisServer, admin: redis.Redis) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(server.url)
    # The scripts loaded, so that every call counted is one EVALSHA.
    await (await limiter.acquire(request(1, method="getSettings"))).release()
    yield limiter
    await limiter.aclose()


def request(limit: int, hold: float = 60.0, method: str = METHOD) -> RateRequest:
    return RateRequest(ID, method, limit, hold)


def script_calls(admin: redis.Redis) -> int:
    """Script calls Redis has run so far (EVALSHA and EVAL)."""
    stats = cast("dict[str, dict[str, int]]", admin.info("commandstats"))
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def redis_now(admin: redis.Redis) -> float:
    seconds, micros = cast("tuple[int, int]", admin.time())
    return seconds + micros / 1_000_000


async def until(condition: Callable[[], bool]) -> None:
    """Look at Redis until ``condition`` holds, for 5 s at most."""
    with anyio.fail_after(5):
        for _ in range(500):
            if condition():
                return
            await anyio.sleep(0.01)
    raise AssertionError("Redis never showed it")


def all_released(admin: redis.Redis, limiter: RedisRateLimiter) -> bool:
    """No place of the method counts more than a window from now: every one
    was told released (none counts its 60 s hold)."""
    places = limiter.keys(ID, METHOD)[0]
    return admin.zcount(places, redis_now(admin) + 1.1, "+inf") == 0


def score(admin: redis.Redis, limiter: RedisRateLimiter, waiter: str) -> float:
    """When the place of ``waiter`` stops counting, on Redis's clock."""
    value = admin.zscore(limiter.keys(ID, METHOD)[0], waiter)
    assert value is not None
    return float(cast("float", value))


async def test_sends_through_a_client_take_at_most_one_call_each(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    fake = FakeGreenAPI(ID)
    statuses = [TextStatus(message=f"{n}") for n in range(60)]
    before = script_calls(admin)
    async with fake_client(
        fake, rate_limiter=limiter, retry=NoRetry(), rate_limits={METHOD: 1000}
    ) as client:
        with anyio.fail_after(30):
            results = await client.send_all(statuses, max_concurrency=6)
    assert all(result.ok for result in results)
    # Every place is told released (the last ones by a call of their own,
    # within 0.1 s): none counts its 60 s hold any more.
    await until(lambda: all_released(admin, limiter))
    # An ask per send at most (the releases ride along), and the last releases.
    assert script_calls(admin) - before <= len(statuses) + 1


async def test_places_taken_and_given_back_at_a_steady_pace_cost_one_call_each(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    before = script_calls(admin)

    async def sender() -> None:
        for _ in range(20):
            place = await limiter.acquire(request(1000))
            await anyio.sleep(0.005)  # the attempt
            await place.release()

    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(sender)
    assert script_calls(admin) - before <= 3 * 20 + 1


async def test_asks_that_come_together_go_in_one_call(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    places: list[object] = []

    async def take() -> None:
        places.append(await limiter.acquire(request(1000)))

    before = script_calls(admin)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(take)
    assert len(places) == 10
    assert script_calls(admin) - before <= 2
    assert admin.zcard(limiter.keys(ID, METHOD)[0]) == 10


async def test_a_release_rides_with_the_next_ask(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    first = await limiter.acquire(request(5))
    await limiter.acquire(request(5))  # held: the release below is not the last
    before = script_calls(admin)
    await first.release()
    assert script_calls(admin) == before  # noted, not a call of its own
    assert score(admin, limiter, first.waiter) > redis_now(admin) + 50  # not told yet
    await limiter.acquire(request(5))
    assert script_calls(admin) == before + 1  # the ask carried it
    assert score(admin, limiter, first.waiter) < redis_now(admin) + 1.1


async def test_the_last_place_released_is_told_before_release_returns(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    place = await limiter.acquire(request(5))
    await place.release()
    # Nothing else of this method here would carry it: told at once.
    assert score(admin, limiter, place.waiter) < redis_now(admin) + 1.1


async def test_a_release_no_ask_carries_reaches_redis_by_itself(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    first = await limiter.acquire(request(5))
    await limiter.acquire(request(5))  # held throughout, and no one asks
    await first.release()
    await until(lambda: score(admin, limiter, first.waiter) < redis_now(admin) + 50)
    # Freed a window after its release, not when its 60 s hold runs out.
    assert score(admin, limiter, first.waiter) < redis_now(admin) + 1.1


async def test_aclose_tells_the_releases_not_yet_told(
    server: RedisServer, admin: redis.Redis
) -> None:
    limiter = RedisRateLimiter(server.url)
    first = await limiter.acquire(request(5))
    await limiter.acquire(request(5))
    await first.release()
    assert score(admin, limiter, first.waiter) > redis_now(admin) + 50
    await limiter.aclose()
    assert score(admin, limiter, first.waiter) < redis_now(admin) + 1.1


async def test_a_cancelled_waiter_has_left_the_queue_when_its_cancellation_ends(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    await limiter.acquire(request(1))  # the one place, held
    places, queue, seen, _, limits = limiter.keys(ID, METHOD)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            waiting = anyio.CancelScope()

            async def waiter() -> None:
                with waiting:
                    await limiter.acquire(request(1))

            group.start_soon(waiter)
            await until(lambda: admin.zcard(queue) == 1)  # queued in Redis
            waiting.cancel()
    assert admin.zcard(queue) == 0
    assert admin.zcard(seen) == 0
    assert admin.hlen(limits) == 0
    assert admin.zcard(places) == 1  # the holder's place only


async def test_a_place_is_released_as_of_its_release_not_as_of_when_redis_hears(
    admin: redis.Redis,
) -> None:
    # Redis stopped while the release waits to be told: its place counts a
    # window from the release itself (never earlier), not from when it is told.
    with redis_server() as own:
        limiter = RedisRateLimiter(own.url)
        first = await limiter.acquire(request(5))
        with own.client() as own_admin:
            released_at = redis_now(own_admin)
            own.process.send_signal(signal.SIGSTOP)
            try:
                async with anyio.create_task_group() as group:
                    group.start_soon(limiter.acquire, request(5))  # an ask waits on Redis
                    await anyio.sleep(0.05)
                    await first.release()  # noted: carried by the call after the ask
                    await anyio.sleep(1.0)  # Redis hears nothing meanwhile
                    own.process.send_signal(signal.SIGCONT)
            finally:
                own.process.send_signal(signal.SIGCONT)
            await until(lambda: score(own_admin, limiter, first.waiter) < released_at + 50)
            counts_until = score(own_admin, limiter, first.waiter)
        await limiter.aclose()
    # Counted from when Redis hears, it would end a second later than this bound.
    assert released_at + 1.01 - 0.01 <= counts_until < released_at + 1.01 + 0.9


# -- the client's own releases: never waited for -------------------------------------

SENDS = 40


async def send_one_at_a_time(fake: FakeGreenAPI, limiter: RedisRateLimiter) -> None:
    """SENDS text statuses through a client on ``limiter``, each after the
    last one's answer, at a limit none of them waits for."""
    async with served_client(
        fake, rate_limiter=limiter, retry=NoRetry(), rate_limits={METHOD: 1000}
    ) as client:
        with anyio.fail_after(30):
            for n in range(SENDS):
                await client.send_text_status(f"status {n}")


async def test_sends_one_at_a_time_through_a_client_take_one_call_each(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    # The platform's case: one send of an instance in flight at a time. Each
    # release rides with the next send's ask; the last is told by aclose.
    fake = FakeGreenAPI(ID)
    before = script_calls(admin)
    await send_one_at_a_time(fake, limiter)
    await limiter.aclose()
    assert len(fake.statuses) == SENDS
    # Not 2 per send (80). On a slow machine a pause past the 0.1 s timer
    # between a release and the next ask sends that release by itself.
    assert script_calls(admin) - before <= SENDS + 4
    assert all_released(admin, limiter)
    assert not limiter._lanes  # nothing left to tell, and no timer armed


async def test_the_last_release_of_sends_one_at_a_time_reaches_redis_by_itself(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    fake = FakeGreenAPI(ID)
    before = script_calls(admin)
    await send_one_at_a_time(fake, limiter)
    # No aclose: the last release is told by a call of its own, within 0.1 s.
    await until(lambda: all_released(admin, limiter))
    assert script_calls(admin) - before <= SENDS + 4  # as above
    await until(lambda: not limiter._lanes)  # its timer ran, and the lane went


async def test_a_client_s_release_is_noted_and_counts_from_the_release(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    place = await limiter.acquire(request(5))
    before = script_calls(admin)
    released_at = redis_now(admin)
    await place.release_soon()  # the last place here, yet not waited for
    await place.release_soon()  # once only
    await place.release()
    assert score(admin, limiter, place.waiter) > redis_now(admin) + 50  # not told yet
    await until(lambda: score(admin, limiter, place.waiter) < redis_now(admin) + 50)
    assert script_calls(admin) == before + 1  # told once, by a call of its own
    # A window from the release itself: never earlier, not from the 60 s hold.
    assert score(admin, limiter, place.waiter) >= released_at + 1.01 - 0.01


async def test_a_cancelled_attempt_still_gives_its_place_back(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    taken: list[float | None] = []
    with anyio.fail_after(10), anyio.CancelScope() as attempt:
        async with AttemptPlace(limiter, request(5)) as hold:  # as the pipeline takes one
            taken.append(hold)
            attempt.cancel()
            await anyio.sleep(30)  # the request, cut off
    assert attempt.cancelled_caught
    assert taken == [60.0]
    assert admin.zcard(limiter.keys(ID, METHOD)[0]) == 1
    await limiter.aclose()  # tells what is left
    assert all_released(admin, limiter)
    assert not limiter._lanes


async def test_a_place_released_after_aclose_is_told_at_once(
    limiter: RedisRateLimiter, admin: redis.Redis
) -> None:
    first = await limiter.acquire(request(5))
    second = await limiter.acquire(request(5))
    await limiter.aclose()  # closed the wrong way round: places still held
    await first.release_soon()  # not the last, and told all the same
    assert score(admin, limiter, first.waiter) < redis_now(admin) + 1.1
    await second.release_soon()
    assert all_released(admin, limiter)
    assert not limiter._lanes  # no timer outlives aclose


async def test_an_error_of_redis_py_s_own_is_unavailable_and_the_limiter_goes_on(
    limiter: RedisRateLimiter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Not Redis's or the network's: a fault inside redis-py. The send gets the
    # typed error (nothing sent), the calls' task keeps no exception for
    # asyncio to log with redis-py's frames, and the next acquire works.
    working = limiter._acquire

    async def broken(**_: object) -> object:
        raise ValueError("redis-py could not read its own answer")

    monkeypatch.setattr(limiter, "_acquire", broken)
    with pytest.raises(RateLimiterUnavailableError) as excinfo:
        await limiter.acquire(request(5))
    assert "(ValueError: redis-py could not read its own answer)" in str(excinfo.value)
    assert excinfo.value.__context__ is None
    monkeypatch.setattr(limiter, "_acquire", working)
    await (await limiter.acquire(request(5))).release()
    gc.collect()
    await anyio.lowlevel.checkpoint()
    assert [r for r in caplog.records if r.name == "asyncio"] == []
