"""The per-instance rate limiter: GREEN-API's rates, fair, cancellation-safe."""

from __future__ import annotations

import anyio
import httpx
import pytest

from greenstatus import (
    DOCUMENTED_RATE_LIMITS,
    AsyncStatusClient,
    MediaStatus,
    NoRetry,
    Status,
    TextStatus,
    VoiceStatus,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client, served_client

pytestmark = pytest.mark.anyio


def voices(count: int) -> list[VoiceStatus]:
    return [VoiceStatus(url_file=f"https://h/{i}.mp3", file_name=f"{i}.mp3") for i in range(count)]


# Differs from conftest's fake: it enforces GREEN-API's own limits, on the
# clock's virtual time, so the client's limiter meets the server's.
@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    return FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS, clock=clock.now)


def make_client(fake: FakeGreenAPI, clock: FakeClock, **kwargs: object) -> AsyncStatusClient:
    return fake_client(fake, clock=clock, retry=NoRetry(), **kwargs)


async def test_twenty_voice_statuses_draw_no_429(fake: FakeGreenAPI, clock: FakeClock) -> None:
    client = make_client(fake, clock)
    results = await client.send_all(voices(20), max_concurrency=20)
    assert all(result.ok for result in results), [r.error for r in results if not r.ok]
    assert len(fake.requests) == 20
    # Four windows of five: the last five start a little after 3 s.
    assert 3.0 < clock.time - 1000.0 < 4.0
    assert len(clock.sleeps) == 3


async def test_at_most_n_start_within_any_one_second(fake: FakeGreenAPI, clock: FakeClock) -> None:
    client = make_client(fake, clock, rate_limits={"sendVoiceStatus": 3})
    await client.send_all(voices(10), max_concurrency=10)
    started = [request.received_at for request in fake.requests]
    assert len(started) == 10
    for first, fourth in zip(started, started[3:], strict=False):
        assert fourth - first >= 1.0


async def test_voice_and_media_have_separate_buckets(fake: FakeGreenAPI, clock: FakeClock) -> None:
    client = make_client(fake, clock)
    media = [MediaStatus(url_file=f"https://h/{i}.jpg", file_name=f"{i}.jpg") for i in range(5)]
    statuses: list[Status] = [*voices(5), *media]
    results = await client.send_all(statuses, max_concurrency=10)
    assert all(result.ok for result in results)
    assert clock.sleeps == []  # five of each fit in one window


async def test_the_getters_go_one_per_second(fake: FakeGreenAPI, clock: FakeClock) -> None:
    client = make_client(fake, clock)
    for _ in range(3):
        await client.get_outgoing_statuses()
    await client.get_incoming_statuses()  # a bucket of its own
    assert len(clock.sleeps) == 2
    assert sum(clock.sleeps) >= 2.0


async def test_single_calls_and_send_all_share_the_limit(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    client = make_client(fake, clock, rate_limits={"sendTextStatus": 2})
    await client.send_text_status("one")
    results = await client.send_all([TextStatus(message="two"), TextStatus(message="three")])
    assert all(result.ok for result in results)
    assert len(clock.sleeps) == 1


async def test_rate_limits_none_switches_the_limiter_off(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    fake.rate_limits = None
    client = make_client(fake, clock, rate_limits=None)
    await client.send_all(voices(12), max_concurrency=12)
    assert clock.sleeps == []
    assert len(fake.statuses) == 12


async def test_a_method_can_be_unlimited_alone(fake: FakeGreenAPI, clock: FakeClock) -> None:
    fake.rate_limits = None
    client = make_client(fake, clock, rate_limits={"sendVoiceStatus": None})
    await client.send_all(voices(8))
    assert clock.sleeps == []
    for _ in range(2):
        await client.get_outgoing_statuses()
    assert len(clock.sleeps) == 1  # the others keep GREEN-API's limits


@pytest.mark.parametrize(
    "limits", [{"sendStory": 1}, {"sendTextStatus": 0}, {"sendTextStatus": 2.5}]
)
def test_bad_rate_limits_are_refused(limits: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="rate_limits"):
        AsyncStatusClient("1", "token", rate_limits=limits)  # type: ignore[arg-type]


async def test_waiters_go_in_the_order_they_came(fake: FakeGreenAPI) -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    fake.rate_limits = None
    order: list[str] = []
    async with make_client(fake, clock, rate_limits={"sendTextStatus": 1}) as client:

        async def send(message: str) -> None:
            await client.send_text_status(message)
            order.append(message)

        async with anyio.create_task_group() as group:
            for message in ("a", "b", "c", "d"):
                group.start_soon(send, message)
                await anyio.wait_all_tasks_blocked()
            assert order == ["a"]
            for expected in (["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"]):
                clock.advance(1.05)
                await anyio.wait_all_tasks_blocked()
                assert order == expected


async def test_a_cancelled_waiter_frees_its_place(fake: FakeGreenAPI) -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    fake.rate_limits = None
    arrived: list[object] = []
    async with make_client(fake, clock, rate_limits={"sendTextStatus": 1}) as client:
        await client.send_text_status("first")
        async with anyio.create_task_group() as group:
            waiting = anyio.CancelScope()

            async def cancelled_sender() -> None:
                with waiting:
                    await client.send_text_status("cancelled")

            async def later_sender() -> None:
                await client.send_text_status("later")
                arrived.append(clock.now())

            group.start_soon(cancelled_sender)
            await anyio.wait_all_tasks_blocked()
            group.start_soon(later_sender)
            await anyio.wait_all_tasks_blocked()
            waiting.cancel()
            await anyio.wait_all_tasks_blocked()
            clock.advance(1.05)
    assert [s.payload["message"] for s in fake.statuses] == ["first", "later"]
    # "later" took the slot the cancelled waiter never used: one window, not two.
    assert arrived == [1001.05]


async def test_a_real_server_enforcing_5_per_second_sees_no_429() -> None:
    fake = FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS)
    async with served_client(fake, retry=NoRetry()) as client:
        results = await client.send_all(voices(12), max_concurrency=12)
    assert [result.error for result in results if not result.ok] == []
    assert len(fake.requests) == 12


async def test_a_window_counts_from_when_a_request_ended() -> None:
    # The first requests of a burst may reach GREEN-API late (connection set-up);
    # the next ones must not start a window after the *start* of the first.
    clock = FakeClock(start=0.0, autojump=False)
    arrived: list[float] = []
    first_two_answered = anyio.Event()

    async def server(request: httpx.Request) -> httpx.Response:
        if len(arrived) < 2:
            arrived.append(-1.0)  # placeholder: these arrive when released
            await first_two_answered.wait()
            arrived[arrived.index(-1.0)] = clock.now()
        else:
            arrived.append(clock.now())
        return httpx.Response(200, json={"idMessage": "X"})

    async with (
        AsyncStatusClient(
            "1",
            "token",
            transport=httpx.MockTransport(server),
            clock=clock,
            retry=NoRetry(),
            rate_limits={"sendTextStatus": 2},
        ) as client,
        anyio.create_task_group() as group,
    ):
        for message in ("a", "b", "c", "d"):
            group.start_soon(client.send_text_status, message)
        await anyio.wait_all_tasks_blocked()
        clock.advance(1.5)  # a start-based window would let c and d go now
        await anyio.wait_all_tasks_blocked()
        assert len(arrived) == 2
        first_two_answered.set()  # a and b arrive (and are answered) at 1.5
        await anyio.wait_all_tasks_blocked()
        clock.advance(0.9)
        await anyio.wait_all_tasks_blocked()
        assert len(arrived) == 2
        clock.advance(0.2)
    assert arrived[:2] == [1.5, 1.5]
    assert arrived[2:] == [2.6, 2.6]  # a full window after a and b ended
