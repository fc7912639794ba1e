"""Retries: what is retried, how many times, how long each wait, and what never is."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import anyio
import anyio.lowlevel
import attrs
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncStatusClient,
    BadRequestError,
    ExponentialBackoff,
    GreenStatusError,
    NoRetry,
    RateLimitError,
    ResponseValidationError,
    RetrySafety,
    ServerError,
    TextStatus,
    retry_safety,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client, served_client

pytestmark = pytest.mark.anyio

# Jitter pinned to its upper bound, so every wait is exact: 0.5, 1.0, 2.0, ...
LONGEST = ExponentialBackoff(uniform=lambda low, high: high)


@pytest.fixture
async def client(fake: FakeGreenAPI, clock: FakeClock) -> AsyncIterator[AsyncStatusClient]:
    async with fake_client(fake, retry=LONGEST, clock=clock, rate_limits=None) as status_client:
        yield status_client


class Failing(httpx.AsyncBaseTransport):
    """Raises ``failure`` for the first ``times`` requests, then answers an id."""

    def __init__(self, failure: httpx.RequestError, times: int) -> None:
        self.failure = failure
        self.times = times
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.times:
            raise self.failure
        return httpx.Response(200, json={"idMessage": "ID"})


async def send_through(
    transport: httpx.AsyncBaseTransport, clock: FakeClock, **kwargs: object
) -> str:
    async with AsyncStatusClient(
        "1",
        "token",
        transport=transport,
        clock=clock,
        rate_limits=None,
        **{"retry": LONGEST, **kwargs},  # type: ignore[arg-type]
    ) as client:
        return (await client.send_text_status("hi")).id_message


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.PoolTimeout("no connection free"),
    ],
)
async def test_failures_before_sending_are_retried(
    clock: FakeClock, failure: httpx.RequestError
) -> None:
    transport = Failing(failure, times=2)
    assert await send_through(transport, clock) == "ID"
    assert transport.seen == 3
    assert clock.sleeps == [0.5, 1.0]


async def test_retrying_stops_after_max_attempts_and_raises_the_last_error(
    clock: FakeClock,
) -> None:
    transport = Failing(httpx.ConnectError("refused"), times=10)
    with pytest.raises(APIConnectionError) as excinfo:
        await send_through(transport, clock)
    assert excinfo.value.request_sent is False
    assert transport.seen == 4  # max_attempts counts the first one
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_waits_are_capped_by_max_delay(clock: FakeClock) -> None:
    transport = Failing(httpx.ConnectError("refused"), times=10)
    policy = attrs.evolve(LONGEST, max_attempts=6, initial=3.0, max_delay=5.0)
    with pytest.raises(APIConnectionError):
        await send_through(transport, clock, retry=policy)
    assert clock.sleeps == [3.0, 5.0, 5.0, 5.0, 5.0]


def test_jitter_is_full_between_zero_and_the_cap() -> None:
    asked: list[tuple[float, float]] = []

    def record(low: float, high: float) -> float:
        asked.append((low, high))
        return high / 2

    policy = ExponentialBackoff(max_attempts=5, max_delay=3.0, uniform=record)
    error = APIConnectionError("x", request_sent=False, api_method="sendTextStatus", url="u")
    delays = [policy.next_delay(attempt, error) for attempt in (1, 2, 3, 4, 5)]
    assert asked == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0)]
    assert delays == [0.25, 0.5, 1.0, 1.5, None]


def test_the_default_jitter_stays_within_its_bounds() -> None:
    policy = ExponentialBackoff()
    error = APIConnectionError("x", request_sent=False, api_method="sendTextStatus", url="u")
    for _ in range(200):
        delay = policy.next_delay(3, error)
        assert delay is not None
        assert 0.0 <= delay <= 2.0


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.ReadTimeout("no answer"), APITimeoutError),
        (httpx.RemoteProtocolError("Server disconnected"), APIConnectionError),
        (httpx.ReadError("reset"), APIConnectionError),
        (httpx.WriteTimeout("stuck"), APITimeoutError),
    ],
)
async def test_ambiguous_failures_of_a_send_are_raised_once(
    clock: FakeClock, failure: httpx.RequestError, kind: type[APIConnectionError]
) -> None:
    transport = Failing(failure, times=1)
    with pytest.raises(kind) as excinfo:
        await send_through(transport, clock)
    assert excinfo.value.request_sent is True
    assert transport.seen == 1
    assert clock.sleeps == []


async def test_ambiguous_failures_are_retried_when_asked(clock: FakeClock) -> None:
    transport = Failing(httpx.ReadTimeout("no answer"), times=1)
    policy = attrs.evolve(LONGEST, retry_ambiguous=True)
    assert await send_through(transport, clock, retry=policy) == "ID"
    assert transport.seen == 2


async def test_a_real_dropped_connection_is_not_sent_twice(fake: FakeGreenAPI) -> None:
    fake.drop_next()
    async with served_client(fake, retry=LONGEST) as client:
        with pytest.raises(APIConnectionError) as excinfo:
            await client.send_text_status("maybe delivered")
    assert excinfo.value.request_sent is True
    assert len(fake.requests) == 1


async def test_a_real_dropped_connection_is_retried_when_asked(fake: FakeGreenAPI) -> None:
    fake.drop_next()
    clock = FakeClock()
    policy = attrs.evolve(LONGEST, retry_ambiguous=True)
    async with served_client(fake, retry=policy, clock=clock) as client:
        await client.send_text_status("again")
    assert len(fake.requests) == 2
    assert len(fake.statuses) == 1
    assert clock.sleeps == [0.5]


async def test_a_getters_ambiguous_failure_is_retried(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.drop_next()
    assert await client.get_outgoing_statuses() == []
    assert [r.api_method for r in fake.requests] == ["getOutgoingStatuses"] * 2
    assert clock.sleeps == [0.5]


async def test_a_503_is_retried(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(503, times=3)
    sent = await client.send_text_status("hi")
    assert len(fake.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert [s.id_message for s in fake.statuses] == [sent.id_message]


@pytest.mark.parametrize("status_code", [502, 504])
async def test_a_send_answered_502_or_504_is_not_repeated(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock, status_code: int
) -> None:
    # A gateway may answer so after the upstream queued the status.
    fake.fail_next(status_code)
    with pytest.raises(ServerError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.status_code == status_code
    assert retry_safety(excinfo.value) is RetrySafety.AMBIGUOUS
    assert len(fake.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status_code", [502, 504])
async def test_a_send_answered_502_or_504_is_repeated_when_ambiguity_is_accepted(
    fake: FakeGreenAPI, client: AsyncStatusClient, status_code: int
) -> None:
    fake.fail_next(status_code)
    await client.send_text_status("hi", retry=attrs.evolve(LONGEST, retry_ambiguous=True))
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status_code", [502, 503, 504])
async def test_a_getter_answered_by_a_gateway_error_is_retried(
    fake: FakeGreenAPI, client: AsyncStatusClient, status_code: int
) -> None:
    fake.fail_next(status_code)
    assert await client.get_outgoing_statuses() == []
    assert len(fake.requests) == 2


NOT_READY = {
    "starting": "instance in starting process try later",
    "not authorized": "instance account not authorized",
}


@pytest.mark.parametrize("message", list(NOT_READY.values()), ids=list(NOT_READY))
async def test_an_instance_not_ready_is_not_retried_by_default(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock, message: str
) -> None:
    # Such a state lasts minutes: a retry within seconds would only add requests.
    fake.fail_next(400, body={"message": message}, times=5)
    with pytest.raises(BadRequestError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.instance_not_ready
    assert len(fake.requests) == 1
    assert clock.sleeps == []
    # The same with the retry policy a client has when given none.
    async with fake_client(fake, clock=clock) as default:
        with pytest.raises(BadRequestError):
            await default.send_text_status("hi")
    assert len(fake.requests) == 2
    assert clock.sleeps == []
    assert retry_safety(excinfo.value) is RetrySafety.SAFE  # never delivered, all the same


async def test_an_instance_not_ready_is_retried_after_not_ready_delay_when_asked(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(400, body={"message": NOT_READY["starting"]}, times=2)
    policy = attrs.evolve(LONGEST, not_ready_delay=60.0)
    await client.send_text_status("hi", retry=policy)
    assert len(fake.requests) == 3
    assert clock.sleeps == [60.0, 60.0]  # GREEN-API's own pace for polling the state


async def test_not_ready_delay_still_counts_attempts(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(400, body={"message": NOT_READY["starting"]}, times=5)
    policy = ExponentialBackoff(max_attempts=2, not_ready_delay=60.0)
    with pytest.raises(BadRequestError):
        await client.send_text_status("hi", retry=policy)
    assert len(fake.requests) == 2
    assert clock.sleeps == [60.0]


@pytest.mark.parametrize(
    ("status_code", "kind"),
    [
        (400, BadRequestError),
        (401, APIStatusError),
        (403, APIStatusError),
        (404, APIStatusError),
        (466, APIStatusError),
        (500, ServerError),
    ],
)
async def test_final_errors_are_raised_after_one_request(
    fake: FakeGreenAPI,
    client: AsyncStatusClient,
    clock: FakeClock,
    status_code: int,
    kind: type[APIStatusError],
) -> None:
    fake.fail_next(status_code, times=5)
    with pytest.raises(kind) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.status_code == status_code
    assert len(fake.requests) == 1
    assert clock.sleeps == []


async def test_499_is_ambiguous(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(499)
    with pytest.raises(APIStatusError):
        await client.send_text_status("hi")
    assert len(fake.requests) == 1
    fake.fail_next(499)
    await client.send_text_status("hi", retry=attrs.evolve(LONGEST, retry_ambiguous=True))
    assert len(fake.requests) == 3


async def test_a_malformed_success_answer_is_not_retried(clock: FakeClock) -> None:
    calls = 0

    def odd(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={"unexpected": True})

    with pytest.raises(ResponseValidationError):
        await send_through(httpx.MockTransport(odd), clock)
    assert calls == 1


async def test_429_waits_at_least_retry_after(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(429, retry_after=7)
    await client.send_text_status("hi")
    assert len(fake.requests) == 2
    assert clock.sleeps == [7.0]


async def test_429_without_retry_after_backs_off(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(429, times=2)
    await client.send_text_status("hi")
    assert clock.sleeps == [0.5, 1.0]


async def test_a_short_retry_after_does_not_shorten_the_backoff(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(429, times=2, retry_after="0.2")
    await client.send_text_status("hi")
    assert clock.sleeps == [0.5, 1.0]


async def test_retry_after_as_an_http_date_is_honoured(clock: FakeClock) -> None:
    moment = datetime.now(timezone.utc) + timedelta(seconds=30)
    calls = 0

    def limited_once(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(429, headers={"Retry-After": format_datetime(moment, True)})
        return httpx.Response(200, json={"idMessage": "ID"})

    await send_through(httpx.MockTransport(limited_once), clock)
    [wait] = clock.sleeps
    assert 20.0 < wait <= 30.0


async def test_retry_after_ms_is_honoured(clock: FakeClock) -> None:
    replies = iter(
        [
            httpx.Response(429, headers={"retry-after-ms": "2500"}),
            httpx.Response(200, json={"idMessage": "ID"}),
        ]
    )
    await send_through(httpx.MockTransport(lambda request: next(replies)), clock)
    assert clock.sleeps == [2.5]


async def test_retry_after_over_the_cap_is_raised_at_once(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(429, retry_after=600)
    with pytest.raises(RateLimitError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.retry_after == 600.0
    assert len(fake.requests) == 1
    assert clock.sleeps == []


async def test_no_retry_raises_the_first_failure(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    fake.fail_next(502)
    with pytest.raises(ServerError):
        await client.send_text_status("hi", retry=NoRetry())
    assert len(fake.requests) == 1


async def test_the_per_call_policy_overrides_the_clients(
    fake: FakeGreenAPI, clock: FakeClock
) -> None:
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        client = AsyncStatusClient(
            fake.id_instance, fake.token, http_client=http, retry=NoRetry(), clock=clock
        )
        fake.fail_next(503)
        await client.send_text_status("hi", retry=LONGEST)
        fake.fail_next(503)
        with pytest.raises(ServerError):
            await client.send_text_status("hi")
        fake.fail_next(503)
        [result] = await client.send_all([TextStatus(message="m")], retry=LONGEST)
    assert result.ok
    assert len(fake.requests) == 5


async def test_max_attempts_of_one_never_retries(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.fail_next(502)
    with pytest.raises(ServerError):
        await client.send_text_status("hi", retry=attrs.evolve(LONGEST, max_attempts=1))
    assert len(fake.requests) == 1


async def test_on_retry_reports_each_retry_and_the_log_only_at_debug(
    fake: FakeGreenAPI, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[int, str, float]] = []
    caplog.set_level(logging.DEBUG, logger="greenstatus")
    fake.fail_next(503, times=2)
    async with fake_client(
        fake,
        retry=LONGEST,
        clock=clock,
        on_retry=lambda attempt, error, delay: seen.append((attempt, type(error).__name__, delay)),
    ) as client:
        await client.send_voice_status("https://h/a.mp3", "a.mp3")
    assert seen == [(1, "ServerError", 0.5), (2, "ServerError", 1.0)]
    # on_retry is the application's report of each retry: the log says it
    # once more at DEBUG only, so a retry never shows twice.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in retries] == [
        (logging.DEBUG, "sendVoiceStatus attempt 1 failed (ServerError 503); retrying in 0.50 s"),
        (logging.DEBUG, "sendVoiceStatus attempt 2 failed (ServerError 503); retrying in 1.00 s"),
    ]
    for record in caplog.records:
        assert fake.token not in record.getMessage()
        assert "http" not in record.getMessage()


@pytest.mark.parametrize("how", ["send", "send_all"])
async def test_an_on_retry_hook_that_raises_is_logged_and_the_retry_goes_on(
    fake: FakeGreenAPI, clock: FakeClock, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    def on_retry(attempt: int, error: Exception, delay: float) -> None:
        raise RuntimeError("the dashboard is down")

    fake.fail_next(503)
    async with fake_client(fake, retry=LONGEST, clock=clock, on_retry=on_retry) as client:
        id_message: str | None
        if how == "send":
            id_message = (await client.send_text_status("hi")).id_message
        else:
            [result] = await client.send_all([TextStatus(message="hi")])
            assert result.error is None
            id_message = result.id_message
    assert id_message
    assert len(fake.requests) == 2  # the failed attempt, then the retry
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.getMessage() == "on_retry(1, ServerError, ...) raised; the retry goes on"
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], RuntimeError)


async def test_cancelling_during_a_retry_wait_stops_at_once(fake: FakeGreenAPI) -> None:
    fake.fail_next(429, retry_after=60)  # a real 60 s wait, cancelled at once
    waiting = anyio.Event()
    finished = False
    async with served_client(fake, on_retry=lambda *_: waiting.set()) as client:

        async def send() -> None:
            nonlocal finished
            await client.send_text_status("hi")
            finished = True

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(send)
                await waiting.wait()
                await anyio.wait_all_tasks_blocked()  # the wait has begun
                group.cancel_scope.cancel()
    assert not finished
    assert len(fake.requests) == 1
    assert fake.statuses == []


async def test_send_all_retries_each_status_on_its_own(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.fail_next(503)
    results = await client.send_all([TextStatus(message="a"), TextStatus(message="b")])
    assert [result.ok for result in results] == [True, True]
    assert len(fake.statuses) == 2
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    ("error", "safety"),
    [
        (
            APIConnectionError("x", request_sent=False, api_method="sendTextStatus", url="u"),
            RetrySafety.SAFE,
        ),
        (
            APIConnectionError("x", request_sent=True, api_method="sendTextStatus", url="u"),
            RetrySafety.AMBIGUOUS,
        ),
        (
            APIConnectionError("x", request_sent=True, api_method="getStatusStatistic", url="u"),
            RetrySafety.SAFE,
        ),
        (
            APIStatusError("x", status_code=499, body="", api_method="deleteStatus", url="u"),
            RetrySafety.AMBIGUOUS,
        ),
        (
            APIStatusError(
                "x", status_code=499, body="", api_method="getOutgoingStatuses", url="u"
            ),
            RetrySafety.SAFE,
        ),
        (
            ServerError("x", status_code=500, body="", api_method="sendTextStatus", url="u"),
            RetrySafety.FINAL,
        ),
        (
            ServerError("x", status_code=502, body="", api_method="sendMediaStatus", url="u"),
            RetrySafety.AMBIGUOUS,
        ),
        (
            ServerError("x", status_code=504, body="", api_method="deleteStatus", url="u"),
            RetrySafety.AMBIGUOUS,
        ),
        (
            ServerError("x", status_code=503, body="", api_method="sendVoiceStatus", url="u"),
            RetrySafety.SAFE,
        ),
        (GreenStatusError("other"), RetrySafety.FINAL),
    ],
)
def test_retry_safety(error: GreenStatusError, safety: RetrySafety) -> None:
    assert retry_safety(error) is safety


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"initial": -1.0},
        {"max_delay": -0.1},
        {"max_retry_after": -5},
        {"not_ready_delay": -60.0},
        {"not_ready_delay": "60"},
    ],
)
def test_a_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ExponentialBackoff(**kwargs)  # type: ignore[arg-type]


def test_a_policy_is_frozen_and_evolvable() -> None:
    policy = ExponentialBackoff()
    assert attrs.evolve(policy, max_attempts=1).max_attempts == 1
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.max_attempts = 2  # type: ignore[misc]
    assert repr(policy) == (
        "ExponentialBackoff(max_attempts=4, initial=0.5, max_delay=8.0, "
        "max_retry_after=120.0, retry_ambiguous=False, not_ready_delay=None)"
    )


def test_retry_must_be_a_policy() -> None:
    with pytest.raises(TypeError, match="next_delay"):
        AsyncStatusClient("1", "token", retry=3)  # type: ignore[arg-type]


async def test_an_async_on_retry_is_awaited_before_the_wait(
    fake: FakeGreenAPI, clock: FakeClock, client: AsyncStatusClient
) -> None:
    seen: list[tuple[int, float]] = []

    async def record(attempt: int, error: GreenStatusError, delay: float) -> None:
        await anyio.lowlevel.checkpoint()  # a real await: a dropped coroutine would never get here
        seen.append((attempt, len(clock.sleeps)))

    fake.fail_next(503, times=2)
    await client.with_options(on_retry=record).send_text_status("hi")
    assert seen == [(1, 0), (2, 1)]  # each before its own backoff wait
    assert len(fake.requests) == 3
