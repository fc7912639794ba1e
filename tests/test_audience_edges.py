"""The audience step at its edges: closing the client and the deadline while
contacts are fetched, contacts GREEN-API lists oddly, numbers typed with a
trunk prefix, and links spelled to slip past the shape rules."""

from __future__ import annotations

import anyio
import attrs
import pytest

from greenstatus import (
    ALL_CONTACTS,
    APITimeoutError,
    AudienceError,
    ClientClosedError,
    Contact,
    InvalidStatusError,
    MediaStatus,
    TextStatus,
    normalize_chat_id,
)
from greenstatus.testing import FakeGreenAPI

from .conftest import fake_client

pytestmark = pytest.mark.anyio

ANN = Contact("79001234567@c.us", "Ann", "Ann Smith")
SLOW = 0.5  # seconds the fake takes to answer, where a test needs a call under way


def count(fake: FakeGreenAPI, method: str) -> int:
    return sum(1 for request in fake.requests if request.api_method == method)


# -- the deadline and closing, while the contacts are fetched -------------------------


async def test_the_deadline_covers_the_contacts_fetch() -> None:
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    async with fake_client(fake, check_audience=True, deadline=0.2, rate_limits=None) as client:
        with anyio.fail_after(5):
            with pytest.raises(APITimeoutError) as caught:
                await client.send_text_status("hi", participants=[ANN.chat_id])
    assert caught.value.api_method == "sendTextStatus"
    assert caught.value.request_sent is False
    assert count(fake, "sendTextStatus") == 0


async def test_a_call_waiting_for_another_ones_fetch_keeps_its_own_deadline() -> None:
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        hasty = client.with_options(deadline=0.2)
        outcomes: list[object] = []

        async def patient() -> None:
            outcomes.append(await client.send_text_status("one", participants=[ANN.chat_id]))

        async with anyio.create_task_group() as group:
            group.start_soon(patient)
            await anyio.sleep(0.05)  # the patient send is fetching the contacts
            with pytest.raises(APITimeoutError):
                await hasty.send_text_status("two", participants=[ANN.chat_id])
    assert len(outcomes) == 1
    assert count(fake, "getContacts") == 1


@pytest.mark.parametrize("participants", [[ANN.chat_id], ALL_CONTACTS], ids=["listed", "all"])
async def test_closing_during_the_fetch_ends_sends_as_client_closed(
    participants: list[str],
) -> None:
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    errors: list[BaseException] = []
    client = fake_client(fake, check_audience=True, rate_limits=None)

    async def send(index: int) -> None:
        try:
            await client.send_text_status(f"hi {index}", participants=participants)
        except Exception as error:  # what each send ended as
            errors.append(error)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for index in range(3):
                group.start_soon(send, index)
            await anyio.sleep(0.1)
            await client.aclose()
    assert [type(error) for error in errors] == [ClientClosedError] * 3
    assert all(error.request_sent is False for error in errors)  # type: ignore[attr-defined]
    assert count(fake, "sendTextStatus") == 0


async def test_send_all_closed_during_the_fetch_reports_not_sent_and_no_bug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    client = fake_client(fake, check_audience=True, rate_limits=None)
    statuses = [TextStatus(message=f"hi {i}", participants=[ANN.chat_id]) for i in range(3)]
    results = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:

            async def run() -> None:
                results.extend(await client.send_all(statuses))

            group.start_soon(run)
            await anyio.sleep(0.1)
            await client.aclose()
    assert [type(result.error) for result in results] == [ClientClosedError] * 3
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_a_derived_client_closed_while_it_waits_for_the_fetch_is_released() -> None:
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        derived = client.with_options()
        ended_at: list[float] = []

        async def wait_in_derived() -> None:
            with pytest.raises(ClientClosedError):
                await derived.send_text_status("two", participants=[ANN.chat_id])
            ended_at.append(anyio.current_time())

        async with anyio.create_task_group() as group:
            group.start_soon(client.check_audience)  # the fetch, in the parent
            await anyio.sleep(0.05)
            group.start_soon(wait_in_derived)
            await anyio.sleep(0.05)
            closed_at = anyio.current_time()
            await derived.aclose()
    assert ended_at[0] - closed_at < SLOW / 2  # not left waiting for the parent's fetch


async def test_closing_while_a_file_send_waits_for_contacts_uploads_nothing(
    tmp_path: object,
) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "horse.jpg"
    path.write_bytes(b"\xff\xd8\xff" + bytes(64))
    fake = FakeGreenAPI(contacts=[ANN], latency=SLOW)
    client = fake_client(fake, check_audience=True, rate_limits=None)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:

            async def send() -> None:
                with pytest.raises(ClientClosedError):
                    await client.send_media_file(path, participants=[ANN.chat_id])

            group.start_soon(send)
            await anyio.sleep(0.1)
            await client.aclose()
    assert fake.uploads == {}


# -- contacts GREEN-API lists oddly --------------------------------------------------


async def test_a_contact_of_an_undocumented_type_is_not_reached_and_takes_no_place() -> None:
    shop = {"id": "79001110000@c.us", "name": "Shop", "contactName": "Shop", "type": "business"}
    people = [
        Contact(f"7901{index:07d}@c.us", f"p{index}", f"Person {index}") for index in range(1024)
    ]
    fake = FakeGreenAPI(contacts=[shop, *people])
    async with fake_client(fake, check_audience=True, rate_limits=None) as client:
        audience = await client.check_audience()
        await client.send_text_status("hi", participants=[people[1023].chat_id])
        with pytest.raises(AudienceError) as caught:
            await client.send_text_status("hi", participants=["79001110000@c.us"])
    assert len(audience.reached) == 1024
    assert audience.unknown == ("79001110000@c.us",)
    assert caught.value.reason == "unknown"


async def test_all_contacts_sends_greenapis_own_chat_ids_as_listed() -> None:
    odd = [
        Contact("79001234568@c.us", "A", "A"),
        Contact("999123456789@c.us", "B", "B"),  # no country code 999
        Contact("120650379300963@lid", "C", "C"),
    ]
    fake = FakeGreenAPI(contacts=odd)
    async with fake_client(fake) as client:
        await client.send_text_status("hi", participants=ALL_CONTACTS)
    assert fake.statuses[0].payload["participants"] == [contact.chat_id for contact in odd]


async def test_all_contacts_on_an_empty_list_says_the_list_was_empty() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    fake.empty_contacts_next(times=3)
    async with fake_client(fake, rate_limits=None) as client:
        with pytest.raises(InvalidStatusError) as caught:
            await client.send_text_status("hi", participants=ALL_CONTACTS)
    assert "listed no contacts at all" in caught.value.problem
    assert "QR code" in caught.value.problem


async def test_asking_about_no_participants_is_asking_about_all() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    async with fake_client(fake) as client:
        assert await client.check_audience([]) == await client.check_audience()
        assert (await client.check_audience(ALL_CONTACTS)).reached == (ANN.chat_id,)


async def test_the_refused_index_is_where_the_caller_wrote_it() -> None:
    fake = FakeGreenAPI(contacts=[ANN])
    given = [ANN.chat_id, "+7 900 123 45 67", "+7 916 123 45 67"]  # Ann twice, then Kim
    status = TextStatus(message="hi", participants=given)
    async with fake_client(fake, check_audience=True) as client:
        with pytest.raises(AudienceError) as sent:
            await client.send(attrs.evolve(status, message="again"))
        with pytest.raises(AudienceError) as keyword:
            await client.send_text_status("hi", participants=given)
    assert sent.value.field == keyword.value.field == "participants[2]"
    assert sent.value.chat_id == "79161234567@c.us"
    assert fake.statuses == []


async def test_all_contacts_in_a_file_send_keeps_greenapis_chat_ids(tmp_path: object) -> None:
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "horse.jpg"
    path.write_bytes(b"\xff\xd8\xff" + bytes(64))
    odd = Contact("99912345678@c.us", "B", "B")  # no country code 999: not typeable
    fake = FakeGreenAPI(contacts=[ANN, odd])
    async with fake_client(fake, rate_limits=None) as client:
        await client.send_media_file(path, participants=ALL_CONTACTS)
    assert fake.statuses[0].payload["participants"] == [ANN.chat_id, odd.chat_id]


# -- numbers typed with a trunk prefix ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "chat_id"),
    [
        ("+44 (0)7911 123456", "447911123456@c.us"),
        ("+49 (0) 151 23456789", "4915123456789@c.us"),
        ("+7 8 900 123 45 67", "79001234567@c.us"),
        ("+39 06 1234 5678", "390612345678@c.us"),  # Italy keeps its leading zero
    ],
)
def test_a_trunk_prefix_after_the_country_code_is_not_sent(typed: str, chat_id: str) -> None:
    assert normalize_chat_id(typed) == chat_id


def test_one_number_typed_two_ways_is_one_participant() -> None:
    status = TextStatus(message="hi", participants=["+44 (0)7911 123456", "+447911123456"])
    assert status.participants == ("447911123456@c.us",)


# -- links spelled to slip past the shape rules ---------------------------------------


def test_a_backslash_in_a_link_is_refused() -> None:
    with pytest.raises(InvalidStatusError) as caught:
        MediaStatus(url_file="https://drive.google.com\\file\\d\\ABC\\view", file_name="a.jpg")
    assert caught.value.field == "url_file"
    assert "backslash" in caught.value.problem


def test_a_fullwidth_host_is_the_host_a_resolver_reads() -> None:
    with pytest.raises(InvalidStatusError, match="Google Drive"):
        MediaStatus(
            url_file="https://\uff44\uff52\uff49\uff56\uff45.google.com/file/d/ABC/view",
            file_name="a.jpg",
        )
