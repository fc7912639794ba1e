"""receive_notifications: GREEN-API's notification queue as an async iterator,
against the fake in process and on loopback; deleting only what was taken."""

from __future__ import annotations

import anyio
import httpx
import pytest

from greenstatus import (
    AsyncStatusClient,
    ClientClosedError,
    IncomingStatusEvent,
    Notification,
    NotificationError,
    OutgoingStatusEvent,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client, served_client

pytestmark = pytest.mark.anyio

ANN = "79001234567@c.us"


def state_changed(state: str) -> dict[str, object]:
    return {
        "typeWebhook": "stateInstanceChanged",
        "instanceData": {"idInstance": 1101000001, "wid": ANN, "typeInstance": "whatsapp"},
        "timestamp": 1700000000,
        "stateInstance": state,
    }


def methods(fake: FakeGreenAPI) -> list[str | None]:
    return [request.api_method for request in fake.requests]


async def test_items_come_oldest_first_and_each_is_deleted_when_the_next_is_asked() -> None:
    fake = FakeGreenAPI()
    first = fake.notify(state_changed("authorized"))
    second = fake.notify(state_changed("notAuthorized"))
    got: list[Notification] = []
    async with served_client(fake) as client:
        queue = client.receive_notifications()
        got.append(await queue.__anext__())
        assert [item.receipt_id for item in fake.notifications] == [first, second]  # not yet
        got.append(await queue.__anext__())
        assert [item.receipt_id for item in fake.notifications] == [second]
        await queue.aclose()
    assert [item.receipt_id for item in got] == [first, second]
    assert [item.type_webhook for item in got] == ["stateInstanceChanged"] * 2
    assert got[0].body["stateInstance"] == "authorized"
    assert got[0].status_event is None
    assert methods(fake) == ["receiveNotification", "deleteNotification", "receiveNotification"]
    deleted = [r for r in fake.requests if r.api_method == "deleteNotification"]
    assert deleted[0].http_method == "DELETE"
    assert deleted[0].path.endswith(f"/deleteNotification/***/{first}")
    received = [r for r in fake.requests if r.api_method == "receiveNotification"]
    assert received[0].query == {"receiveTimeout": "5"}
    assert [item.receipt_id for item in fake.notifications] == [second]  # the last, kept


async def consume_failing(client: AsyncStatusClient) -> None:
    async with client.receive_notifications() as queue:
        async for _item in queue:
            raise RuntimeError("consumer failed")


async def test_an_exception_in_the_consumer_leaves_the_item_in_the_queue() -> None:
    fake = FakeGreenAPI()
    receipt = fake.notify(state_changed("authorized"))
    async with fake_client(fake) as client:
        with pytest.raises(RuntimeError, match="consumer failed"):
            await consume_failing(client)
        assert [item.receipt_id for item in fake.notifications] == [receipt]
        async with client.receive_notifications() as again:
            item = await again.__anext__()
    assert item.receipt_id == receipt  # received again: at least once
    assert "deleteNotification" not in methods(fake)


async def test_without_delete_the_consumer_deletes() -> None:
    fake = FakeGreenAPI()
    receipt = fake.notify(state_changed("authorized"))
    async with fake_client(fake) as client:
        queue = client.receive_notifications(delete=False)
        first = await queue.__anext__()
        again = await queue.__anext__()
        assert again.receipt_id == first.receipt_id == receipt  # still the oldest
        assert await client.delete_notification(receipt) is True
        assert await client.delete_notification(receipt) is False  # gone already
        await queue.aclose()
    assert fake.notifications == []


async def test_status_events_are_read_from_the_items() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, rate_limits=None) as client:
        sent = await client.send_text_status("hi", participants=[ANN])
        fake.post_incoming(ANN, text="from Ann")
        fake.read(sent.id_message, ANN)
        async with client.receive_notifications(status_ids={sent.id_message}) as queue:
            incoming = await queue.__anext__()
            outgoing = await queue.__anext__()
    assert isinstance(incoming.status_event, IncomingStatusEvent)
    assert incoming.status_event.sender == ANN
    assert incoming.status_event.text == "from Ann"
    assert isinstance(outgoing.status_event, OutgoingStatusEvent)
    assert outgoing.status_event.id_message == sent.id_message
    assert outgoing.status_event.status == "read"


async def test_a_malformed_status_body_comes_out_with_its_problem_and_the_queue_moves_on() -> None:
    fake = FakeGreenAPI()
    broken = {
        "typeWebhook": "incomingMessageReceived",
        "timestamp": 1700000000,
        "senderData": {"chatId": "status@broadcast", "sender": ANN},
        "messageData": {"typeMessage": "textMessage"},
    }  # no idMessage
    bad = fake.notify(broken)
    good = fake.notify(state_changed("authorized"))
    async with fake_client(fake) as client, client.receive_notifications() as queue:
        first = await queue.__anext__()
        second = await queue.__anext__()
    assert first.receipt_id == bad
    assert first.status_event is None
    assert isinstance(first.problem, NotificationError)
    assert first.problem.field == "idMessage"
    assert second.receipt_id == good


async def test_the_read_timeout_outlasts_greenapis_wait() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"receiptId": 7, "body": state_changed("authorized")})

    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance,
        fake.token,
        transport=httpx.MockTransport(answer),
        timeout=10,
        deadline=20,
    ) as client:
        queue = client.receive_notifications(receive_timeout=30)
        await queue.__anext__()
        await queue.aclose()
    timeout = seen[0].extensions["timeout"]
    assert timeout["read"] == 45.0  # GREEN-API waits 30 s for an item, and some more
    assert timeout["connect"] == 10.0
    assert str(seen[0].url.params) == "receiveTimeout=30"


async def test_an_empty_queue_is_asked_again_after_greenapis_wait() -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    fake = FakeGreenAPI(clock=clock.now)
    got: list[Notification] = []

    async def consume() -> None:
        async with fake_client(fake, clock=clock) as client, client.receive_notifications() as q:
            got.append(await q.__anext__())

    with anyio.fail_after(10):  # real seconds: the fake clock's 20 s take none
        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            for _ in range(80):  # 20 s, in quarter seconds
                await anyio.wait_all_tasks_blocked()
                clock.advance(0.25)
                if clock.now() == 1011.0:
                    fake.notify(state_changed("authorized"))
    assert len(got) == 1
    asked = [r.received_at for r in fake.requests if r.api_method == "receiveNotification"]
    assert asked == [1000.0, 1005.0, 1010.0, 1015.0]  # each after GREEN-API's 5 s wait


async def test_closing_the_client_ends_a_waiting_queue_typed() -> None:
    clock = FakeClock(start=1000.0, autojump=False)
    fake = FakeGreenAPI(clock=clock.now)
    client = fake_client(fake, clock=clock)
    errors: list[BaseException] = []

    async def consume() -> None:
        try:
            async for _item in client.receive_notifications():
                pass
        except ClientClosedError as error:
            errors.append(error)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await anyio.wait_all_tasks_blocked()
            await client.aclose()
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"receive_timeout": 4}, ValueError),
        ({"receive_timeout": 61}, ValueError),
        ({"receive_timeout": 5.5}, ValueError),
        ({"delete": "yes"}, TypeError),
        ({"status_ids": "3EB0"}, TypeError),
    ],
)
def test_bad_arguments_are_refused_at_once(options: dict[str, object], error: type) -> None:
    fake = FakeGreenAPI()
    client = fake_client(fake)
    with pytest.raises(error):
        client.receive_notifications(**options)  # type: ignore[arg-type]
    assert fake.requests == []
