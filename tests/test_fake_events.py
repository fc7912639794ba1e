"""FakeGreenAPI's events on its clock: recipients receiving and reading
statuses (now or scheduled), contacts posting theirs, the notification queue
(receiveNotification, deleteNotification) and webhooks. Plain httpx on the wire
URLs, in process and over real HTTP on loopback; webhooks go to an aiohttp.web
handler on loopback, as users' own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web

from greenstatus._contacts import Contact
from greenstatus.testing import (
    DOCUMENTED_RATE_LIMITS,
    FakeClock,
    FakeGreenAPI,
    FakeNotification,
    FakeStatus,
)

pytestmark = pytest.mark.anyio

ANN = Contact("79110000001@c.us", "Ann", "Ann Smith")
TOM = Contact("79110000002@c.us", "Tom", "Tom Jones")
BOB = Contact("79110000003@c.us", "Bob", "")  # not saved with a name: never reached
NOBODY = "79110000009@c.us"
INSTANCE_DATA = {"idInstance": 1101000001, "wid": "79001234567@c.us", "typeInstance": "whatsapp"}
DAY = 24 * 60 * 60


# Differs from conftest's: the fake runs on the test's clock, with contacts.
@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    return FakeGreenAPI(contacts=[ANN, TOM, BOB], clock=clock.now)


@pytest.fixture(params=["transport", "server"])
async def http(
    request: pytest.FixtureRequest, fake: FakeGreenAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx on the fake: in process ("transport") or on loopback ("server")."""
    if request.param == "server":
        async with fake.serve() as url, httpx.AsyncClient(base_url=url) as raw:
            yield raw
    else:
        async with httpx.AsyncClient(
            transport=fake.transport(), base_url="https://fake.green-api.invalid"
        ) as raw:
            yield raw


def url(fake: FakeGreenAPI, method: str, *rest: str, token: str | None = None) -> str:
    return "/".join([f"/waInstance{fake.id_instance}", method, token or fake.token, *rest])


async def send_text(fake: FakeGreenAPI, http: httpx.AsyncClient, **body: object) -> str:
    sent = await http.post(url(fake, "sendTextStatus"), json={"message": "hi", **body})
    assert sent.status_code == 200, sent.text
    id_message = sent.json()["idMessage"]
    assert isinstance(id_message, str)
    return id_message


async def statistic(fake: FakeGreenAPI, http: httpx.AsyncClient, id_message: str) -> object:
    answer = await http.get(url(fake, "getStatusStatistic"), params={"idMessage": id_message})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def outgoing(fake: FakeGreenAPI, http: httpx.AsyncClient) -> list[dict[str, object]]:
    answer = await http.get(url(fake, "getOutgoingStatuses"))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()
    return items


async def receive(fake: FakeGreenAPI, http: httpx.AsyncClient, **params: str) -> object:
    answer = await http.get(url(fake, "receiveNotification"), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def delete(fake: FakeGreenAPI, http: httpx.AsyncClient, receipt: object) -> object:
    answer = await http.delete(url(fake, "deleteNotification", str(receipt)))
    assert answer.status_code == 200, answer.text
    return answer.json()


def status_body(id_message: str, participant: str, status: str, at: float) -> dict[str, object]:
    return {
        "typeWebhook": "outgoingMessageStatus",
        "instanceData": INSTANCE_DATA,
        "timestamp": int(at),
        "idMessage": id_message,
        "status": status,
        "chatId": participant,
        "sendByApi": True,
    }


def bodies(fake: FakeGreenAPI) -> list[object]:
    return [item.body for item in fake.notifications]


# -- recipients' states -------------------------------------------------------------


async def test_rows_move_to_delivered_and_read_stamped_with_the_clock(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    clock.advance(5)
    fake.deliver(sent, ANN.chat_id)
    clock.advance(5)
    fake.read(sent, TOM.chat_id)  # never delivered: read all the same
    assert await statistic(fake, http, sent) == [
        {"timestamp": 1005, "participant": ANN.chat_id, "status": "delivered"},
        {"timestamp": 1010, "participant": TOM.chat_id, "status": "read"},
    ]
    assert bodies(fake) == [
        status_body(sent, ANN.chat_id, "delivered", 1005),
        status_body(sent, TOM.chat_id, "read", 1010),
    ]


async def test_no_participant_moves_every_recipient(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    clock.advance(1)
    fake.deliver(sent)
    assert await statistic(fake, http, sent) == [
        {"timestamp": 1001, "participant": ANN.chat_id, "status": "delivered"},
        {"timestamp": 1001, "participant": TOM.chat_id, "status": "delivered"},
    ]
    assert [item.body["chatId"] for item in fake.notifications] == [ANN.chat_id, TOM.chat_id]


async def test_states_only_move_forward(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http, participants=[ANN.chat_id])
    fake.read(sent, ANN.chat_id)
    clock.advance(30)
    fake.deliver(sent, ANN.chat_id)
    fake.read(sent)
    assert await statistic(fake, http, sent) == [
        {"timestamp": 1000, "participant": ANN.chat_id, "status": "read"}
    ]
    assert len(fake.notifications) == 1


async def test_a_participant_matches_by_its_number(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    sent = await send_text(fake, http)
    fake.deliver(sent, "79110000001")
    rows = await statistic(fake, http, sent)
    assert isinstance(rows, list)
    assert [row["status"] for row in rows] == ["delivered", "sent"]


async def test_an_unknown_status_or_a_participant_not_reached_is_refused(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    sent = await send_text(fake, http)
    with pytest.raises(KeyError, match="no status 'NOPE'"):
        fake.deliver("NOPE")
    for stranger in (BOB.chat_id, NOBODY):
        with pytest.raises(ValueError, match=f"did not reach '{stranger}'"):
            fake.read(sent, stranger)
    await http.post(url(fake, "deleteStatus"), json={"idMessage": sent})
    with pytest.raises(KeyError):
        fake.read(sent)
    assert fake.notifications == []


async def test_outgoing_statuses_show_the_furthest_state_and_the_last_change(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    [item] = await outgoing(fake, http)
    assert (item["statusMessage"], item["timestamp"]) == ("sent", 1000)
    clock.advance(60)
    fake.read(sent, TOM.chat_id)
    clock.advance(60)
    fake.deliver(sent, ANN.chat_id)
    [item] = await outgoing(fake, http)
    assert (item["statusMessage"], item["timestamp"]) == ("read", 1120)


async def test_a_status_put_there_by_hand_keeps_its_recipients_once_moved(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.statuses.append(
        FakeStatus(
            id_message="BYHAND",
            kind="text",
            payload={"message": "hi"},
            id_instance=fake.id_instance,
            timestamp=900,
        )
    )
    fake.deliver("BYHAND", ANN.chat_id)
    fake.contacts = [TOM]
    assert await statistic(fake, http, "BYHAND") == [
        {"timestamp": 1000, "participant": ANN.chat_id, "status": "delivered"},
        {"timestamp": 900, "participant": TOM.chat_id, "status": "sent"},
    ]


# -- schedules ---------------------------------------------------------------------


async def test_a_schedule_applies_when_the_clock_passes_it_at_its_own_time(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    fake.schedule(sent, None, "read", after=120)
    fake.schedule(sent, ANN.chat_id, "delivered", at=1030)
    clock.advance(29)
    assert fake.notifications == []
    assert await statistic(fake, http, sent) == [
        {"timestamp": 1000, "participant": ANN.chat_id, "status": "sent"},
        {"timestamp": 1000, "participant": TOM.chat_id, "status": "sent"},
    ]
    clock.advance(500)  # both are due: they happen in time order, each at its time
    assert await statistic(fake, http, sent) == [
        {"timestamp": 1120, "participant": ANN.chat_id, "status": "read"},
        {"timestamp": 1120, "participant": TOM.chat_id, "status": "read"},
    ]
    assert bodies(fake) == [
        status_body(sent, ANN.chat_id, "delivered", 1030),
        status_body(sent, ANN.chat_id, "read", 1120),
        status_body(sent, TOM.chat_id, "read", 1120),
    ]
    [item] = await outgoing(fake, http)
    assert (item["statusMessage"], item["timestamp"]) == ("read", 1120)


async def test_moves_due_at_the_same_time_keep_the_order_scheduled(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    fake.schedule(sent, TOM.chat_id, "delivered", at=1010)
    fake.schedule(sent, ANN.chat_id, "delivered", at=1010)
    clock.advance(10)
    assert [item.body["chatId"] for item in fake.notifications] == [TOM.chat_id, ANN.chat_id]


async def test_a_time_already_past_applies_at_once(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    sent = await send_text(fake, http)
    fake.schedule(sent, ANN.chat_id, "read", after=0)
    assert bodies(fake) == [status_body(sent, ANN.chat_id, "read", 1000)]


async def test_a_schedule_of_a_status_deleted_since_is_dropped(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    sent = await send_text(fake, http)
    fake.schedule(sent, None, "read", after=10)
    await http.post(url(fake, "deleteStatus"), json={"idMessage": sent})
    clock.advance(10)
    assert fake.notifications == []


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"status": "read"}, TypeError, "at= .* or after="),
        ({"status": "read", "at": 5.0, "after": 5.0}, TypeError, "at= .* or after="),
        ({"status": "read", "after": -1.0}, ValueError, "seconds from now"),
        ({"status": "sent", "after": 1.0}, ValueError, "'delivered' or 'read'"),
        ({"status": "read", "after": 1.0, "participant": NOBODY}, ValueError, "did not reach"),
        ({"status": "read", "after": 1.0, "id_message": "NOPE"}, KeyError, "NOPE"),
    ],
)
async def test_a_schedule_is_checked_when_it_is_made(
    fake: FakeGreenAPI,
    http: httpx.AsyncClient,
    arguments: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    sent = await send_text(fake, http)
    given: dict[str, object] = {"id_message": sent, "participant": None, **arguments}
    with pytest.raises(error, match=message):
        fake.schedule(**given)  # type: ignore[arg-type]


# -- contacts' statuses --------------------------------------------------------------


async def test_a_contact_s_text_status_is_listed_and_notified_in_greenapi_s_shapes(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    id_message = fake.post_incoming(ANN.chat_id, text="Hello", background_color="#228B22")
    answer = await http.get(url(fake, "getIncomingStatuses"))
    assert answer.json() == [
        {
            "type": "incoming",
            "idMessage": id_message,
            "timestamp": 1000,
            "typeMessage": "extendedTextMessage",
            "chatId": ANN.chat_id,
            "senderId": ANN.chat_id,
            "senderName": "Ann",
            "senderContactName": "Ann Smith",
            "textMessage": "Hello",
            "extendedTextMessage": {"text": "Hello", "backgroundColor": "#228B22", "font": "SERIF"},
        }
    ]
    assert await receive(fake, http) == {
        "receiptId": fake.notifications[0].receipt_id,
        "body": {
            "typeWebhook": "incomingMessageReceived",
            "instanceData": INSTANCE_DATA,
            "timestamp": 1000,
            "idMessage": id_message,
            "senderData": {
                "chatId": "status@broadcast",
                "chatName": "Ann",
                "sender": ANN.chat_id,
                "senderName": "Ann",
                "senderContactName": "Ann Smith",
            },
            "messageData": {
                "typeMessage": "extendedTextMessage",
                "extendedTextMessageData": {
                    "text": "Hello",
                    "backgroundColor": "#228B22",
                    "font": "SERIF",
                },
            },
        },
    }


async def test_a_contact_s_picture_is_listed_and_notified_with_its_file(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    id_message = fake.post_incoming(
        NOBODY,
        download_url="https://files.example/p.jpg",
        file_name="p.jpg",
        caption="Look",
        sender_name="Stranger",
        timestamp=990,
    )
    [item] = (await http.get(url(fake, "getIncomingStatuses"))).json()
    assert item == {
        "type": "incoming",
        "idMessage": id_message,
        "timestamp": 990,
        "typeMessage": "imageMessage",
        "chatId": NOBODY,
        "senderId": NOBODY,
        "senderName": "Stranger",
        "senderContactName": "",
        "downloadUrl": "https://files.example/p.jpg",
        "caption": "Look",
        "fileName": "p.jpg",
        "jpegThumbnail": "",
        "mimeType": "image/jpeg",
    }
    [notification] = fake.notifications
    assert notification.body["messageData"] == {
        "typeMessage": "imageMessage",
        "fileMessageData": {
            "downloadUrl": "https://files.example/p.jpg",
            "caption": "Look",
            "fileName": "p.jpg",
            "jpegThumbnail": "",
            "mimeType": "image/jpeg",
        },
    }


@pytest.mark.parametrize(
    ("given", "type_message", "mime_type", "file_name"),
    [
        ({"mime_type": "audio/mpeg"}, "audioMessage", "audio/mpeg", "{id}.mp3"),
        ({"file_name": "clip.mp4"}, "videoMessage", "video/mp4", "clip.mp4"),
        ({}, "imageMessage", "image/jpeg", "{id}.jpg"),
        ({"type_message": "videoMessage"}, "videoMessage", "video/mp4", "{id}.mp4"),
    ],
)
async def test_a_media_status_s_type_mime_type_and_name_tell_each_other(
    fake: FakeGreenAPI,
    given: dict[str, Any],
    type_message: str,
    mime_type: str,
    file_name: str,
) -> None:
    id_message = fake.post_incoming(ANN.chat_id, download_url="https://files.example/f", **given)
    [item] = fake.incoming
    assert (item["typeMessage"], item["mimeType"], item["fileName"]) == (
        type_message,
        mime_type,
        file_name.format(id=id_message),
    )
    assert ("caption" in item) == (type_message != "audioMessage")


async def test_a_plain_text_message_is_notified_as_text_message_data(
    fake: FakeGreenAPI,
) -> None:
    fake.post_incoming(TOM.chat_id, text="hi", type_message="textMessage")
    [item] = fake.incoming
    assert "extendedTextMessage" not in item
    assert fake.notifications[0].body["messageData"] == {
        "typeMessage": "textMessage",
        "textMessageData": {"textMessage": "hi"},
    }


@pytest.mark.parametrize(
    ("sender", "arguments", "message"),
    [
        (ANN.chat_id, {}, "exactly one"),
        (ANN.chat_id, {"text": "a", "download_url": "https://f/x.jpg"}, "exactly one"),
        (ANN.chat_id, {"text": "a", "caption": "c"}, "caption do not apply to a text status"),
        (ANN.chat_id, {"download_url": "https://f/x.jpg", "font": "SERIF"}, "font do not apply"),
        ("79110000001", {"text": "a"}, "chat id like"),
    ],
)
def test_post_incoming_refuses_what_no_status_is(
    fake: FakeGreenAPI, sender: str, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fake.post_incoming(sender, **arguments)
    assert (fake.incoming, fake.notifications) == ([], [])


async def test_raw_incoming_items_keep_working_beside_posted_ones(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.incoming.append({"type": "incoming", "idMessage": "RAW", "timestamp": 1000})
    posted = fake.post_incoming(ANN.chat_id, text="hi")
    listed = (await http.get(url(fake, "getIncomingStatuses"))).json()
    assert [item["idMessage"] for item in listed] == ["RAW", posted]
    assert len(fake.notifications) == 1  # a raw item is not notified


# -- the notification queue ----------------------------------------------------------


async def test_an_empty_queue_answers_null_at_once(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    answer = await http.get(url(fake, "receiveNotification"), params={"receiveTimeout": "60"})
    assert (answer.status_code, answer.content) == (200, b"null")
    assert answer.headers["content-type"] == "application/json"


async def test_the_oldest_item_comes_first_and_again_until_deleted(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    first = fake.notify({"typeWebhook": "stateInstanceChanged", "stateInstance": "authorized"})
    second = fake.notify({"typeWebhook": "quotaExceeded"})
    received = await receive(fake, http)
    assert received == {
        "receiptId": first,
        "body": {"typeWebhook": "stateInstanceChanged", "stateInstance": "authorized"},
    }
    assert await receive(fake, http) == received  # not deleted: received again
    assert await delete(fake, http, first) == {"result": True}
    assert await receive(fake, http) == {
        "receiptId": second,
        "body": {"typeWebhook": "quotaExceeded"},
    }
    assert await delete(fake, http, first) == {"result": False}  # gone already
    assert await delete(fake, http, 999) == {"result": False}
    assert await delete(fake, http, second) == {"result": True}
    assert await receive(fake, http) is None


async def test_items_are_kept_24_hours(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    receipt = fake.notify({"typeWebhook": "deviceInfo"})
    clock.advance(DAY - 1)
    assert await receive(fake, http) == {
        "receiptId": receipt,
        "body": {"typeWebhook": "deviceInfo"},
    }
    clock.advance(1)
    assert await receive(fake, http) is None
    assert fake.notifications == []
    assert await delete(fake, http, receipt) == {"result": False}


@pytest.mark.parametrize("timeout", ["4", "61", "0", "abc", "5.5", "", "-5"])
async def test_receive_timeout_is_5_to_60_seconds(
    fake: FakeGreenAPI, http: httpx.AsyncClient, timeout: str
) -> None:
    answer = await http.get(url(fake, "receiveNotification"), params={"receiveTimeout": timeout})
    assert answer.status_code == 400
    assert "receiveTimeout" in answer.json()["message"]


@pytest.mark.parametrize("timeout", ["5", "60"])
async def test_the_edges_of_receive_timeout_are_taken(
    fake: FakeGreenAPI, http: httpx.AsyncClient, timeout: str
) -> None:
    assert await receive(fake, http, receiveTimeout=timeout) is None


async def test_a_receipt_id_is_an_integer_path_segment_after_the_token(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    assert (await http.delete(url(fake, "deleteNotification", "abc"))).status_code == 400
    assert (await http.delete(url(fake, "deleteNotification", "-1"))).status_code == 400
    assert (await http.delete(url(fake, "deleteNotification"))).status_code == 404
    assert (await http.delete(url(fake, "deleteNotification", "1", "2"))).status_code == 404
    # Only deleteNotification takes a segment after the token.
    assert (await http.get(url(fake, "receiveNotification", "1"))).status_code == 404
    assert (await http.get(url(fake, "getSettings", "1"))).status_code == 404
    assert (await http.get(url(fake, "deleteNotification", "1"))).status_code == 404
    assert [r.api_method for r in fake.requests[:2]] == ["deleteNotification"] * 2


async def test_a_recorded_delete_masks_the_token_and_keeps_the_receipt(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    await delete(fake, http, 7)
    [recorded] = fake.requests
    assert recorded.path == f"/waInstance{fake.id_instance}/deleteNotification/***/7"
    assert fake.token not in repr(recorded)
    assert (recorded.http_method, recorded.token_ok) == ("DELETE", True)


@pytest.mark.parametrize("method", ["receiveNotification", "deleteNotification"])
async def test_a_wrong_token_is_401_an_unknown_instance_403_a_wrong_verb_404(
    fake: FakeGreenAPI, http: httpx.AsyncClient, method: str
) -> None:
    verb, other = ("GET", "DELETE") if method == "receiveNotification" else ("DELETE", "GET")
    rest = ("1",) if method == "deleteNotification" else ()
    fake.notify({"typeWebhook": "deviceInfo"})
    wrong = await http.request(verb, url(fake, method, *rest, token="wrong"))
    stranger = await http.request(verb, url(fake, method, *rest).replace("1101000001", "999", 1))
    refused_verb = await http.request(other, url(fake, method, *rest))
    codes = (wrong.status_code, stranger.status_code, refused_verb.status_code)
    assert codes == (401, 403, 404)
    assert len(fake.notifications) == 1


@pytest.mark.parametrize("state", ["notAuthorized", "starting"])
async def test_a_not_ready_instance_answers_400(
    fake: FakeGreenAPI, http: httpx.AsyncClient, state: str
) -> None:
    fake.notify({"typeWebhook": "deviceInfo"})
    fake.state = state
    assert (await http.get(url(fake, "receiveNotification"))).status_code == 400
    assert (await http.delete(url(fake, "deleteNotification", "1"))).status_code == 400
    assert len(fake.notifications) == 1


@pytest.mark.parametrize(
    ("verb", "method", "rest"),
    [("GET", "receiveNotification", ()), ("DELETE", "deleteNotification", ("1",))],
)
async def test_more_than_100_requests_a_second_is_429(
    fake: FakeGreenAPI,
    http: httpx.AsyncClient,
    clock: FakeClock,
    verb: str,
    method: str,
    rest: tuple[str, ...],
) -> None:
    fake.rate_limits = DOCUMENTED_RATE_LIMITS
    codes = [(await http.request(verb, url(fake, method, *rest))).status_code for _ in range(101)]
    assert codes == [200] * 100 + [429]
    clock.advance(1)
    assert (await http.request(verb, url(fake, method, *rest))).status_code == 200


async def test_while_a_webhook_url_is_set_the_queue_answers_null(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    receipt = fake.notify({"typeWebhook": "deviceInfo"})
    fake.settings["webhookUrl"] = "https://bot.example/hooks"
    assert await receive(fake, http) is None
    assert [item.receipt_id for item in fake.notifications] == [receipt]
    fake.settings["webhookUrl"] = ""
    assert await receive(fake, http) == {
        "receiptId": receipt,
        "body": {"typeWebhook": "deviceInfo"},
    }


async def test_the_webhook_settings_choose_what_is_queued(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    sent = await send_text(fake, http)
    fake.settings.update(outgoingWebhook="no", incomingWebhook="no")
    fake.read(sent)
    fake.post_incoming(ANN.chat_id, text="hi")
    assert fake.notifications == []
    assert len(fake.incoming) == 1


async def test_each_instance_has_its_own_queue(fake: FakeGreenAPI, http: httpx.AsyncClient) -> None:
    fake.add_instance("1101000002", "second-token")
    mine = fake.notify({"typeWebhook": "deviceInfo"})
    theirs = fake.notify({"typeWebhook": "deviceInfo"}, id_instance="1101000002")
    other = "/waInstance1101000002/{}/second-token"
    assert (await http.delete(other.format("deleteNotification") + f"/{mine}")).json() == {
        "result": False
    }
    assert (await receive(fake, http))["receiptId"] == mine  # type: ignore[index]
    theirs_received = (await http.get(other.format("receiveNotification"))).json()
    assert theirs_received["receiptId"] == theirs
    with pytest.raises(KeyError, match="no instance"):
        fake.notify({"typeWebhook": "deviceInfo"}, id_instance="999")


async def test_a_contact_s_status_is_notified_to_every_instance(fake: FakeGreenAPI) -> None:
    fake.add_instance("1101000002", "second-token")
    fake.post_incoming(ANN.chat_id, text="hi")
    assert [
        (item.id_instance, item.body["instanceData"]["idInstance"])  # type: ignore[index]
        for item in fake.notifications
    ] == [("1101000001", 1101000001), ("1101000002", 1101000002)]


def test_notify_keeps_a_copy_of_a_json_object(fake: FakeGreenAPI) -> None:
    body: dict[str, object] = {"typeWebhook": "deviceInfo", "deviceData": {"platform": "android"}}
    fake.notify(body)
    body["typeWebhook"] = "changed"
    assert fake.notifications[0].body["typeWebhook"] == "deviceInfo"
    with pytest.raises(TypeError, match="JSON object"):
        fake.notify(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be JSON"):
        fake.notify({"when": object()})


def test_the_queue_can_be_set(fake: FakeGreenAPI, clock: FakeClock) -> None:
    fake.notify({"typeWebhook": "deviceInfo"})
    kept = FakeNotification(
        receipt_id=50, id_instance=fake.id_instance, body={"a": 1}, queued_at=clock.time
    )
    fake.notifications = [kept]
    assert fake.notifications == [kept]
    fake.notifications = []
    assert fake.notifications == []


def test_events_from_many_threads_get_a_receipt_each(fake: FakeGreenAPI) -> None:
    receipts: list[int] = []

    def post() -> None:
        for _ in range(200):
            receipts.append(fake.notify({"typeWebhook": "deviceInfo"}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(receipts) == list(range(1, 801))
    assert [item.receipt_id for item in fake.notifications] == sorted(receipts)


# -- webhooks ----------------------------------------------------------------------


class Receiver:
    """A webhook handler as users write one, on aiohttp.web on loopback. It
    runs on its own event loop in a thread, so trio tests reach it too."""

    def __init__(self, answers: Callable[[], int]) -> None:
        self.answers = answers
        self.received: list[tuple[str | None, str | None, object]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (
                request.headers.get("Authorization"),
                request.headers.get("Content-Type"),
                await request.json(),
            )
        )
        return web.Response(status=self.answers())


@contextmanager
def receiver(answers: Callable[[], int] = lambda: 200) -> Iterator[Receiver]:
    hooks = Receiver(answers)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stopping: list[asyncio.Event] = []

    async def serve() -> None:
        stop = asyncio.Event()
        stopping.append(stop)
        app = web.Application()
        app.router.add_post("/hooks", hooks.handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        hooks.url = f"http://{host}:{port}/hooks"
        started.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    try:
        assert started.wait(10), "the webhook receiver did not start"
        yield hooks
    finally:
        loop.call_soon_threadsafe(stopping[0].set)
        thread.join(10)
        loop.close()


async def test_webhooks_post_each_body_with_the_token_as_configured(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    sent = await send_text(fake, http, participants=[ANN.chat_id])
    fake.deliver(sent)
    posted = fake.post_incoming(TOM.chat_id, text="hi")
    expected = bodies(fake)
    with receiver() as hooks:
        fake.settings.update(webhookUrl=hooks.url, webhookUrlToken="Bearer s3cret")
        deliveries = await fake.send_webhooks()
    assert [(d.status_code, d.error, d.delivered) for d in deliveries] == [(200, None, True)] * 2
    assert [d.notification.body for d in deliveries] == expected
    assert hooks.received == [
        ("Bearer s3cret", "application/json", expected[0]),
        ("Bearer s3cret", "application/json", expected[1]),
    ]
    assert expected[1]["idMessage"] == posted  # type: ignore[index]
    assert fake.notifications == []


async def test_a_webhook_not_answered_2xx_is_sent_again_later(fake: FakeGreenAPI) -> None:
    answers = iter([500, 200, 200])
    first = fake.notify({"typeWebhook": "deviceInfo"})
    second = fake.notify({"typeWebhook": "quotaExceeded"})
    with receiver(lambda: next(answers)) as hooks:
        fake.settings["webhookUrl"] = hooks.url
        failed = await fake.send_webhooks()
        assert [(d.notification.receipt_id, d.status_code) for d in failed] == [
            (first, 500),
            (second, 200),
        ]
        assert [item.receipt_id for item in fake.notifications] == [first]
        again = await fake.send_webhooks()
    assert [(d.notification.receipt_id, d.status_code) for d in again] == [(first, 200)]
    assert [auth for auth, _, _ in hooks.received] == [None, None, None]  # no token set
    assert fake.notifications == []


async def test_a_webhook_that_fails_to_connect_stays_queued(fake: FakeGreenAPI) -> None:
    with receiver() as hooks:
        gone = hooks.url
    fake.settings["webhookUrl"] = gone
    receipt = fake.notify({"typeWebhook": "deviceInfo"})
    [delivery] = await fake.send_webhooks()
    assert (delivery.status_code, delivery.delivered) == (None, False)
    assert delivery.error is not None
    assert delivery.error.startswith("ConnectError")
    assert [item.receipt_id for item in fake.notifications] == [receipt]


async def test_without_a_webhook_url_nothing_is_sent(fake: FakeGreenAPI) -> None:
    fake.notify({"typeWebhook": "deviceInfo"})
    assert await fake.send_webhooks() == []
    assert len(fake.notifications) == 1


async def test_webhooks_go_through_the_client_given(fake: FakeGreenAPI) -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    fake.settings.update(webhookUrl="http://app/hooks", webhookUrlToken="t0k")
    fake.notify({"typeWebhook": "deviceInfo"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(app)) as own:
        [delivery] = await fake.send_webhooks(http_client=own)
        assert not own.is_closed
    assert delivery.delivered
    [request] = seen
    assert (request.method, str(request.url), request.headers["authorization"]) == (
        "POST",
        "http://app/hooks",
        "t0k",
    )
    assert request.content == b'{"typeWebhook": "deviceInfo"}'
