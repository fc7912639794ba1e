"""Every method's exact request on the wire, and how its answer is read."""

from __future__ import annotations

import json

import httpx
import pytest

from greenstatus import (
    AsyncStatusClient,
    Font,
    IncomingStatus,
    MediaStatus,
    OutgoingStatus,
    SentStatus,
    StatusRecipient,
    TextStatus,
    VoiceStatus,
)

from .conftest import API_URL, ID_INSTANCE, TOKEN, Recorder, url_of

pytestmark = pytest.mark.anyio

VOICE_URL = "https://my.site.com/horse.mp3"


def only_request(recorder: Recorder) -> httpx.Request:
    assert len(recorder.requests) == 1
    return recorder.requests[0]


def assert_json_post(request: httpx.Request, method: str, body: dict[str, object]) -> None:
    assert request.method == "POST"
    assert str(request.url) == url_of(method)
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == body


async def test_send_voice_status_posts_the_documented_body(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    sent = await client.send(
        VoiceStatus(
            url_file=VOICE_URL,
            file_name="horse.mp3",
            background_color="#228B22",
            participants=["70000001234@c.us"],
        )
    )
    assert sent == SentStatus("3EB0C767D097B7C7C030")
    assert_json_post(
        only_request(recorder),
        "sendVoiceStatus",
        {
            "urlFile": VOICE_URL,
            "fileName": "horse.mp3",
            "backgroundColor": "#228B22",
            "participants": ["70000001234@c.us"],
        },
    )


async def test_send_text_status_posts_the_documented_body(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    await client.send_text_status("hello", background_color="#1E3A8A", font=Font.NORICAN_REGULAR)
    assert_json_post(
        only_request(recorder),
        "sendTextStatus",
        {"message": "hello", "backgroundColor": "#1E3A8A", "font": "NORICAN_REGULAR"},
    )


async def test_send_media_status_posts_the_documented_body(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    await client.send_media_status(
        "https://my.site.com/horse.png", "horse.png", caption="Little horse"
    )
    assert_json_post(
        only_request(recorder),
        "sendMediaStatus",
        {
            "urlFile": "https://my.site.com/horse.png",
            "fileName": "horse.png",
            "caption": "Little horse",
        },
    )


@pytest.mark.parametrize(
    ("status", "twin"),
    [
        (
            TextStatus(message="m", font="SERIF", participants=["+7 900 123 45 67"]),
            (
                "send_text_status",
                {"message": "m", "font": "SERIF", "participants": ["+7 900 123 45 67"]},
            ),
        ),
        (
            VoiceStatus(url_file=VOICE_URL, file_name="a.wav", background_color="#000000"),
            (
                "send_voice_status",
                {"url_file": VOICE_URL, "file_name": "a.wav", "background_color": "#000000"},
            ),
        ),
        (
            MediaStatus(url_file=VOICE_URL, file_name="a.jpg", caption="c"),
            ("send_media_status", {"url_file": VOICE_URL, "file_name": "a.jpg", "caption": "c"}),
        ),
    ],
)
async def test_keyword_twins_send_exactly_what_the_objects_send(
    client: AsyncStatusClient,
    recorder: Recorder,
    status: TextStatus | VoiceStatus | MediaStatus,
    twin: tuple[str, dict[str, object]],
) -> None:
    await client.send(status)
    name, kwargs = twin
    await getattr(client, name)(**kwargs)
    first, second = recorder.requests
    assert (first.method, first.url, first.content) == (second.method, second.url, second.content)


async def test_delete_status_posts_the_id_and_returns_none(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(200)
    await client.delete_status("BAE5F4886F0D4B5A")  # typed -> None: nothing to read back
    assert_json_post(only_request(recorder), "deleteStatus", {"idMessage": "BAE5F4886F0D4B5A"})


async def test_get_status_statistic_sends_id_message_in_the_query(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {"timestamp": 1700000000, "participant": "79001234567@c.us", "status": "read"},
            {
                "timestamp": 1700000001,
                "participant": "79001234568@c.us",
                "status": "sent",
                "extra": 1,
            },
        ],
    )
    recipients = await client.get_status_statistic("BAE5F4886F0D4B5A")
    request = only_request(recorder)
    assert request.method == "GET"
    assert request.url.path == f"/waInstance{ID_INSTANCE}/getStatusStatistic/{TOKEN}"
    assert dict(request.url.params) == {"idMessage": "BAE5F4886F0D4B5A"}
    assert request.content == b""
    assert recipients == [
        StatusRecipient(participant="79001234567@c.us", status="read", timestamp=1700000000),
        StatusRecipient(participant="79001234568@c.us", status="sent", timestamp=1700000001),
    ]
    assert recipients[1].raw["extra"] == 1


@pytest.mark.parametrize(
    ("method_name", "api_method"),
    [
        ("get_incoming_statuses", "getIncomingStatuses"),
        ("get_outgoing_statuses", "getOutgoingStatuses"),
    ],
)
async def test_getters_send_minutes_in_the_query_only_when_given(
    client: AsyncStatusClient, recorder: Recorder, method_name: str, api_method: str
) -> None:
    recorder.responder = lambda request: httpx.Response(200, json=[])
    getter = getattr(client, method_name)
    assert await getter() == []
    assert await getter(minutes=30) == []
    without, with_minutes = recorder.requests
    for request in recorder.requests:
        assert request.method == "GET"
        assert request.url.path == f"/waInstance{ID_INSTANCE}/{api_method}/{TOKEN}"
        assert request.content == b""
    assert without.url.query == b""
    assert dict(with_minutes.url.params) == {"minutes": "30"}


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "60"])
async def test_minutes_must_be_a_positive_whole_number(
    client: AsyncStatusClient, recorder: Recorder, bad: object
) -> None:
    with pytest.raises(ValueError, match="minutes"):
        await client.get_outgoing_statuses(bad)  # type: ignore[arg-type]
    assert recorder.requests == []


@pytest.mark.parametrize("bad", ["", "  ", None])
async def test_id_message_must_be_given(
    client: AsyncStatusClient, recorder: Recorder, bad: object
) -> None:
    with pytest.raises(ValueError, match="id_message"):
        await client.delete_status(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="id_message"):
        await client.get_status_statistic(bad)  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_incoming_statuses_are_typed_and_keep_unknown_fields(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {
                "type": "incoming",
                "idMessage": "A1",
                "timestamp": 1700000000,
                "typeMessage": "extendedTextMessage",
                "chatId": "status@broadcast",
                "senderId": "79001234567@c.us",
                "senderName": "Ann",
                "senderContactName": "Ann B.",
                "extendedTextMessage": {"text": "hello", "backgroundColor": "#FFFFFF"},
                "newField": {"x": 1},
            },
            {
                "type": "incoming",
                "idMessage": "A2",
                "timestamp": 1700000001,
                "typeMessage": "imageMessage",
                "senderId": "79001234567@c.us",
                "downloadUrl": "https://media/x.jpg",
                "caption": "look",
                "fileName": "x.jpg",
                "mimeType": "image/jpeg",
            },
        ],
    )
    first, second = await client.get_incoming_statuses()
    assert isinstance(first, IncomingStatus)
    assert (first.id_message, first.timestamp, first.type_message) == (
        "A1",
        1700000000,
        "extendedTextMessage",
    )
    assert (first.chat_id, first.sender_id, first.sender_name, first.sender_contact_name) == (
        "status@broadcast",
        "79001234567@c.us",
        "Ann",
        "Ann B.",
    )
    assert first.text_message == "hello"
    assert first.raw["newField"] == {"x": 1}
    assert (second.download_url, second.caption, second.file_name, second.mime_type) == (
        "https://media/x.jpg",
        "look",
        "x.jpg",
        "image/jpeg",
    )
    assert second.text_message is None


async def test_outgoing_statuses_are_typed(client: AsyncStatusClient, recorder: Recorder) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {
                "type": "outgoing",
                "idMessage": "B1",
                "timestamp": 1700000002,
                "typeMessage": "audioMessage",
                "chatId": "status@broadcast",
                "statusMessage": "read",
                "sendByApi": True,
                "fileMessageData": {
                    "downloadUrl": "https://media/v.mp3",
                    "fileName": "v.mp3",
                    "mimeType": "audio/mpeg",
                },
            },
        ],
    )
    [status] = await client.get_outgoing_statuses(minutes=60)
    assert isinstance(status, OutgoingStatus)
    assert (status.type, status.id_message, status.type_message) == (
        "outgoing",
        "B1",
        "audioMessage",
    )
    assert (status.status_message, status.send_by_api) == ("read", True)
    assert (status.download_url, status.file_name, status.mime_type) == (
        "https://media/v.mp3",
        "v.mp3",
        "audio/mpeg",
    )


async def test_api_url_may_have_a_trailing_slash_or_a_path_prefix(recorder: Recorder) -> None:
    for api_url in (API_URL + "/", "https://proxy.example/green/"):
        async with AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=api_url, transport=httpx.MockTransport(recorder)
        ) as status_client:
            await status_client.send_text_status("hi")
    first, second = recorder.requests
    assert str(first.url) == url_of("sendTextStatus")
    assert str(second.url) == (
        f"https://proxy.example/green/waInstance{ID_INSTANCE}/sendTextStatus/{TOKEN}"
    )


async def test_send_refuses_what_is_not_a_status(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    with pytest.raises(TypeError, match="dict"):
        await client.send({"message": "hi"})  # type: ignore[arg-type]
    assert recorder.requests == []


async def test_keyword_twins_validate_before_sending(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    with pytest.raises(ValueError, match="file_name"):
        await client.send_voice_status(VOICE_URL, "horse.ogg")
    assert recorder.requests == []
