"""A bounded soak: thousands of sends through send_all to the fake on loopback,
with about 5 % faults of every kind the fake makes, checked at the server."""

from __future__ import annotations

import socket

import anyio
import anyio.abc
import pytest

from greenstatus import (
    APIConnectionError,
    AsyncStatusClient,
    ExponentialBackoff,
    RetrySafety,
    SendResult,
    Status,
    TextStatus,
    retry_safety,
)
from greenstatus.testing import FakeGreenAPI, FakeReply

pytestmark = pytest.mark.anyio

SENDS = 2000
JSON = {"Content-Type": "application/json"}
FAULTS = [
    FakeReply(429, JSON, b'{"message": "slow down"}'),
    FakeReply(429, {**JSON, "Retry-After": "0.05"}, b'{"message": "slow down"}'),
    FakeReply(500, JSON, b'{"message": "error"}'),
    FakeReply(502, JSON, b'{"message": "bad gateway"}'),
    FakeReply(502, JSON, b'{"message": "bad gateway"}', processed=True),
    FakeReply(503, JSON, b'{"message": "unavailable"}'),
    FakeReply(504, JSON, b'{"message": "gateway timeout"}'),
    FakeReply(504, JSON, b'{"message": "gateway timeout"}', processed=True),
    FakeReply(drop=True),
    FakeReply(drop=True, processed=True),
    FakeReply(drop=True, reset=True, processed=True),
    FakeReply(200, JSON, b'{"idMessage": "late"}', delay=1.0, processed=True),  # a stall
]


async def test_a_soak_loses_and_doubles_no_status() -> None:
    fake = FakeGreenAPI()
    fake.chaos(0.05, FAULTS, seed=20261123)
    statuses: list[Status] = [TextStatus(message=f"soak {number}") for number in range(SENDS)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    client = AsyncStatusClient(
        fake.id_instance,
        fake.token,
        api_url=url,
        timeout=0.5,  # the stalls outlast it
        retry=ExponentialBackoff(initial=0.02, max_delay=0.1),
        rate_limits=None,
        max_concurrency=32,
    )
    results: list[SendResult] = []
    sent = anyio.Event()

    async def serve_with_an_outage(task_status: anyio.abc.TaskStatus[None]) -> None:
        async with fake.serve(port=port):
            task_status.started()
            for _ in range(1000):  # a third of the way in, within 10 s at most
                if len(fake.requests) >= SENDS // 3:
                    break
                await anyio.sleep(0.01)
        # Down for longer than a send's retries last: connections are refused,
        # and the open ones were dropped.
        await anyio.sleep(0.5)
        async with fake.serve(port=port):
            await sent.wait()

    async def send() -> None:
        results.extend(await client.send_all(statuses))
        sent.set()

    with anyio.fail_after(120):
        async with client, anyio.create_task_group() as group:
            await group.start(serve_with_an_outage)
            group.start_soon(send)

    assert len(results) == SENDS
    assert [result.request for result in results] == statuses
    stored: dict[str, list[str]] = {}
    for status in fake.statuses:
        stored.setdefault(str(status.payload["message"]), []).append(status.id_message)
    doubled = {message: ids for message, ids in stored.items() if len(ids) > 1}
    assert doubled == {}
    failed = [result for result in results if not result.ok]
    assert failed, "no fault reached a caller: the soak proved nothing"
    # The outage refused connections: those sends were reported as not sent.
    assert any(
        isinstance(result.error, APIConnectionError) and not result.error.request_sent
        for result in failed
    )
    for result in results:
        assert isinstance(result.request, TextStatus)
        ids = stored.get(result.request.message, [])
        if result.ok:
            # Reported sent: stored exactly once. A stall's late answer ("late")
            # is a success when it arrives before the timeout cuts it, as it can
            # on a slow machine: the fake stored the status under its own id.
            assert len(ids) == 1
            assert result.id_message in (ids[0], "late")
        elif ids:
            # Stored, yet reported failed: it must have been reported as possibly delivered.
            assert result.error is not None
            assert retry_safety(result.error) is RetrySafety.AMBIGUOUS, result.error
