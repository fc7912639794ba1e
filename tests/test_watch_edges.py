"""Watchers and the queue at their edges, as a red-team pass found them: a
cancelled poll, closing from another task, the caller's status_ids, an item
whose body is no object, and when a watcher's time starts."""

from __future__ import annotations

import anyio
import httpx
import pytest

from greenstatus import (
    AsyncStatusClient,
    ClientClosedError,
    Contact,
    NotificationError,
    StatisticChange,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client
from .reachable import hits

pytestmark = pytest.mark.anyio

ANN = "79001234567@c.us"
TOKEN_FREE_TIMEOUT = 10  # real seconds any test here may take


async def sent_to_ann(fake: FakeGreenAPI) -> str:
    async with fake_client(fake, rate_limits=None) as sender:
        return (await sender.send_text_status("hi", participants=[ANN])).id_message


async def test_a_poll_cancelled_by_the_consumer_does_not_end_the_watcher() -> None:
    fake = FakeGreenAPI(contacts=[Contact(ANN, "Ann", "Ann")], latency=0.3)
    id_message = await sent_to_ann(fake)
    async with fake_client(fake, rate_limits=None) as client:
        watch = client.watch_statistic(id_message, interval=0.1)
        with anyio.fail_after(TOKEN_FREE_TIMEOUT):
            with anyio.move_on_after(0.1):  # "a change within 0.1 s?" no: the poll is slow
                await watch.__anext__()
            change = await watch.__anext__()  # it goes on
        await watch.aclose()
    assert isinstance(change, StatisticChange)
    assert (change.participant, change.status) == (ANN, "sent")


async def test_closing_from_another_task_during_a_poll_yields_nothing_of_it() -> None:
    fake = FakeGreenAPI(contacts=[Contact(ANN, "Ann", "Ann")], latency=0.3)
    id_message = await sent_to_ann(fake)
    got: list[StatisticChange] = []
    async with fake_client(fake, rate_limits=None) as client:
        watch = client.watch_statistic(id_message, interval=0.1)

        async def consume() -> None:
            async for change in watch:
                got.append(change)

        with anyio.fail_after(TOKEN_FREE_TIMEOUT):
            async with anyio.create_task_group() as group:
                group.start_soon(consume)
                await anyio.sleep(0.1)  # its first poll is under way
                await watch.aclose()
    assert got == []


async def test_until_counts_from_the_first_ask_not_from_when_it_was_made() -> None:
    clock = FakeClock(start=1000.0)
    fake = FakeGreenAPI(contacts=[Contact(ANN, "Ann", "Ann")], clock=clock.now)
    id_message = await sent_to_ann(fake)
    async with fake_client(fake, clock=clock, rate_limits=None) as client:
        watch = client.watch_statistic(id_message, until=12, interval=5)
        clock.advance(20)  # made, then left alone for longer than until
        async with watch:
            changes = [change async for change in watch]
    polls = [r.received_at for r in fake.requests if r.api_method == "getStatusStatistic"]
    assert [change.status for change in changes] == ["sent"]
    assert polls == [1020.0, 1025.0, 1030.0, 1032.0]


async def test_status_ids_must_be_a_collection_when_the_queue_is_asked_for() -> None:
    fake = FakeGreenAPI()
    client = fake_client(fake)
    for status_ids in (None, 5, "3EB0"):
        with pytest.raises(TypeError, match="status_ids"):
            client.receive_notifications(status_ids=status_ids)  # type: ignore[arg-type]
    assert fake.requests == []


class Exploding:
    """A collection of the caller's whose ``in`` fails: their bug, raised as is."""

    def __contains__(self, item: object) -> bool:
        raise KeyError("the caller's store is down")


async def test_the_callers_status_ids_run_outside_the_call_that_holds_the_token() -> None:
    fake = FakeGreenAPI(contacts=[Contact(ANN, "Ann", "Ann")])
    id_message = await sent_to_ann(fake)
    fake.read(id_message, ANN)  # queues an outgoingMessageStatus
    async with fake_client(fake) as client:
        queue = client.receive_notifications(status_ids=Exploding())
        with pytest.raises(KeyError) as caught:
            await queue.__anext__()
        await queue.aclose()
    assert hits(caught.value, fake.token) == []


async def test_an_item_whose_body_is_no_object_comes_out_and_is_deleted() -> None:
    answers = iter(
        [
            {"receiptId": 41, "body": None},
            {"receiptId": 42, "body": {"typeWebhook": "stateInstanceChanged"}},
        ]
    )
    deleted: list[str] = []

    def greenapi(request: httpx.Request) -> httpx.Response:
        if "/deleteNotification/" in request.url.path:
            deleted.append(request.url.path.rsplit("/", 1)[1])
            return httpx.Response(200, json={"result": True})
        return httpx.Response(200, json=next(answers))

    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=httpx.MockTransport(greenapi)
    ) as client:
        queue = client.receive_notifications()
        first = await queue.__anext__()
        second = await queue.__anext__()
        await queue.aclose()
    assert first.receipt_id == 41
    assert isinstance(first.problem, NotificationError)
    assert first.problem.field == "body"
    assert dict(first.body) == {}
    assert second.receipt_id == 42
    assert deleted == ["41"]


@pytest.mark.parametrize("receipt", [0, -3, 1.0, 1e30, True, "x"])
async def test_a_receipt_that_is_no_positive_id_is_an_answer_out_of_the_docs(
    receipt: object,
) -> None:
    from greenstatus import ResponseValidationError

    def greenapi(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"receiptId": receipt, "body": {"typeWebhook": "x"}})

    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=httpx.MockTransport(greenapi)
    ) as client:
        with pytest.raises(ResponseValidationError):
            await client.receive_notifications().__anext__()


async def test_a_queue_on_a_closed_client_stays_typed() -> None:
    fake = FakeGreenAPI()
    fake.notify({"typeWebhook": "stateInstanceChanged"})
    client = fake_client(fake)
    queue = client.receive_notifications()
    await queue.__anext__()
    await client.aclose()
    for _ in range(2):
        with pytest.raises(ClientClosedError):
            await queue.__anext__()
