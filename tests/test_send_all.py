"""send_all: concurrent, bounded, in order, nothing lost, cancellable."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from greenstatus import (
    AsyncStatusClient,
    BadRequestError,
    InProcessRateLimiter,
    MediaStatus,
    SendResult,
    ServerError,
    Status,
    TextStatus,
    VoiceStatus,
)

from .conftest import Recorder

pytestmark = pytest.mark.anyio

VOICE = VoiceStatus(url_file="https://h/a.mp3", file_name="a.mp3")
MEDIA = MediaStatus(url_file="https://h/a.jpg", file_name="a.jpg")


class PeakCounter:
    """Answers each send after a moment, counting the most in flight at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await anyio.sleep(0.005)
        self.in_flight -= 1
        return httpx.Response(200, json={"idMessage": "X"})


def texts(count: int) -> list[TextStatus]:
    return [TextStatus(message=f"m{index}") for index in range(count)]


async def test_results_come_back_in_input_order_whatever_finishes_first(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    async def later_ones_first(request: httpx.Request) -> httpx.Response:
        index = int(json.loads(request.content)["message"][1:])
        await anyio.sleep(0.002 * (8 - index))
        return httpx.Response(200, json={"idMessage": f"ID{index}"})

    recorder.responder = later_ones_first
    statuses = texts(8)
    results = await client.send_all(statuses, max_concurrency=8)
    assert [result.request for result in results] == statuses
    assert [result.id_message for result in results] == [f"ID{index}" for index in range(8)]
    assert all(result.ok and result.error is None for result in results)


async def test_one_failure_neither_cancels_nor_loses_the_others(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    def by_message(request: httpx.Request) -> httpx.Response:
        message = json.loads(request.content).get("message")
        if message == "m1":
            return httpx.Response(400, json={"message": "bad"})
        if message == "m3":
            return httpx.Response(500)
        return httpx.Response(200, json={"idMessage": f"ID-{message}"})

    recorder.responder = by_message
    results = await client.send_all(texts(5))
    assert len(recorder.requests) == 5
    assert [result.ok for result in results] == [True, False, True, False, True]
    assert isinstance(results[1].error, BadRequestError)
    assert isinstance(results[3].error, ServerError)
    assert results[1].id_message is None
    assert results[4] == SendResult(TextStatus(message="m4"), id_message="ID-m4")


async def test_both_status_types_are_in_flight_at_once(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    both_arrived = anyio.Event()
    arrived: list[str] = []

    async def meet(request: httpx.Request) -> httpx.Response:
        arrived.append(request.url.path.split("/")[2])
        if len(arrived) == 2:
            both_arrived.set()
        with anyio.fail_after(5):  # only if the two never overlap
            await both_arrived.wait()
        return httpx.Response(200, json={"idMessage": "X"})

    recorder.responder = meet
    statuses: list[Status] = [VOICE, MEDIA]
    results = await client.send_all(statuses)
    assert sorted(arrived) == ["sendMediaStatus", "sendVoiceStatus"]
    assert [result.ok for result in results] == [True, True]


@pytest.mark.parametrize("limit", [1, 3])
async def test_no_more_than_max_concurrency_are_in_flight(
    client: AsyncStatusClient, recorder: Recorder, limit: int
) -> None:
    counter = PeakCounter()
    recorder.responder = counter
    results = await client.send_all(texts(10), max_concurrency=limit)
    assert len(results) == 10
    assert counter.peak == limit
    assert len(recorder.requests) == 10


async def test_the_client_default_bounds_concurrency(recorder: Recorder) -> None:
    counter = PeakCounter()
    recorder.responder = counter
    async with AsyncStatusClient(
        "1101000001", "token", transport=httpx.MockTransport(recorder), max_concurrency=2
    ) as client:
        await client.send_all(texts(6))
    assert counter.peak == 2


async def test_cancelling_the_caller_cancels_every_send(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    started = 0
    cancelled = 0
    three_started = anyio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        nonlocal started, cancelled
        started += 1
        if started == 3:
            three_started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled += 1
            raise
        raise AssertionError("unreachable")

    recorder.responder = hang
    finished = False
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:

            async def caller() -> None:
                nonlocal finished
                await client.send_all(texts(10), max_concurrency=3)
                finished = True

            group.start_soon(caller)
            await three_started.wait()
            group.cancel_scope.cancel()
    assert not finished
    assert (started, cancelled) == (3, 3)


async def test_a_bad_item_is_refused_before_anything_is_sent(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    mixed: list[Any] = [TextStatus(message="a"), "b"]
    with pytest.raises(TypeError, match=r"statuses\[1\]"):
        await client.send_all(mixed)
    assert recorder.requests == []


async def test_nothing_to_send_is_an_empty_list(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    assert await client.send_all([]) == []
    assert recorder.requests == []


@pytest.mark.parametrize("bad", [0, -2, True])
async def test_max_concurrency_must_be_positive(client: AsyncStatusClient, bad: int) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        await client.send_all(texts(1), max_concurrency=bad)


async def test_on_result_is_called_once_per_status_with_its_index(
    client: AsyncStatusClient,
) -> None:
    seen: list[tuple[int, bool]] = []
    await client.send_all(texts(4), on_result=lambda index, result: seen.append((index, result.ok)))
    assert sorted(seen) == [(0, True), (1, True), (2, True), (3, True)]


async def test_an_async_on_result_is_awaited(client: AsyncStatusClient) -> None:
    seen: list[int] = []

    async def record(index: int, result: SendResult) -> None:
        await anyio.lowlevel.checkpoint()  # a real await: a dropped coroutine would never get here
        seen.append(index)

    await client.send_all(texts(3), on_result=record)
    assert sorted(seen) == [0, 1, 2]


async def test_on_result_must_be_callable(client: AsyncStatusClient, recorder: Recorder) -> None:
    with pytest.raises(TypeError, match="on_result"):
        await client.send_all(texts(1), on_result="print")  # type: ignore[arg-type]
    assert recorder.requests == []


@pytest.mark.parametrize("seed", range(12))
async def test_a_cancellation_at_any_point_leaves_nothing_behind(seed: int) -> None:
    import random

    chance = random.Random(seed)

    async def slowly(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(chance.uniform(0, 0.01))
        message = json.loads(request.content)["message"]
        return httpx.Response(200, json={"idMessage": f"ID-{message}"})

    limiter = InProcessRateLimiter()
    async with AsyncStatusClient(
        "1101000001",
        "token",
        transport=httpx.MockTransport(slowly),
        rate_limits={"sendTextStatus": 1000},
        max_concurrency=4,
        rate_limiter=limiter,
    ) as client:
        with anyio.move_on_after(chance.uniform(0, 0.05)):
            await client.send_all(texts(40))
        # No place in the rate limiter is left held by a cancelled send...
        method = limiter._methods[("1101000001", "sendTextStatus")]
        places = [*method._held, *(slot for _, slot in method._ended)]
        assert all(slot.ended is not None for slot in places)
        # ...and the client works on, every result on its own input.
        results = await client.send_all(texts(10))
    assert [result.id_message for result in results] == [f"ID-m{n}" for n in range(10)]
