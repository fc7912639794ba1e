"""Participants typed as phone numbers must be numbers someone can have: a
national number without its country code reaches no one, and is refused."""

from __future__ import annotations

import pytest

from greenstatus import InvalidStatusError, TextStatus, VoiceStatus, normalize_chat_id

VALID = [
    ("+7 900 123-45-67", "79001234567@c.us"),  # Russia, mobile
    ("+44 7911 123456", "447911123456@c.us"),  # United Kingdom, mobile
    ("+44 20 7946 0958", "442079460958@c.us"),  # London, fixed line
    ("+1 (202) 555-0123", "12025550123@c.us"),  # United States
    ("4915112345678", "4915112345678@c.us"),  # Germany, no plus
    ("+33 6 12 34 56 78", "33612345678@c.us"),  # France
    ("+86 138 0013 8000", "8613800138000@c.us"),  # China
    ("+234 803 123 4567", "2348031234567@c.us"),  # Nigeria
    ("+55 11 98765-4321", "5511987654321@c.us"),  # Brazil
    ("+91 98765 43210", "919876543210@c.us"),  # India
]

NOT_A_NUMBER_ANYWHERE = [
    "900 123 45 67",  # Russian national number: read as +90 (Turkey) 01234567
    "9001234567",
    "8 900 123 45 67",  # with the Russian trunk prefix
    "89001234567",
    "07911 123456",  # British national form
    "+1 555 010 9999",  # 555 is no US area code
    "+44 7700 900123",  # a range kept for drama, never assigned
    "+7 000 000 00 00",
]

# Chat ids given as chat ids are taken as they are: the number may be one the
# metadata does not know yet, and the sender asked for that chat id.
CHAT_IDS = ["9001234567@c.us", "447700900123@c.us", "15550109999@c.us", "120650379300963@lid"]


@pytest.mark.parametrize(("typed", "chat_id"), VALID)
def test_a_valid_number_becomes_its_chat_id(typed: str, chat_id: str) -> None:
    assert normalize_chat_id(typed) == chat_id
    assert TextStatus(message="hi", participants=[typed]).participants == (chat_id,)


@pytest.mark.parametrize("typed", NOT_A_NUMBER_ANYWHERE)
def test_a_number_no_one_can_have_is_refused_with_the_fix(typed: str) -> None:
    with pytest.raises(InvalidStatusError) as caught:
        VoiceStatus(
            url_file="https://files.example/a.mp3",
            file_name="a.mp3",
            participants=["79001234567@c.us", typed],
        )
    assert caught.value.field == "participants[1]"
    assert "country code first" in caught.value.problem
    assert "79001234567@c.us" in caught.value.problem  # the chat id form, for a new number


@pytest.mark.parametrize("chat_id", CHAT_IDS)
def test_a_chat_id_stays_as_it_is(chat_id: str) -> None:
    assert normalize_chat_id(chat_id) == chat_id
