"""Who a status reaches: get_contacts, check_audience, check_audience=True and
ALL_CONTACTS, against the fake GREEN-API in process and served on loopback."""

from __future__ import annotations

import json
import pickle
from functools import partial

import anyio
import pytest

import greenstatus
from greenstatus import (
    ALL_CONTACTS,
    AsyncStatusClient,
    Audience,
    AudienceError,
    AuthenticationError,
    Contact,
    InvalidStatusError,
    MediaStatus,
    TextStatus,
    VoiceStatus,
)
from greenstatus.testing import FakeClock, FakeGreenAPI

from .conftest import fake_client, served_client

pytestmark = pytest.mark.anyio

ANN = Contact("79001234567@c.us", "Ann", "Ann Smith", "user")
BOB = Contact("79001234568@c.us", "Bob", "", "user")  # not saved with a name
CLUB = Contact("120363043968066561@g.us", "Club", "", "group")
NOBODY = "79001234569@c.us"  # among no one's contacts


def named(count: int, start: int = 0) -> list[Contact]:
    return [
        Contact(f"7901{index:07d}@c.us", f"p{index}", f"Person {index}")
        for index in range(start, start + count)
    ]


def contact_requests(fake: FakeGreenAPI) -> int:
    return sum(1 for request in fake.requests if request.api_method == "getContacts")


def sends(fake: FakeGreenAPI) -> int:
    return sum(1 for request in fake.requests if (request.api_method or "").startswith("send"))


# -- the rule, as get_contacts and check_audience read it ---------------------------


async def test_get_contacts_reads_the_wire_form_in_order() -> None:
    fake = FakeGreenAPI(contacts=[ANN, BOB, CLUB])
    async with fake_client(fake) as client:
        contacts = await client.get_contacts()
    assert contacts == (ANN, BOB, CLUB)
    assert [contact.type for contact in contacts] == ["user", "user", "group"]
    assert contact_requests(fake) == 1


async def test_the_first_1024_named_contacts_are_reached_and_the_1025th_is_not() -> None:
    people = named(1025)
    fake = FakeGreenAPI(contacts=[BOB, *people[:500], CLUB, *people[500:]])
    async with fake_client(fake, rate_limits=None) as client:
        audience = await client.check_audience()
    assert audience.reached == tuple(person.chat_id for person in people[:1024])
    assert audience.beyond_limit == (people[1024].chat_id,)
    assert audience.unnamed == (BOB.chat_id,)
    assert audience.groups == (CLUB.chat_id,)
    assert audience.unknown == ()
    assert (audience.contacts, audience.named) == (1027, 1025)


async def test_participants_are_matched_by_number_and_each_gets_its_reason() -> None:
    people = named(1025)
    fake = FakeGreenAPI(contacts=[ANN, BOB, CLUB, *people])
    async with fake_client(fake, rate_limits=None) as client:
        audience = await client.check_audience(
            [
                "+7 900 123-45-67",  # Ann, by number
                BOB.chat_id,
                NOBODY,
                CLUB.chat_id,
                people[1022].chat_id,  # the 1024th named (Ann is the first)
                people[1023].chat_id,  # the 1025th
                "79001234567@c.us",  # Ann again, as a chat id: listed once
            ]
        )
    assert audience == Audience(
        reached=("79001234567@c.us", people[1022].chat_id),
        unnamed=(BOB.chat_id,),
        beyond_limit=(people[1023].chat_id,),
        unknown=(NOBODY,),
        groups=(CLUB.chat_id,),
        contacts=1028,
        named=1026,
    )
    assert audience.missed == (
        (BOB.chat_id, "unnamed"),
        (people[1023].chat_id, "beyond_limit"),
        (NOBODY, "unknown"),
        (CLUB.chat_id, "groups"),
    )


async def test_a_bad_participant_is_refused_before_anything_is_asked() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake) as client:
        with pytest.raises(InvalidStatusError) as caught:
            await client.check_audience([ANN.chat_id, "900 123 45 67"])
        with pytest.raises(InvalidStatusError) as single:
            await client.check_audience("79001234567")  # a str is no list of chat ids
    assert caught.value.field == "participants[1]"
    assert single.value.field == "participants"
    assert contact_requests(fake) == 0


async def test_an_empty_answer_is_asked_again(clock: FakeClock) -> None:
    fake = FakeGreenAPI(contacts=[ANN], clock=clock.now)
    fake.empty_contacts_next(times=2)
    async with fake_client(fake, clock=clock) as client:
        contacts = await client.get_contacts()
    assert contacts == (ANN,)
    assert contact_requests(fake) == 3  # two empty answers, then the list


async def test_an_answer_that_stays_empty_is_an_empty_tuple_and_is_not_kept(
    clock: FakeClock,
) -> None:
    fake = FakeGreenAPI(contacts=[ANN], clock=clock.now)
    fake.empty_contacts_next(times=3)
    async with fake_client(fake, clock=clock) as client:
        assert await client.get_contacts() == ()
        # Not remembered: the next question asks again, and gets the list.
        audience = await client.check_audience()
    assert audience.reached == (ANN.chat_id,)
    assert contact_requests(fake) == 4


# -- check_audience=True ------------------------------------------------------------


@pytest.mark.parametrize(
    ("participant", "reason"),
    [(BOB.chat_id, "unnamed"), (NOBODY, "unknown")],
)
async def test_check_audience_refuses_with_nothing_sent(participant: str, reason: str) -> None:
    fake = FakeGreenAPI(contacts=[ANN, BOB, CLUB])
    async with fake_client(fake, check_audience=True) as client:
        with pytest.raises(AudienceError) as caught:
            await client.send_text_status("hi", participants=[ANN.chat_id, participant])
    error = caught.value
    assert isinstance(error, InvalidStatusError)
    assert (error.field, error.reason, error.chat_id) == ("participants[1]", reason, participant)
    assert sends(fake) == 0
    assert fake.statuses == []


async def test_beyond_the_limit_is_refused() -> None:
    people = named(1025)
    fake = FakeGreenAPI(contacts=people)
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        await client.send_text_status("hi", participants=[people[1023].chat_id])
        with pytest.raises(AudienceError) as caught:
            await client.send_text_status("hi", participants=[people[1024].chat_id])
    assert (caught.value.reason, caught.value.field) == ("beyond_limit", "participants[0]")
    assert sends(fake) == 1


async def test_a_group_is_refused_when_the_request_is_built() -> None:
    with pytest.raises(AudienceError) as caught:
        TextStatus(message="hi", participants=[ANN.chat_id, CLUB.chat_id])
    assert (caught.value.field, caught.value.reason, caught.value.chat_id) == (
        "participants[1]",
        "groups",
        CLUB.chat_id,
    )


async def test_without_the_option_nothing_is_fetched_and_all_is_sent() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake) as client:
        await client.send_text_status("hi", participants=[NOBODY])
    assert contact_requests(fake) == 0
    assert fake.statuses[0].payload["participants"] == [NOBODY]


async def test_without_participants_the_option_asks_nothing() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, check_audience=True) as client:
        await client.send_text_status("hi")
    assert contact_requests(fake) == 0
    assert "participants" not in fake.statuses[0].payload


async def test_fifty_concurrent_sends_share_one_fetch() -> None:
    fake = FakeGreenAPI(contacts=[ANN, *named(10)])
    async with (
        served_client(fake, check_audience=True, rate_limits=None) as client,
        anyio.create_task_group() as group,
    ):
        for index in range(50):
            group.start_soon(
                partial(client.send_text_status, f"hi {index}", participants=[ANN.chat_id])
            )
    assert contact_requests(fake) == 1
    assert sends(fake) == 50


async def test_contacts_are_kept_five_minutes(clock: FakeClock) -> None:
    fake = FakeGreenAPI(contacts=[ANN], clock=clock.now)
    async with fake_client(fake, check_audience=True, clock=clock, rate_limits=None) as client:
        await client.send_text_status("one", participants=[ANN.chat_id])
        clock.advance(299.0)
        fake.contacts = [BOB]  # Ann removed: not seen while the list is kept
        await client.send_text_status("two", participants=[ANN.chat_id])
        assert contact_requests(fake) == 1
        clock.advance(1.0)
        with pytest.raises(AudienceError) as caught:
            await client.send_text_status("three", participants=[ANN.chat_id])
    assert caught.value.reason == "unknown"
    assert contact_requests(fake) == 2
    assert sends(fake) == 2


async def test_a_derived_client_shares_the_contacts() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, rate_limits=None) as client:
        checking = client.with_options(check_audience=True)
        await checking.send_text_status("one", participants=[ANN.chat_id])
        await client.check_audience()
        await checking.send_text_status("two", participants=[ANN.chat_id])
    assert contact_requests(fake) == 1


async def test_a_failed_fetch_fails_the_send_and_is_not_kept() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        fake.fail_next(401)
        with pytest.raises(AuthenticationError) as caught:
            await client.send_text_status("hi", participants=[ANN.chat_id])
        assert caught.value.api_method == "getContacts"
        assert sends(fake) == 0
        await client.send_text_status("hi", participants=[ANN.chat_id])
    assert contact_requests(fake) == 2
    assert sends(fake) == 1


async def test_a_failed_shared_fetch_fails_every_send_waiting_for_it() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    fake.fail_next(401)
    errors: list[BaseException] = []

    async def send(index: int) -> None:
        try:
            await client.send_text_status(f"hi {index}", participants=[ANN.chat_id])
        except AuthenticationError as error:
            errors.append(error)

    async with (
        served_client(fake, check_audience=True, rate_limits=None) as client,
        anyio.create_task_group() as group,
    ):
        for index in range(5):
            group.start_soon(send, index)
    assert len(errors) == 5
    assert len({id(error) for error in errors}) == 5  # each its own, with its own traceback
    assert contact_requests(fake) == 1
    assert sends(fake) == 0


async def test_send_all_gives_each_status_its_own_result() -> None:
    fake = FakeGreenAPI(contacts=[ANN, BOB])
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        results = await client.send_all(
            [
                TextStatus(message="to Ann", participants=[ANN.chat_id]),
                TextStatus(message="to Bob", participants=[BOB.chat_id]),
                TextStatus(message="to all"),
            ]
        )
    assert [result.ok for result in results] == [True, False, True]
    assert isinstance(results[1].error, AudienceError)
    assert results[1].error.reason == "unnamed"
    assert contact_requests(fake) == 1
    assert sends(fake) == 2


async def test_a_refused_file_send_uploads_nothing(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "horse.mp3"
    path.write_bytes(b"ID3" + bytes(100))
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        with pytest.raises(AudienceError):
            await client.send_voice_file(path, participants=[NOBODY])
    assert fake.uploads == {}
    assert sends(fake) == 0


# -- ALL_CONTACTS -----------------------------------------------------------------


async def test_all_contacts_is_sent_as_the_reached_chat_ids() -> None:
    fake = FakeGreenAPI(contacts=[BOB, ANN, CLUB, *named(2)])
    async with served_client(fake) as client:
        await client.send_text_status("hi", participants=ALL_CONTACTS)
    sent = [request for request in fake.requests if request.api_method == "sendTextStatus"]
    assert json.loads(sent[0].body)["participants"] == [
        ANN.chat_id,
        *(person.chat_id for person in named(2)),
    ]
    assert contact_requests(fake) == 1


@pytest.mark.parametrize(
    "status",
    [
        TextStatus(message="hi", participants=ALL_CONTACTS),
        VoiceStatus(
            url_file="https://files.example/a.mp3", file_name="a.mp3", participants=ALL_CONTACTS
        ),
        MediaStatus(
            url_file="https://files.example/a.jpg", file_name="a.jpg", participants=ALL_CONTACTS
        ),
    ],
    ids=["text", "voice", "media"],
)
async def test_all_contacts_on_each_status_type(status: greenstatus.Status) -> None:
    fake = FakeGreenAPI(contacts=[ANN, BOB])
    async with fake_client(fake, check_audience=True) as client:
        await client.send(status)
    assert fake.statuses[0].payload["participants"] == [ANN.chat_id]


async def test_all_contacts_reaching_no_one_is_refused() -> None:
    fake = FakeGreenAPI(contacts=[BOB, CLUB])
    async with fake_client(fake) as client:
        with pytest.raises(InvalidStatusError) as caught:
            await client.send_text_status("hi", participants=ALL_CONTACTS)
    assert caught.value.field == "participants"
    assert "reaches no one" in str(caught.value)
    assert sends(fake) == 0


def test_all_contacts_stays_itself_and_needs_the_client_to_build_a_body() -> None:
    status = TextStatus(message="hi", participants=ALL_CONTACTS)
    assert status.participants is ALL_CONTACTS
    assert pickle.loads(pickle.dumps(status)).participants is ALL_CONTACTS
    assert repr(ALL_CONTACTS) == "greenstatus.ALL_CONTACTS"
    with pytest.raises(InvalidStatusError) as caught:
        status.to_payload()
    assert caught.value.field == "participants"


async def test_the_token_is_in_no_audience_error() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake, check_audience=True) as client:
        with pytest.raises(AudienceError) as caught:
            await client.send_text_status("hi", participants=[NOBODY])
    from .reachable import hits

    assert not hits(caught.value, fake.token)


async def test_check_audience_on_a_closed_client_is_refused() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    client = fake_client(fake)
    await client.check_audience()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.check_audience()
    assert contact_requests(fake) == 1


def test_the_public_names_are_exported() -> None:
    assert callable(AsyncStatusClient.check_audience)
    for name in ("ALL_CONTACTS", "Audience", "AudienceError", "Contact", "AllContacts"):
        assert name in greenstatus.__all__
