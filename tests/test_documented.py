"""The API as GREEN-API documents it: media extensions, @lid participants, every
field of the getters, quota numbers written as strings, and the warning for a
text status whose white text would not be read."""

from __future__ import annotations

import re
import warnings

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenstatus import (
    AsyncStatusClient,
    GreenStatusWarning,
    InvalidStatusError,
    MediaStatus,
    QuotaExceededError,
    QuotaStatus,
    TextStatus,
    VoiceStatus,
    normalize_chat_id,
)
from greenstatus._media_types import (
    MEDIA_EXTENSIONS,
    REFUSED_MEDIA_EXTENSIONS,
    REFUSED_VOICE_EXTENSIONS,
)

from .conftest import Recorder

pytestmark = pytest.mark.anyio

URL = "https://files.example/status/file"

# GREEN-API's table of supported extensions, as docs/requests.md lists it
# (bmp is in the table; m4v is "supported, with a workaround").
DOCUMENTED_MEDIA = {"jpg", "jpeg", "png", "bmp", "mp4", "mov", "m4v"}


def test_media_extensions_are_the_documented_table() -> None:
    assert MEDIA_EXTENSIONS == DOCUMENTED_MEDIA
    assert not MEDIA_EXTENSIONS & REFUSED_MEDIA_EXTENSIONS.keys()


@pytest.mark.parametrize("extension", sorted(DOCUMENTED_MEDIA))
@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_every_documented_media_extension_is_accepted(extension: str, case: object) -> None:
    name = "clip." + case(extension)  # type: ignore[operator]
    assert MediaStatus(url_file=URL, file_name=name).to_payload()["fileName"] == name


@pytest.mark.parametrize(
    ("extension", "fix"),
    [
        ("gif", ".mp4"),
        ("webp", ".jpg"),
        ("3gp", ".mp4"),
        ("avi", ".mp4"),
        ("mkv", ".mp4"),
        ("webm", ".mp4"),
        ("heic", ".jpg"),
        ("mp3", "voice status"),
        ("wav", "voice status"),
    ],
)
def test_a_refused_media_extension_says_why_and_what_to_send(extension: str, fix: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        MediaStatus(url_file=URL, file_name=f"clip.{extension}")
    assert excinfo.value.field == "file_name"
    assert fix in excinfo.value.problem
    assert REFUSED_MEDIA_EXTENSIONS[extension] in excinfo.value.problem


@pytest.mark.parametrize("extension", sorted(REFUSED_VOICE_EXTENSIONS))
def test_a_refused_voice_extension_points_at_mp3(extension: str) -> None:
    with pytest.raises(InvalidStatusError, match=r"convert it to \.mp3") as excinfo:
        VoiceStatus(url_file=URL, file_name=f"note.{extension}")
    assert excinfo.value.field == "file_name"


def test_an_unknown_extension_lists_what_is_taken() -> None:
    with pytest.raises(InvalidStatusError, match=r"use one of \.bmp, \.jpeg, \.jpg, \.m4v"):
        MediaStatus(url_file=URL, file_name="report.pdf")


@pytest.mark.parametrize("lid", ["120650379300963@lid", "123456@lid", "98765432109876543210@lid"])
def test_lid_chat_ids_are_accepted_as_given(lid: str) -> None:
    status = TextStatus(message="hi", participants=[lid, "79001234567@c.us"])
    assert status.to_payload()["participants"] == [lid, "79001234567@c.us"]
    assert normalize_chat_id(f"  {lid} ") == lid


@pytest.mark.parametrize(
    "bad",
    [
        "@lid",
        "12345@lid",
        "0123456789@lid",
        "12a456789@lid",
        "123456789@LID",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667@lid",  # Arabic-Indic digits
    ],
)
def test_malformed_lid_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", participants=[bad])
    assert excinfo.value.field == "participants[0]"


def _contrast(color: str) -> float:
    """WCAG 2's contrast ratio of white against ``color``, written out anew."""

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("white", ["#FFFFFF", "#ffffff", "#FFFFFE", "#F5F5F5", "#FFFF00"])
def test_a_white_or_light_background_on_a_text_status_warns(white: str) -> None:
    with pytest.warns(GreenStatusWarning, match=re.escape(white)) as record:
        TextStatus(message="hi", background_color=white)
    assert len(record) == 1
    assert "white" in str(record[0].message)
    assert record[0].filename == __file__  # it points at the caller's line


@pytest.mark.parametrize("dark", ["#000000", "#228B22", "#1E3A8A", "#FF0000", "#767676"])
def test_a_dark_background_does_not_warn(dark: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextStatus(message="hi", background_color=dark)


@given(st.from_regex(r"#[0-9A-Fa-f]{6}", fullmatch=True))
def test_the_warning_follows_the_contrast_of_white_text(color: str) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        TextStatus(message="hi", background_color=color)
    warned = any(issubclass(w.category, GreenStatusWarning) for w in record)
    assert warned == (_contrast(color) < 3.0)


def test_a_voice_status_on_white_does_not_warn() -> None:
    # A voice status draws no text: white is GREEN-API's own default there.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VoiceStatus(url_file=URL, file_name="a.mp3", background_color="#FFFFFF")


async def test_send_text_status_on_white_warns_and_still_sends(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    with pytest.warns(GreenStatusWarning):
        await client.send_text_status("hi", background_color="#FFFFFF")
    assert len(recorder.requests) == 1


async def test_outgoing_statuses_carry_every_documented_field(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {
                "type": "outgoing",
                "idMessage": "T1",
                "timestamp": 1700000000,
                "statusMessage": "read",
                "sendByApi": True,
                "typeMessage": "extendedTextMessage",
                "chatId": "status@broadcast",
                "textMessage": "hello",
                "extendedTextMessage": {
                    "text": "hello",
                    "backgroundColor": "#228B22",
                    "font": "SERIF",
                    "participants": ["79001234567@c.us", "120650379300963@lid"],
                },
            },
            {
                "type": "outgoing",
                "idMessage": "M1",
                "timestamp": 1700000001,
                "statusMessage": "delivered",
                "sendByApi": False,
                "typeMessage": "videoMessage",
                "chatId": "status@broadcast",
                "participants": ["79001234567@c.us"],
                "downloadUrl": "https://media/x.mp4",
                "caption": "look",
                "fileName": "x.mp4",
                "jpegThumbnail": "/9j/4AAQ",
                "mimeType": "video/mp4",
            },
        ],
    )
    text, media = await client.get_outgoing_statuses()
    assert (text.participants, text.background_color, text.font, text.text_message) == (
        ("79001234567@c.us", "120650379300963@lid"),
        "#228B22",
        "SERIF",
        "hello",
    )
    assert (text.status_message, text.send_by_api, text.chat_id) == (
        "read",
        True,
        "status@broadcast",
    )
    assert media.participants == ("79001234567@c.us",)
    assert (media.download_url, media.caption, media.file_name) == (
        "https://media/x.mp4",
        "look",
        "x.mp4",
    )
    assert (media.jpeg_thumbnail, media.mime_type, media.send_by_api) == (
        "/9j/4AAQ",
        "video/mp4",
        False,
    )
    assert (media.background_color, media.font) == (None, None)


async def test_an_outgoing_status_to_everyone_has_no_participants(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[{"idMessage": "T1", "timestamp": 1, "typeMessage": "extendedTextMessage"}],
    )
    (status,) = await client.get_outgoing_statuses()
    assert status.participants == ()


async def test_incoming_text_statuses_carry_background_and_font(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {
                "idMessage": "A1",
                "timestamp": 1,
                "typeMessage": "extendedTextMessage",
                "extendedTextMessage": {
                    "text": "hi",
                    "backgroundColor": "#000000",
                    "font": "OSWALD_HEAVY",
                },
            }
        ],
    )
    (status,) = await client.get_incoming_statuses()
    assert (status.text_message, status.background_color, status.font) == (
        "hi",
        "#000000",
        "OSWALD_HEAVY",
    )


async def test_a_statistic_participant_may_be_an_array(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200,
        json=[
            {
                "timestamp": 5,
                "participant": ["79001234567@c.us", "79001234568@c.us"],
                "status": "read",
            },
            {"timestamp": 6, "participant": "79001234569@c.us", "status": "sent"},
        ],
    )
    recipients = await client.get_status_statistic("M1")
    assert [(r.participant, r.status, r.timestamp) for r in recipients] == [
        ("79001234567@c.us", "read", 5),
        ("79001234568@c.us", "read", 5),
        ("79001234569@c.us", "sent", 6),
    ]


@pytest.mark.parametrize(
    ("used", "total"), [("150", "150"), (150, 150), (" 150 ", "150"), (150.0, "150")]
)
async def test_quota_numbers_written_as_strings_are_parsed(
    client: AsyncStatusClient, recorder: Recorder, used: object, total: object
) -> None:
    block = {
        "method": "sendTextStatus",
        "used": used,
        "total": total,
        "status": "QUOTA_EXCEEDED",
        "description": "Monthly quota has been exceeded",
    }
    recorder.responder = lambda request: httpx.Response(
        466, json={"invokeStatus": block, "correspondentsStatus": block}
    )
    with pytest.raises(QuotaExceededError) as excinfo:
        await client.send_text_status("hi")
    expected = QuotaStatus(
        method="sendTextStatus",
        used=150,
        total=150,
        status="QUOTA_EXCEEDED",
        description="Monthly quota has been exceeded",
    )
    assert excinfo.value.invoke_status == expected
    assert excinfo.value.correspondents_status == expected


@pytest.mark.parametrize(
    "odd", ["", "many", "-1", "1.5", "\uff11\uff15\uff10", True, None, [], 1.5]
)
async def test_quota_numbers_that_are_not_whole_numbers_become_none(
    client: AsyncStatusClient, recorder: Recorder, odd: object
) -> None:
    recorder.responder = lambda request: httpx.Response(
        466, json={"invokeStatus": {"used": odd, "total": odd}}
    )
    with pytest.raises(QuotaExceededError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.invoke_status == QuotaStatus()


async def test_numbers_written_as_strings_are_read_wherever_they_come(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "getSettings" in request.url.path:
            return httpx.Response(200, json={"delaySendMessagesMilliseconds": "3000"})
        return httpx.Response(
            200,
            json=[{"timestamp": "1700000000", "participant": "79001234567@c.us", "status": "read"}],
        )

    recorder.responder = answer
    (recipient,) = await client.get_status_statistic("M1")
    assert recipient.timestamp == 1700000000
    assert (await client.get_settings()).delay_send_messages_ms == 3000
