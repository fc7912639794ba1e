"""The rate limiter seam: what a RateLimiter is asked, when places go back, and
the in-process limiter shared by several clients of one instance."""

from __future__ import annotations

import logging
import time

import attrs
import httpx
import pytest

from greenstatus import (
    APITimeoutError,
    AsyncStatusClient,
    GreenStatusError,
    InProcessRateLimiter,
    NoRetry,
    RateLimiter,
    RateRequest,
    ServerError,
    TextStatus,
)
from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeClock, FakeGreenAPI

from . import loopback
from .conftest import fake_client
from .loopback import Handler

pytestmark = pytest.mark.anyio


@attrs.define
class Place:
    log: list[str]
    name: str

    async def release(self) -> None:
        self.log.append(f"release {self.name}")


@attrs.define
class Recording:
    """A RateLimiter that grants every place and writes down what happens."""

    log: list[str] = attrs.field(factory=list)
    requests: list[RateRequest] = attrs.field(factory=list)

    async def acquire(self, request: RateRequest) -> Place:
        self.requests.append(request)
        name = f"{request.api_method}#{len(self.requests)}"
        self.log.append(f"acquire {name}")
        return Place(self.log, name)


def test_the_default_and_the_recording_limiters_meet_the_protocol() -> None:
    assert isinstance(InProcessRateLimiter(), RateLimiter)
    assert isinstance(Recording(), RateLimiter)


async def test_each_attempt_asks_for_a_place_of_its_instance_and_method() -> None:
    fake = FakeGreenAPI()
    limiter = Recording()
    fake.fail_next(503)
    async with fake_client(
        fake, rate_limiter=limiter, timeout=httpx.Timeout(3, connect=1), clock=FakeClock()
    ) as client:
        await client.send_text_status("hi")
        await client.get_outgoing_statuses()
    assert limiter.requests == [
        RateRequest(fake.id_instance, "sendTextStatus", 5, hold=10.0),
        RateRequest(fake.id_instance, "sendTextStatus", 5, hold=10.0),
        RateRequest(fake.id_instance, "getOutgoingStatuses", 1, hold=10.0),
    ]
    # Each place goes back when its attempt ends, the failed one included.
    assert limiter.log == [
        "acquire sendTextStatus#1",
        "release sendTextStatus#1",
        "acquire sendTextStatus#2",
        "release sendTextStatus#2",
        "acquire getOutgoingStatuses#3",
        "release getOutgoingStatuses#3",
    ]


async def test_the_hold_is_bounded_by_the_deadline_and_unlimited_methods_ask_nothing() -> None:
    fake = FakeGreenAPI()
    limiter = Recording()
    async with fake_client(
        fake, rate_limiter=limiter, deadline=2.5, rate_limits={"sendTextStatus": 3}
    ) as client:
        await client.send_text_status("hi")
        await client.upload_file(b"x", file_name="a.mp3")  # uploadFile has no limit
    assert limiter.requests == [RateRequest(fake.id_instance, "sendTextStatus", 3, hold=2.5)]


async def test_a_limiter_that_fails_fails_the_call_and_nothing_is_sent() -> None:
    class Unavailable(GreenStatusError):
        pass

    class Down:
        async def acquire(self, request: RateRequest) -> Place:
            raise Unavailable("the limiter is down")

    fake = FakeGreenAPI()
    async with fake_client(fake, rate_limiter=Down()) as client:
        with pytest.raises(Unavailable):
            await client.send_text_status("hi")
        (result,) = await client.send_all([TextStatus(message="hi")])
    assert isinstance(result.error, Unavailable)
    assert fake.requests == []


async def test_a_place_that_cannot_go_back_is_logged_and_the_answer_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Sticky:
        async def release(self) -> None:
            raise ConnectionError("redis went away")

    class Limiter:
        async def acquire(self, request: RateRequest) -> Sticky:
            return Sticky()

    fake = FakeGreenAPI()
    fake.fail_next(500)
    async with fake_client(fake, rate_limiter=Limiter(), retry=NoRetry()) as client:
        with caplog.at_level(logging.WARNING, logger="greenstatus"):
            with pytest.raises(ServerError):  # the attempt's own outcome, not the release's
                await client.send_text_status("a")
            sent = await client.send_text_status("b")
    assert sent.id_message
    assert [r.getMessage() for r in caplog.records].count(
        "sendTextStatus: the rate limiter could not release a place (ConnectionError); "
        "it expires by itself"
    ) == 2


async def test_one_in_process_limiter_shared_by_two_clients_of_one_instance() -> None:
    clock = FakeClock(start=1000.0)
    fake = FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS, clock=clock.now)
    shared = InProcessRateLimiter(clock)
    clients = [
        fake_client(fake, rate_limiter=shared, clock=clock, retry=NoRetry()) for _ in range(2)
    ]
    for round_ in range(4):
        for client in clients:
            await client.send_text_status(f"{round_}")
    # Eight sends at 5/s: the second window opened a second later, no 429.
    assert len(fake.statuses) == 8
    assert clock.time - 1000.0 >= 1.0
    for client in clients:
        await client.aclose()


def test_a_rate_limiter_without_acquire_is_refused() -> None:
    with pytest.raises(TypeError, match="rate_limiter must have an async acquire"):
        AsyncStatusClient("1101000001", "token", rate_limiter=object())  # type: ignore[arg-type]


def trickle(handler: Handler) -> None:
    """Answer one header line every 0.02 s for 5 s: each read is quick (a
    twenty-fifth of the read timeout, so a slow machine still cuts on the whole
    exchange's bound), the whole is slow."""
    handler.close_connection = True
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(250):
            handler.wfile.write(b"X-Slow: 1\r\n")
            handler.wfile.flush()
            time.sleep(0.02)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up, as it should


async def test_an_attempt_holding_a_place_ends_within_the_bound_it_was_asked_for() -> None:
    limiter = Recording()
    with loopback.serve(trickle) as server:
        async with AsyncStatusClient(
            "1101000001",
            "token",
            api_url=server.url,
            timeout=0.5,
            rate_limiter=limiter,
            retry=NoRetry(),
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as excinfo:
                await client.send_text_status("hi")
            took = time.monotonic() - started
    (asked,) = limiter.requests
    assert asked.hold == pytest.approx(2.0)  # four timeouts of 0.5 s
    assert took < asked.hold + 2.0  # the server would trickle for 5 s
    assert excinfo.value.request_sent is True
    assert "did not complete within 2 s" in str(excinfo.value)
    assert limiter.log == ["acquire sendTextStatus#1", "release sendTextStatus#1"]
