"""Instance readiness: getStateInstance, getSettings and check_ready, against the
fake served on loopback, on asyncio and trio."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import AsyncIterator

import httpx
import pytest

from greenstatus import (
    AsyncStatusClient,
    BadRequestError,
    InstanceSettings,
    InstanceState,
    NoRetry,
    Readiness,
)
from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeClock, FakeGreenAPI

from .conftest import served_client

pytestmark = pytest.mark.anyio

BLOCKING = {
    "notAuthorized": ("not linked", "QR code"),
    "starting": ("starting", "wait a few minutes"),
    "blocked": ("banned", "appeal"),
    "sleepMode": ("offline", "turn the phone on"),
    "yellowCard": ("suspended", "stop sending"),
}


# Differs from conftest's fake: it enforces GREEN-API's own limits, on the
# clock's virtual time, so the client's limiter meets the server's.
@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    return FakeGreenAPI(rate_limits=DOCUMENTED_RATE_LIMITS, clock=clock.now)


@pytest.fixture
async def client(fake: FakeGreenAPI, clock: FakeClock) -> AsyncIterator[AsyncStatusClient]:
    async with served_client(fake, clock=clock, retry=NoRetry()) as client:
        yield client


async def test_get_state_instance_asks_the_documented_method(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    assert await client.get_state_instance() is InstanceState.AUTHORIZED
    (request,) = fake.requests
    assert (request.http_method, request.path, request.body) == (
        "GET",
        f"/waInstance{fake.id_instance}/getStateInstance/***",
        b"",
    )


@pytest.mark.parametrize("state", [s.value for s in InstanceState])
async def test_every_documented_state_is_its_member(
    fake: FakeGreenAPI, client: AsyncStatusClient, state: str
) -> None:
    fake.state = state
    found = await client.get_state_instance()
    assert found is InstanceState(state)
    assert found.known
    assert found == state
    assert str(found) == state


async def test_an_unknown_state_is_kept_not_a_crash(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.state = "quantumSuperposition"
    found = await client.get_state_instance()
    assert isinstance(found, InstanceState)
    assert not found.known
    assert found.value == "quantumSuperposition"
    assert found.name == "UNKNOWN"
    assert found is InstanceState("quantumSuperposition")
    assert pickle.loads(pickle.dumps(found)) is found
    readiness = await client.check_ready()
    assert not readiness.can_send
    assert "quantumSuperposition" in readiness.problems[0].message


async def test_authorized_with_outgoing_webhook_is_ready(client: AsyncStatusClient) -> None:
    readiness = await client.check_ready()
    assert readiness.ok
    assert readiness.can_send
    assert readiness.state is InstanceState.AUTHORIZED
    assert readiness.statistics_available is True
    assert readiness.outgoing_statuses_available is True
    assert readiness.problems == ()
    assert readiness.settings is not None
    assert readiness.settings.delay_send_messages_ms == 500


@pytest.mark.parametrize("state", sorted(BLOCKING))
async def test_every_state_but_authorized_blocks_sending_with_a_hint(
    fake: FakeGreenAPI, client: AsyncStatusClient, state: str
) -> None:
    fake.state = state
    readiness = await client.check_ready()
    assert readiness.state == state
    assert not readiness.can_send
    (problem,) = readiness.problems
    words, hint = BLOCKING[state]
    assert problem.code == "state"
    assert problem.blocks_sending
    assert words in problem.message
    assert state in problem.message
    assert hint in problem.hint


async def test_outgoing_webhook_off_means_no_statistics_and_it_says_how_to_fix(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.settings["outgoingWebhook"] = "no"
    readiness = await client.check_ready()
    assert readiness.can_send  # sending works; seeing who got it does not
    assert not readiness.ok
    assert readiness.statistics_available is False
    assert readiness.outgoing_statuses_available is False
    (problem,) = readiness.problems
    assert (problem.code, problem.blocks_sending) == ("outgoing_webhook", False)
    assert "empty lists" in problem.message
    assert "5 minutes" in problem.hint
    # And it is so: the fake answers empty lists, as GREEN-API does.
    sent = await client.send_text_status("hi", participants=["79001234567@c.us"])
    assert await client.get_status_statistic(sent.id_message) == []
    assert await client.get_outgoing_statuses() == []


async def test_settings_keep_what_a_sender_needs_and_mask_the_webhook_token(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.settings["webhookUrlToken"] = "my-webhook-secret"
    fake.settings["delaySendMessagesMilliseconds"] = 3000
    settings = await client.get_settings()
    assert isinstance(settings, InstanceSettings)
    assert (settings.outgoing_webhook, settings.delay_send_messages_ms) == (True, 3000)
    assert settings.raw["webhookUrlToken"] == "***"
    assert settings.raw["wid"] == "79001234567@c.us"
    assert b"my-webhook-secret" not in pickle.dumps(settings)


async def test_check_ready_keeps_each_method_within_one_request_a_second(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: FakeClock
) -> None:
    for _ in range(3):
        assert (await client.check_ready()).ok
    states = [r.received_at for r in fake.requests if r.api_method == "getStateInstance"]
    settings = [r.received_at for r in fake.requests if r.api_method == "getSettings"]
    assert len(states) == len(settings) == 3
    for times in (states, settings):
        assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(times))
    assert all(r.token_ok for r in fake.requests)


@pytest.mark.parametrize(
    ("state", "named"), [("notAuthorized", "notAuthorized"), ("starting", "starting")]
)
async def test_a_send_refused_as_not_ready_names_the_state_and_points_at_doctor(
    fake: FakeGreenAPI, client: AsyncStatusClient, state: str, named: str
) -> None:
    fake.state = state
    with pytest.raises(BadRequestError) as excinfo:
        await client.send_text_status("hi")
    error = excinfo.value
    assert error.instance_not_ready
    assert error.instance_state is InstanceState(named)
    assert f"state {named}" in str(error)
    assert "greenstatus doctor" in str(error)
    assert fake.statuses == []


async def test_a_bad_request_that_is_not_about_the_state_names_none(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.fail_next(400, body={"message": "Validation failed"})
    with pytest.raises(BadRequestError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.instance_state is None
    assert "doctor" not in str(excinfo.value)


async def test_a_starting_instance_without_settings_is_still_assessed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "/getStateInstance/" in request.url.path:
            return httpx.Response(200, json={"stateInstance": "starting"})
        return httpx.Response(400, json={"message": "instance in starting process try later"})

    async with AsyncStatusClient(
        "1101000001", "token", transport=httpx.MockTransport(answer), retry=NoRetry()
    ) as client:
        readiness = await client.check_ready()
    assert readiness.state is InstanceState.STARTING
    assert readiness.settings is None
    assert readiness.statistics_available is None
    assert not readiness.can_send


def test_readiness_travels() -> None:
    readiness = Readiness(state=InstanceState.STARTING, settings=None)
    assert pickle.loads(pickle.dumps(readiness)) == readiness


async def test_check_ready_does_not_ask_a_not_ready_instance_for_settings_again() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path.split("/")[2])
        if "/getStateInstance/" in request.url.path:
            return httpx.Response(200, json={"stateInstance": "notAuthorized"})
        return httpx.Response(400, json={"message": "Instance account not authorized"})

    async with AsyncStatusClient(
        "1101000001", "token", transport=httpx.MockTransport(answer), clock=FakeClock()
    ) as client:  # the default policy, which retries a not-ready 400 of a send
        readiness = await client.check_ready()
    assert asked == ["getStateInstance", "getSettings"]
    assert readiness.settings is None
    assert readiness.state is InstanceState.NOT_AUTHORIZED
