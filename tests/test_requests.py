"""The request objects: validation at construction, and their exact JSON bodies."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from greenstatus import (
    Font,
    GreenStatusError,
    InvalidStatusError,
    MediaStatus,
    TextStatus,
    VoiceStatus,
    normalize_chat_id,
)

URL = "https://my.site.com/img/horse.mp3"


def field_of(excinfo: pytest.ExceptionInfo[InvalidStatusError]) -> str:
    return excinfo.value.field


def test_text_payload_has_every_field_in_camel_case() -> None:
    status = TextStatus(
        message="I use Green-API",
        background_color="#228B22",
        font=Font.SERIF,
        participants=["70000001234@c.us", "440000001234@c.us"],
    )
    assert status.to_payload() == {
        "message": "I use Green-API",
        "backgroundColor": "#228B22",
        "font": "SERIF",
        "participants": ["70000001234@c.us", "440000001234@c.us"],
    }


def test_voice_payload_matches_the_documented_example() -> None:
    status = VoiceStatus(
        url_file=URL,
        file_name="horse.mp3",
        background_color="#228B22",
        participants=["70000001234@c.us", "440000001234@c.us"],
    )
    assert status.to_payload() == {
        "urlFile": URL,
        "fileName": "horse.mp3",
        "backgroundColor": "#228B22",
        "participants": ["70000001234@c.us", "440000001234@c.us"],
    }


def test_media_payload_matches_the_documented_example() -> None:
    status = MediaStatus(
        url_file="https://my.site.com/img/horse.png",
        file_name="horse.png",
        caption="Little horse",
        participants=["70000001234@c.us"],
    )
    assert status.to_payload() == {
        "urlFile": "https://my.site.com/img/horse.png",
        "fileName": "horse.png",
        "caption": "Little horse",
        "participants": ["70000001234@c.us"],
    }


def test_unset_fields_and_empty_participants_are_left_out() -> None:
    assert TextStatus(message="hi").to_payload() == {"message": "hi"}
    assert VoiceStatus(url_file=URL, file_name="a.wav", participants=[]).to_payload() == {
        "urlFile": URL,
        "fileName": "a.wav",
    }
    assert MediaStatus(url_file=URL, file_name="a.mp4").to_payload() == {
        "urlFile": URL,
        "fileName": "a.mp4",
    }


def test_an_empty_caption_is_sent_as_given() -> None:
    status = MediaStatus(url_file=URL, file_name="a.jpg", caption="")
    assert status.to_payload()["caption"] == ""


def test_objects_are_frozen_slotted_and_keyword_only() -> None:
    status = TextStatus(message="hi")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        status.message = "changed"  # type: ignore[misc]
    assert not hasattr(status, "__dict__")
    with pytest.raises(TypeError):
        TextStatus("hi")  # type: ignore[call-arg]


def test_participants_become_a_tuple() -> None:
    status = TextStatus(message="hi", participants=["79001234567@c.us"])
    assert status.participants == ("79001234567@c.us",)


def test_phone_numbers_are_normalised_and_duplicates_dropped_in_order() -> None:
    status = TextStatus(
        message="hi",
        participants=[
            "+7 900 123-45-67",
            "447911123456@c.us",
            "7 (900) 123 45 67",
            "79001234567@c.us",
            "44.7911.123456",
        ],
    )
    assert status.participants == ("79001234567@c.us", "447911123456@c.us")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 900 123-45-67", "79001234567@c.us"),
        ("79001234567", "79001234567@c.us"),
        ("  79001234567@c.us ", "79001234567@c.us"),
        ("+1 (202) 555-0123", "12025550123@c.us"),
    ],
)
def test_normalize_chat_id(raw: str, expected: str) -> None:
    assert normalize_chat_id(raw) == expected


@pytest.mark.parametrize(
    "bad",
    ["", "hello", "123", "+7 900 123-45-67 ext 5", "79001234567@g.us", "abc@c.us", "0123456789"],
)
def test_a_bad_participant_is_named_by_its_index(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", participants=["79001234567@c.us", bad])
    assert field_of(excinfo) == "participants[1]"
    assert str(excinfo.value).startswith("participants[1]: ")


def test_a_single_string_is_not_taken_as_a_list_of_participants() -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", participants="79001234567@c.us")
    assert field_of(excinfo) == "participants"


def test_a_participant_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", participants=[79001234567])  # type: ignore[list-item]
    assert field_of(excinfo) == "participants[0]"


def test_message_length_is_1_to_500() -> None:
    assert TextStatus(message="x" * 500).message == "x" * 500
    for bad in ("", "x" * 501):
        with pytest.raises(InvalidStatusError) as excinfo:
            TextStatus(message=bad)
        assert field_of(excinfo) == "message"


def test_message_must_be_a_string() -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message=b"hi")  # type: ignore[arg-type]
    assert field_of(excinfo) == "message"


def test_caption_is_at_most_1024() -> None:
    assert MediaStatus(url_file=URL, file_name="a.jpg", caption="c" * 1024).caption
    with pytest.raises(InvalidStatusError) as excinfo:
        MediaStatus(url_file=URL, file_name="a.jpg", caption="c" * 1025)
    assert field_of(excinfo) == "caption"
    assert "1025" in str(excinfo.value)


@pytest.mark.parametrize("bad", ["228B22", "#228B2", "#228B22F", "#GGGGGG", "red", ""])
def test_colours_must_be_hex_rrggbb(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", background_color=bad)
    assert field_of(excinfo) == "background_color"
    with pytest.raises(InvalidStatusError) as excinfo:
        VoiceStatus(url_file=URL, file_name="a.mp3", background_color=bad)
    assert field_of(excinfo) == "background_color"


def test_font_accepts_the_enum_or_its_name() -> None:
    assert TextStatus(message="hi", font="OSWALD_HEAVY").font is Font.OSWALD_HEAVY
    assert [font.value for font in Font] == [
        "SERIF",
        "SANS_SERIF",
        "NORICAN_REGULAR",
        "BRYNDAN_WRITE",
        "OSWALD_HEAVY",
    ]
    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", font="COMIC_SANS")
    assert field_of(excinfo) == "font"


@pytest.mark.parametrize(
    "bad", ["horse.mp3", "/img/horse.mp3", "ftp://host/a.mp3", "https://", "https://h/a b.mp3"]
)
def test_url_file_must_be_an_absolute_http_url(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        VoiceStatus(url_file=bad, file_name="a.mp3")
    assert field_of(excinfo) == "url_file"


@pytest.mark.parametrize("bad", ["horse", "dir/horse.mp3", "..\\horse.mp3", ".mp3", "horse.ogg"])
def test_voice_file_name_is_a_bare_mp3_or_wav_name(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        VoiceStatus(url_file=URL, file_name=bad)
    assert field_of(excinfo) == "file_name"


def test_extensions_are_case_insensitive() -> None:
    assert VoiceStatus(url_file=URL, file_name="HORSE.MP3").file_name == "HORSE.MP3"
    assert MediaStatus(url_file=URL, file_name="clip.MP4").file_name == "clip.MP4"


@pytest.mark.parametrize("bad", ["song.mp3", "doc.pdf", "noext"])
def test_media_file_name_is_a_picture_or_video(bad: str) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        MediaStatus(url_file=URL, file_name=bad)
    assert field_of(excinfo) == "file_name"


def test_invalid_status_error_is_a_value_error_and_a_greenstatus_error() -> None:
    with pytest.raises(ValueError, match="message"):
        TextStatus(message="")
    assert issubclass(InvalidStatusError, GreenStatusError)


def test_evolve_validates_the_variant() -> None:
    status = TextStatus(message="hi")
    assert attrs.evolve(status, message="bye").message == "bye"
    with pytest.raises(InvalidStatusError):
        attrs.evolve(status, message="")


def test_equal_requests_are_equal_and_hashable() -> None:
    first = VoiceStatus(url_file=URL, file_name="a.mp3", participants=["+7 900 123 45 67"])
    second = VoiceStatus(url_file=URL, file_name="a.mp3", participants=["79001234567@c.us"])
    assert first == second
    assert len({first, second}) == 1


# -- the participants limit counts the distinct chat ids sent ----------------------------

MANY = [f"7900{n:07d}@c.us" for n in range(5000)]


def test_5000_distinct_participants_and_a_duplicate_are_taken_and_sent_once_each() -> None:
    status = TextStatus(message="hi", participants=[*MANY, MANY[17]])
    payload = status.to_payload()
    assert payload["participants"] == MANY  # the duplicate is not sent twice
    assert isinstance(status.participants, tuple)
    assert len(status.participants) == 5000


def test_two_spellings_of_one_number_count_once_towards_the_limit() -> None:
    spelled = "+7 900 000-00-17"  # MANY[17] as a phone number
    status = VoiceStatus(url_file=URL, file_name="a.mp3", participants=[*MANY, spelled])
    assert status.participants == tuple(MANY)


def test_5001_distinct_participants_are_refused_naming_the_first_over() -> None:
    extra = [*MANY[:100], *MANY[:100], *MANY[100:], "447700900123@c.us"]
    with pytest.raises(InvalidStatusError) as excinfo:
        MediaStatus(url_file=URL, file_name="a.jpg", participants=extra)
    assert field_of(excinfo) == "participants"
    assert excinfo.value.problem == (
        "more than 5000 distinct chat ids (participants[5100] is number 5001); send in batches"
    )


def test_an_endless_iterable_of_one_participant_is_refused() -> None:
    def endless() -> Iterator[str]:
        while True:
            yield "79001234567@c.us"

    with pytest.raises(InvalidStatusError) as excinfo:
        TextStatus(message="hi", participants=endless())
    assert field_of(excinfo) == "participants"
    assert excinfo.value.problem == "more than 50000 entries; list each chat id once"


def test_the_white_space_around_a_participant_does_not_count_towards_its_length() -> None:
    padded = " " * 100 + "79001234567@c.us" + "\t" * 100
    status = TextStatus(message="hi", participants=[padded])
    assert status.participants == ("79001234567@c.us",)
    with pytest.raises(InvalidStatusError, match="is 65 characters long") as excinfo:
        TextStatus(message="hi", participants=[" " + "7" * 65 + " "])
    assert field_of(excinfo) == "participants[0]"
