"""What GREEN-API's notification bodies say about statuses, read from bodies in
the shapes its pages document."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable, Container
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenstatus._exceptions import GreenStatusError, NotificationError
from greenstatus._notifications import (
    STATUS_BROADCAST,
    IncomingStatusEvent,
    Notification,
    OutgoingStatusEvent,
    parse_notification,
    parse_queue_item,
)

INSTANCE = {"idInstance": 1101000001, "wid": "79001234560@c.us", "typeInstance": "whatsapp"}
SENDER = {
    "chatId": STATUS_BROADCAST,
    "chatName": "",
    "sender": "79001234567@c.us",
    "senderName": "Anna",
    "senderContactName": "Anna (work)",
}
THUMBNAIL = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEABsbGxscGx4hIR4qLSgtKj04Mj4x"


def incoming(message_data: dict[str, Any], id_message: str = "3EB0C9F1A2B3C4D5E6F7") -> Any:
    return {
        "typeWebhook": "incomingMessageReceived",
        "instanceData": dict(INSTANCE),
        "timestamp": 1710134811,
        "idMessage": id_message,
        "senderData": dict(SENDER),
        "messageData": message_data,
    }


def file_data(url: str, mime_type: str, caption: str = "") -> dict[str, Any]:
    return {
        "downloadUrl": url,
        "caption": caption,
        "fileName": url.rsplit("/", 1)[1],
        "jpegThumbnail": THUMBNAIL,
        "mimeType": mime_type,
        "forwardingScore": 0,
        "isForwarded": False,
    }


MEDIA = "https://sw-media-1101.storage.yandexcloud.net/1101000001/"

TEXT_STATUS = incoming(
    {"typeMessage": "textMessage", "textMessageData": {"textMessage": "Out of office today"}}
)
EXTENDED_STATUS = incoming(
    {
        "typeMessage": "extendedTextMessage",
        "extendedTextMessageData": {
            "text": "Open 9 to 5 this week",
            "description": "",
            "title": "",
            "previewType": "None",
            "jpegThumbnail": "",
            "forwardingScore": 0,
            "isForwarded": False,
            "backgroundColor": "#228B22",
            "font": "SERIF",
        },
    }
)
IMAGE_STATUS = incoming(
    {
        "typeMessage": "imageMessage",
        "fileMessageData": file_data(f"{MEDIA}15697d2c.jpg", "image/jpeg", "New menu"),
    }
)
VIDEO_STATUS = incoming(
    {"typeMessage": "videoMessage", "fileMessageData": file_data(f"{MEDIA}a1b2c3.mp4", "video/mp4")}
)
AUDIO_STATUS = incoming(
    {
        "typeMessage": "audioMessage",
        "fileMessageData": file_data(f"{MEDIA}d4e5f6.oga", "audio/ogg; codecs=opus"),
    }
)
OUTGOING_STATUS = {
    "typeWebhook": "outgoingMessageStatus",
    "chatId": "79001234567@c.us",
    "instanceData": dict(INSTANCE),
    "timestamp": 1710134900,
    "idMessage": "BAE5018000000000",
    "status": "read",
    "sendByApi": True,
}


def event_fields(**fields: object) -> dict[str, object]:
    """An incoming status event's fields: those given, the rest as the sender's."""
    base: dict[str, object] = {
        "id_message": "3EB0C9F1A2B3C4D5E6F7",
        "timestamp": 1710134811,
        "sender": "79001234567@c.us",
        "id_instance": "1101000001",
        "sender_name": "Anna",
        "sender_contact_name": "Anna (work)",
        "text": None,
        "background_color": None,
        "font": None,
        "caption": None,
        "download_url": None,
        "file_name": None,
        "mime_type": None,
        "jpeg_thumbnail": None,
    }
    return {**base, **fields}


def media_fields(type_message: str, name: str, mime_type: str, caption: str) -> dict[str, object]:
    return event_fields(
        type_message=type_message,
        caption=caption,
        download_url=f"{MEDIA}{name}",
        file_name=name,
        mime_type=mime_type,
        jpeg_thumbnail=THUMBNAIL,
    )


INCOMING_CASES: dict[str, tuple[Any, dict[str, object]]] = {
    "text": (TEXT_STATUS, event_fields(type_message="textMessage", text="Out of office today")),
    "extended text": (
        EXTENDED_STATUS,
        event_fields(
            type_message="extendedTextMessage",
            text="Open 9 to 5 this week",
            background_color="#228B22",
            font="SERIF",
        ),
    ),
    "image": (IMAGE_STATUS, media_fields("imageMessage", "15697d2c.jpg", "image/jpeg", "New menu")),
    "video": (VIDEO_STATUS, media_fields("videoMessage", "a1b2c3.mp4", "video/mp4", "")),
    "audio": (
        AUDIO_STATUS,
        media_fields("audioMessage", "d4e5f6.oga", "audio/ogg; codecs=opus", ""),
    ),
}


def attributes(event: IncomingStatusEvent) -> dict[str, object]:
    return {k: v for k, v in attrs.asdict(event, recurse=False).items() if k != "raw"}


@pytest.mark.parametrize(("body", "expected"), INCOMING_CASES.values(), ids=INCOMING_CASES.keys())
def test_a_contacts_status_is_an_incoming_status_event(
    body: Any, expected: dict[str, object]
) -> None:
    event = parse_notification(body)
    assert isinstance(event, IncomingStatusEvent)
    assert attributes(event) == expected
    assert event.raw == body


def test_the_raw_body_is_read_only_and_left_out_of_equality_and_repr() -> None:
    body = copy.deepcopy(TEXT_STATUS)
    event = parse_notification(body)
    assert event is not None
    body["idMessage"] = "changed later"
    assert event.raw["idMessage"] == "3EB0C9F1A2B3C4D5E6F7"
    with pytest.raises(TypeError):
        event.raw["idMessage"] = "x"  # type: ignore[index]
    assert "raw" not in repr(event)
    assert "Out of office today" in repr(event)
    other = parse_notification({**TEXT_STATUS, "extra": 1})
    assert other == event
    assert hash(other) == hash(event)


def test_a_text_message_text_wins_over_extended_text_and_odd_details_read_as_absent() -> None:
    body = incoming(
        {
            "typeMessage": "extendedTextMessage",
            "textMessageData": {"textMessage": "plain"},
            "extendedTextMessageData": {"text": "extended", "backgroundColor": 7, "font": None},
            "fileMessageData": "not an object",
        }
    )
    body["senderData"]["senderName"] = 5
    event = parse_notification(body)
    assert isinstance(event, IncomingStatusEvent)
    assert (event.text, event.background_color, event.font) == ("plain", None, None)
    assert (event.sender_name, event.download_url) == (None, None)


def test_the_instance_id_is_kept_as_digits_and_may_be_absent() -> None:
    for sent, kept in [(1101000001, "1101000001"), ("7103000000", "7103000000"), (None, None)]:
        body = copy.deepcopy(TEXT_STATUS)
        body["instanceData"]["idInstance"] = sent
        event = parse_notification(body)
        assert event is not None
        assert event.id_instance == kept
    without = {key: value for key, value in TEXT_STATUS.items() if key != "instanceData"}
    event = parse_notification(without)
    assert event is not None
    assert event.id_instance is None


def test_an_outgoing_message_status_is_an_event_only_for_a_status_id() -> None:
    event = parse_notification(OUTGOING_STATUS, status_ids={"BAE5018000000000"})
    assert event == OutgoingStatusEvent(
        id_message="BAE5018000000000",
        status="read",
        timestamp=1710134900,
        chat_id="79001234567@c.us",
        send_by_api=True,
        id_instance="1101000001",
    )
    assert isinstance(event, OutgoingStatusEvent)
    assert event.raw == OUTGOING_STATUS
    assert parse_notification(OUTGOING_STATUS, status_ids={"BAE5OTHER"}) is None
    assert parse_notification(OUTGOING_STATUS) is None


def test_every_status_gets_its_event_failed_with_its_description() -> None:
    ids = ["BAE5018000000000"]
    for status in ("sent", "delivered", "read", "failed", "noAccount", "notInGroup", "yellowCard"):
        body = {**OUTGOING_STATUS, "status": status, "description": "why", "sendByApi": "yes"}
        event = parse_notification(body, status_ids=ids)
        assert isinstance(event, OutgoingStatusEvent)
        assert (event.status, event.description, event.send_by_api) == (status, "why", None)


def test_status_ids_as_one_string_is_refused_rather_than_read_as_substrings() -> None:
    with pytest.raises(TypeError, match="status_ids"):
        parse_notification(OUTGOING_STATUS, status_ids="xxBAE5018000000000xx")


OTHER_BODIES: dict[str, dict[str, Any]] = {
    "incoming message from a chat": {
        **TEXT_STATUS,
        "senderData": {**SENDER, "chatId": "79001234567@c.us"},
    },
    "incoming message from a group": {
        **IMAGE_STATUS,
        "senderData": {**SENDER, "chatId": "120363043968066561@g.us"},
    },
    "outgoingMessageReceived": {
        **TEXT_STATUS,
        "typeWebhook": "outgoingMessageReceived",
        "senderData": {**SENDER, "chatId": "79001234567@c.us", "sender": "79001234560@c.us"},
    },
    "outgoingAPIMessageReceived": {
        **EXTENDED_STATUS,
        "typeWebhook": "outgoingAPIMessageReceived",
        "senderData": {**SENDER, "chatId": "79001234567@c.us", "sender": "79001234560@c.us"},
    },
    "outgoingMessageStatus of a message": OUTGOING_STATUS,
    "stateInstanceChanged": {
        "typeWebhook": "stateInstanceChanged",
        "instanceData": INSTANCE,
        "timestamp": 1586700690,
        "stateInstance": "authorized",
    },
    "statusInstanceChanged": {
        "typeWebhook": "statusInstanceChanged",
        "instanceData": INSTANCE,
        "timestamp": 1586700690,
        "statusInstance": "online",
    },
    "deviceInfo": {
        "typeWebhook": "deviceInfo",
        "instanceData": INSTANCE,
        "timestamp": 1586700802,
        "deviceData": {
            "platform": "iphone",
            "deviceManufacturer": "Apple",
            "deviceModel": "iPhone 11",
            "osVersion": "13.4.1",
            "waVersion": "2.20.42",
            "battery": 90,
        },
    },
    "incomingCall": {
        "from": "79001234567@c.us",
        "typeWebhook": "incomingCall",
        "instanceData": INSTANCE,
        "status": "offer",
        "timestamp": 1617693322,
        "idMessage": "DE9B4B28A2E0DD4FA2B39A67E5D5C0E0",
    },
    "incomingBlock": {
        "typeWebhook": "incomingBlock",
        "instanceData": INSTANCE,
        "timestamp": 1586700690,
        "chatId": "79001234567@c.us",
        "chatState": "blocked",
    },
    "quotaExceeded": {
        "typeWebhook": "quotaExceeded",
        "instanceData": INSTANCE,
        "timestamp": 1586700690,
        "quotaData": {
            "method": "correspondents",
            "used": 3,
            "total": 3,
            "status": "CORRESPONDENTS_QUOTA_EXCEEDED",
            "description": "Monthly quota has been exceeded.",
        },
    },
    "a type yet to come": {"typeWebhook": "statusReactionReceived", "anything": [1, {"a": None}]},
    "another type with nothing else": {"typeWebhook": "deviceInfo"},
    "an empty type": {"typeWebhook": ""},
    "a non-status outgoingMessageStatus with odd fields": {
        "typeWebhook": "outgoingMessageStatus",
        "idMessage": "BAE5OTHER",
        "timestamp": "later",
        "status": None,
    },
}


@pytest.mark.parametrize("body", OTHER_BODIES.values(), ids=OTHER_BODIES.keys())
def test_every_other_notification_is_none(body: dict[str, Any]) -> None:
    assert parse_notification(body, status_ids={"BAE5ANY"}) is None


def without(body: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, key = path.split(".")
    target = changed
    for parent in parents:
        target = target[parent]
    del target[key]
    return changed


def replaced(body: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, key = path.split(".")
    target = changed
    for parent in parents:
        target = target[parent]
    target[key] = value
    return changed


INCOMING_REQUIRED = [
    "idMessage",
    "timestamp",
    "senderData.sender",
    "messageData",
    "messageData.typeMessage",
]
WRONG_TYPED: list[tuple[str, object]] = [
    ("idMessage", 12345),
    ("idMessage", ""),
    ("timestamp", "1710134811x"),
    ("timestamp", 1710134811.5),
    ("timestamp", True),
    ("timestamp", None),
    ("senderData.sender", ["79001234567@c.us"]),
    ("messageData", None),
    ("messageData.typeMessage", 1),
    ("instanceData", "1101000001"),
    ("instanceData.idInstance", "11010x"),
    ("instanceData.idInstance", -1),
    ("instanceData.idInstance", False),
]


@pytest.mark.parametrize(
    "body",
    [
        without(TEXT_STATUS, "senderData"),
        without(TEXT_STATUS, "senderData.chatId"),
        replaced(TEXT_STATUS, "senderData", "79001234567@c.us"),
        replaced(TEXT_STATUS, "senderData.chatId", ""),
        replaced(TEXT_STATUS, "senderData.chatId", 79001234567),
    ],
)
def test_a_body_that_does_not_say_it_is_from_status_broadcast_is_no_status(
    body: dict[str, object],
) -> None:
    # Not one: it cannot be told apart from a message of a chat, which is None.
    assert parse_notification(body) is None


@pytest.mark.parametrize("body_id", [None, 5, "absent"])
def test_an_outgoing_status_that_names_no_id_of_yours_is_none(body_id: object) -> None:
    body = (
        without(OUTGOING_STATUS, "idMessage")
        if body_id == "absent"
        else replaced(OUTGOING_STATUS, "idMessage", body_id)
    )
    assert parse_notification(body, status_ids={"BAE5018000000000"}) is None
    assert parse_notification(body) is None


@pytest.mark.parametrize("field", INCOMING_REQUIRED)
def test_an_incoming_status_without_a_needed_field_names_it(field: str) -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_notification(without(TEXT_STATUS, field))
    assert excinfo.value.field == field
    assert "missing" in excinfo.value.problem


@pytest.mark.parametrize(("field", "value"), WRONG_TYPED)
def test_an_incoming_status_with_a_wrong_typed_field_names_it(field: str, value: object) -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_notification(replaced(TEXT_STATUS, field, value))
    assert excinfo.value.field == field
    assert str(excinfo.value).startswith(f"{field}: is ")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", None),
        ("status", 3),
        ("timestamp", None),
        ("timestamp", "1710134900.0"),
        ("instanceData", []),
    ],
)
def test_an_outgoing_status_with_a_wrong_or_missing_field_names_it(
    field: str, value: object
) -> None:
    ids = {"BAE5018000000000"}
    for body in (without(OUTGOING_STATUS, field), replaced(OUTGOING_STATUS, field, value)):
        if field == "instanceData" and field not in body:
            assert parse_notification(body, status_ids=ids) is not None
            continue
        with pytest.raises(NotificationError) as excinfo:
            parse_notification(body, status_ids=ids)
        assert excinfo.value.field == field


@pytest.mark.parametrize("body", [None, [], "{}", 5, [TEXT_STATUS]])
def test_a_body_that_is_not_an_object_is_an_error(body: Any) -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_notification(body)
    assert excinfo.value.field == "body"


@pytest.mark.parametrize("type_webhook", [None, 5, ["incomingMessageReceived"]])
def test_a_body_without_a_string_type_is_an_error(type_webhook: object) -> None:
    for body in ({"typeWebhook": type_webhook}, {"timestamp": 1}):
        with pytest.raises(NotificationError) as excinfo:
            parse_notification(body)
        assert excinfo.value.field == "typeWebhook"


def test_a_message_does_not_show_what_people_wrote() -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_notification(replaced(TEXT_STATUS, "timestamp", "a private note"))
    assert "private" not in str(excinfo.value)
    assert str(excinfo.value) == "timestamp: is a string, expected an integer"


def test_notification_error_is_typed_and_travels() -> None:
    error = NotificationError("senderData.chatId", "is missing, expected a non-empty string")
    assert isinstance(error, GreenStatusError)
    assert isinstance(error, ValueError)
    travels: list[Callable[[Any], Any]] = [
        lambda value: pickle.loads(pickle.dumps(value)),
        copy.copy,
        copy.deepcopy,
    ]
    for travel in travels:
        arrived = travel(error)
        assert type(arrived) is NotificationError
        assert (arrived.args, vars(arrived)) == (error.args, vars(error))
        assert (arrived.field, arrived.problem) == (error.field, error.problem)


def test_events_and_notifications_travel() -> None:
    values: list[object] = [
        parse_notification(IMAGE_STATUS),
        parse_notification(OUTGOING_STATUS, status_ids={"BAE5018000000000"}),
        parse_queue_item({"receiptId": 7, "body": EXTENDED_STATUS}),
    ]
    for value in values:
        for arrived in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
            assert arrived == value
            assert getattr(arrived, "raw", None) == getattr(value, "raw", None)


# receiveNotification items


def test_a_queue_item_is_a_notification_with_its_status_event() -> None:
    item = {"receiptId": 1234567, "body": copy.deepcopy(VIDEO_STATUS)}
    notification = parse_queue_item(item)
    assert notification == Notification(
        receipt_id=1234567,
        type_webhook="incomingMessageReceived",
        body=VIDEO_STATUS,
        status_event=parse_notification(VIDEO_STATUS),
    )
    assert isinstance(notification.status_event, IncomingStatusEvent)
    item["body"]["idMessage"] = "changed later"
    assert notification.body["idMessage"] == "3EB0C9F1A2B3C4D5E6F7"
    with pytest.raises(TypeError):
        notification.body["idMessage"] = "x"  # type: ignore[index]
    again = parse_queue_item({"receiptId": 1234567, "body": VIDEO_STATUS})
    assert hash(again) == hash(notification)


@pytest.mark.parametrize("body", OTHER_BODIES.values(), ids=OTHER_BODIES.keys())
def test_a_queue_item_of_another_kind_has_no_status_event(body: dict[str, Any]) -> None:
    notification = parse_queue_item({"receiptId": 5, "body": body})
    assert (notification.receipt_id, notification.status_event) == (5, None)
    assert notification.type_webhook == body["typeWebhook"]
    assert notification.body == body


def test_a_queue_item_passes_status_ids_on() -> None:
    item = {"receiptId": 9, "body": OUTGOING_STATUS}
    assert parse_queue_item(item).status_event is None
    event = parse_queue_item(item, status_ids={"BAE5018000000000"}).status_event
    assert isinstance(event, OutgoingStatusEvent)
    assert event.status == "read"


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (None, "item"),
        ([], "item"),
        ({"body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": 0, "body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": -3, "body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": "abc", "body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": True, "body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": 1.5, "body": TEXT_STATUS}, "receiptId"),
        ({"receiptId": 1}, "body"),
        ({"receiptId": 1, "body": None}, "body"),
        ({"receiptId": 1, "body": [TEXT_STATUS]}, "body"),
        ({"receiptId": 1, "body": {"timestamp": 1}}, "body.typeWebhook"),
        ({"receiptId": 1, "body": without(TEXT_STATUS, "idMessage")}, "body.idMessage"),
        (
            {"receiptId": 1, "body": replaced(TEXT_STATUS, "senderData.sender", 7)},
            "body.senderData.sender",
        ),
    ],
)
def test_a_malformed_queue_item_names_the_field(item: object, field: str) -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_queue_item(item)
    assert excinfo.value.field == field


# Properties

TYPES = [
    "incomingMessageReceived",
    "outgoingMessageReceived",
    "outgoingAPIMessageReceived",
    "outgoingMessageStatus",
    "stateInstanceChanged",
    "statusInstanceChanged",
    "deviceInfo",
    "incomingCall",
    "incomingBlock",
    "quotaExceeded",
]
STATUS_TYPES = {"incomingMessageReceived", "outgoingMessageStatus"}
IDS = {"ID1", "ID2"}

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return value | json_values


SHAPED_KEYS = {
    "typeWebhook",
    "idMessage",
    "timestamp",
    "status",
    "instanceData",
    "senderData",
    "messageData",
}
shaped_bodies = st.fixed_dictionaries(
    {},
    optional={
        "typeWebhook": maybe(st.sampled_from(TYPES)),
        "idMessage": maybe(st.sampled_from(sorted(IDS))),
        "timestamp": maybe(st.integers()),
        "status": maybe(st.sampled_from(["sent", "read"])),
        "instanceData": maybe(
            st.fixed_dictionaries({}, optional={"idInstance": maybe(st.integers())})
        ),
        "senderData": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "chatId": maybe(st.just(STATUS_BROADCAST)),
                    "sender": json_values,
                    "senderName": json_values,
                },
            )
        ),
        "messageData": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "typeMessage": json_values,
                    "textMessageData": json_values,
                    "extendedTextMessageData": json_values,
                    "fileMessageData": json_values,
                },
            )
        ),
    },
)
any_bodies = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def outcome(body: Any, status_ids: Container[str]) -> object:
    try:
        return parse_notification(body, status_ids=status_ids)
    except NotificationError as error:
        return error


@settings(max_examples=500, deadline=None)
@given(body=shaped_bodies | any_bodies | json_values)
def test_any_json_is_an_event_none_or_a_notification_error(body: Any) -> None:
    result = outcome(body, IDS)
    assert result is None or isinstance(
        result, (IncomingStatusEvent, OutgoingStatusEvent, NotificationError)
    )
    if isinstance(result, NotificationError):
        assert result.field.split(".")[0] in {"body", *SHAPED_KEYS}


other_types = st.sampled_from(sorted(set(TYPES) - STATUS_TYPES)) | st.text().filter(
    lambda name: name not in STATUS_TYPES
)
not_status_chat = st.text(min_size=1).filter(lambda chat: chat != STATUS_BROADCAST)


@settings(max_examples=500, deadline=None)
@given(
    rest=any_bodies,
    type_webhook=other_types,
    chat_id=not_status_chat,
    sender_data=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    id_message=st.text(min_size=1).filter(lambda id_message: id_message not in IDS),
    kind=st.sampled_from(["other type", "chat message", "message status"]),
)
def test_well_formed_bodies_of_other_kinds_never_raise(
    rest: dict[str, Any],
    type_webhook: str,
    chat_id: str,
    sender_data: dict[str, Any],
    id_message: str,
    kind: str,
) -> None:
    if kind == "other type":
        body = {**rest, "typeWebhook": type_webhook}
    elif kind == "chat message":
        body = {
            **rest,
            "typeWebhook": "incomingMessageReceived",
            "senderData": {**sender_data, "chatId": chat_id},
        }
    else:
        body = {**rest, "typeWebhook": "outgoingMessageStatus", "idMessage": id_message}
    assert parse_notification(body, status_ids=IDS) is None
    assert parse_queue_item({"receiptId": 1, "body": body}, status_ids=IDS).status_event is None
