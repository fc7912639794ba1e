"""FakeGreenAPI's contact list: getContacts in GREEN-API's wire form, and the
statistics it records by GREEN-API's rule of who a status reaches (the first
1024 user contacts with a contact name). Plain httpx requests on the wire URLs,
in process and over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from greenstatus._contacts import Contact
from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeClock, FakeGreenAPI, FakeStatus

pytestmark = pytest.mark.anyio

ANN = Contact("79001234567@c.us", "Ann", "Ann Smith", "user")
BOB = Contact("79001234568@c.us", "Bob", "", "user")  # a number not saved with a name
BLANK = Contact("79001234570@c.us", "Blank", "   ", "user")  # a name of white space only
CLUB = Contact("120363043968066561@g.us", "Club", "", "group")
NOBODY = "79001234569@c.us"  # among no one's contacts


def named(count: int) -> list[Contact]:
    """``count`` people saved with a name, in order."""
    return [
        Contact(f"7901{index:07d}@c.us", f"p{index}", f"Person {index}") for index in range(count)
    ]


# Differs from conftest's: the fake's rate limiter runs on the test's clock.
@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    return FakeGreenAPI(clock=clock.now)


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


def url(fake: FakeGreenAPI, method: str, *, token: str | None = None, instance: str = "") -> str:
    return f"/waInstance{instance or fake.id_instance}/{method}/{token or fake.token}"


async def get_contacts(
    fake: FakeGreenAPI, http: httpx.AsyncClient, **params: str
) -> httpx.Response:
    return await http.get(url(fake, "getContacts"), params=params)


async def send_text(
    fake: FakeGreenAPI, http: httpx.AsyncClient, participants: list[str] | None = None
) -> str:
    body: dict[str, object] = {"message": "hi"}
    if participants is not None:
        body["participants"] = participants
    sent = await http.post(url(fake, "sendTextStatus"), json=body)
    assert sent.status_code == 200, sent.text
    id_message = sent.json()["idMessage"]
    assert isinstance(id_message, str)
    return id_message


async def reached(fake: FakeGreenAPI, http: httpx.AsyncClient, id_message: str) -> list[str]:
    """The participants getStatusStatistic lists, in its order."""
    answer = await http.get(url(fake, "getStatusStatistic"), params={"idMessage": id_message})
    assert answer.status_code == 200, answer.text
    rows = answer.json()
    assert all(row["status"] == "sent" for row in rows)
    return [row["participant"] for row in rows]


# -- getContacts ---------------------------------------------------------------------


async def test_get_contacts_answers_the_wire_form_in_order(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN, BOB, CLUB, "447700900123@c.us"]
    answer = await get_contacts(fake, http)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    # No contactName for a number not saved, as GREEN-API leaves it out.
    assert answer.json() == [
        {"id": "79001234567@c.us", "name": "Ann", "contactName": "Ann Smith", "type": "user"},
        {"id": "79001234568@c.us", "name": "Bob", "type": "user"},
        {"id": "120363043968066561@g.us", "name": "Club", "type": "group"},
        {
            "id": "447700900123@c.us",
            "name": "",
            "contactName": "447700900123",
            "type": "user",
        },
    ]
    assert list(answer.json()[0]) == ["id", "name", "contactName", "type"]
    [request] = fake.requests
    assert (request.http_method, request.api_method, request.token_ok) == (
        "GET",
        "getContacts",
        True,
    )


async def test_no_contacts_is_an_empty_array(fake: FakeGreenAPI, http: httpx.AsyncClient) -> None:
    assert fake.contacts == ()
    answer = await get_contacts(fake, http)
    assert (answer.status_code, answer.json()) == (200, [])


async def test_group_and_count_choose_among_the_contacts(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    fake.contacts = [ANN, CLUB, BOB, "120363000000000001@g.us"]

    async def ids(**params: str) -> list[str]:
        answer = await get_contacts(fake, http, **params)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()]

    assert await ids(group="true") == [CLUB.chat_id, "120363000000000001@g.us"]
    assert await ids(group="false") == [ANN.chat_id, BOB.chat_id]
    assert await ids(count="2") == [ANN.chat_id, CLUB.chat_id]
    assert await ids(count="9") == [
        ANN.chat_id,
        CLUB.chat_id,
        BOB.chat_id,
        "120363000000000001@g.us",
    ]
    assert await ids(group="false", count="1") == [ANN.chat_id]
    assert await ids(group="true", count="1") == [CLUB.chat_id]
    assert fake.requests[-1].query == {"group": "true", "count": "1"}


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"count": "0"}, "'count'"),
        ({"count": "-1"}, "'count'"),
        ({"count": "two"}, "'count'"),
        ({"count": ""}, "'count'"),
        ({"count": "1.5"}, "'count'"),
        ({"group": "yes"}, "'group'"),
        ({"group": ""}, "'group'"),
    ],
)
async def test_a_bad_query_is_refused_with_400(
    fake: FakeGreenAPI, http: httpx.AsyncClient, params: dict[str, str], detail: str
) -> None:
    fake.contacts = [ANN]
    answer = await get_contacts(fake, http, **params)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("Validation failed. Details: ")
    assert detail in answer.json()["message"]


async def test_a_wrong_token_is_401_an_unknown_instance_403_a_post_404(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN]
    assert (await http.get(url(fake, "getContacts", token="wrong"))).status_code == 401
    assert (await http.get(url(fake, "getContacts", instance="999"))).status_code == 403
    assert (await http.post(url(fake, "getContacts"), json={})).status_code == 404
    assert [request.token_ok for request in fake.requests] == [False, False, True]
    assert all(fake.token not in request.path for request in fake.requests)


async def test_more_than_one_request_a_second_is_429(
    fake: FakeGreenAPI, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert DOCUMENTED_RATE_LIMITS["getContacts"] == 1
    fake.rate_limits = DOCUMENTED_RATE_LIMITS
    fake.contacts = [ANN]
    assert (await get_contacts(fake, http)).status_code == 200
    clock.advance(0.5)
    refused = await get_contacts(fake, http)
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    # Its own limit: getStatusStatistic still answers in the same second.
    statistic = await http.get(url(fake, "getStatusStatistic"), params={"idMessage": "X"})
    assert statistic.status_code == 200
    clock.advance(0.5)
    again = await get_contacts(fake, http)
    assert (again.status_code, len(again.json())) == (200, 1)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("notAuthorized", "Instance account not authorized"),
        ("starting", "Instance in starting process try later"),
    ],
)
async def test_a_not_ready_instance_answers_400(
    fake: FakeGreenAPI, http: httpx.AsyncClient, state: str, message: str
) -> None:
    fake.contacts = [ANN]
    fake.state = state
    answer = await get_contacts(fake, http)
    assert (answer.status_code, answer.json()) == (400, {"message": message})
    fake.state = "authorized"
    assert (await get_contacts(fake, http)).json()[0]["id"] == ANN.chat_id


# -- the transient empty answer -----------------------------------------------------


async def test_empty_contacts_next_answers_empty_then_the_list_again(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN, BOB]
    fake.empty_contacts_next(times=2)
    assert (await get_contacts(fake, http)).json() == []
    # Refused requests do not take an empty answer: it waits for a real one.
    assert (await http.get(url(fake, "getContacts", token="wrong"))).status_code == 401
    assert (await get_contacts(fake, http, count="0")).status_code == 400
    fake.fail_next(502)
    assert (await get_contacts(fake, http)).status_code == 502
    empty = await get_contacts(fake, http, group="false")
    assert (empty.status_code, empty.json()) == (200, [])
    listed = await get_contacts(fake, http)
    assert [item["id"] for item in listed.json()] == [ANN.chat_id, BOB.chat_id]


async def test_empty_answers_add_up_and_leave_statistics_alone(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN]
    fake.empty_contacts_next()
    fake.empty_contacts_next()
    id_message = await send_text(fake, http)
    assert await reached(fake, http, id_message) == [ANN.chat_id]
    assert (await get_contacts(fake, http)).json() == []
    assert (await get_contacts(fake, http)).json() == []
    assert len((await get_contacts(fake, http)).json()) == 1


@pytest.mark.parametrize("times", [0, -1, True, 1.0])
def test_empty_contacts_next_wants_a_positive_count(times: object) -> None:
    with pytest.raises(ValueError, match="times"):
        FakeGreenAPI().empty_contacts_next(times=times)  # type: ignore[arg-type]


# -- the three forms of a contact -----------------------------------------------------


def test_a_contact_a_wire_mapping_and_a_chat_id_are_all_contacts() -> None:
    fake = FakeGreenAPI(
        contacts=[
            ANN,
            {"id": "79001234568@c.us", "name": "Bob", "type": "user"},
            {"id": "79001234571@c.us", "name": None, "contactName": None},
            {"id": "120363043968066561@g.us", "name": "Club"},
            "447700900123@c.us",
            "120363000000000001@g.us",
        ]
    )
    assert fake.contacts == (
        ANN,
        BOB,
        Contact("79001234571@c.us", "", "", "user"),
        CLUB,
        Contact("447700900123@c.us", "", "447700900123", "user"),
        Contact("120363000000000001@g.us", "", "", "group"),
    )
    assert all(type(contact) is Contact for contact in fake.contacts)
    # Each one's raw is the item getContacts serves for it.
    assert dict(fake.contacts[2].raw) == {"id": "79001234571@c.us", "name": "", "type": "user"}
    assert dict(fake.contacts[4].raw) == {
        "id": "447700900123@c.us",
        "name": "",
        "contactName": "447700900123",
        "type": "user",
    }


async def test_fields_greenapi_may_add_are_served_as_given(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [
        {"id": ANN.chat_id, "name": "Ann", "contactName": "Ann Smith", "type": "user", "new": 1},
        Contact(BOB.chat_id, "Bob", raw={"id": "ignored", "avatar": "x"}),
    ]
    assert (await get_contacts(fake, http)).json() == [
        {"id": ANN.chat_id, "name": "Ann", "contactName": "Ann Smith", "type": "user", "new": 1},
        {"id": BOB.chat_id, "name": "Bob", "type": "user", "avatar": "x"},
    ]


def test_a_tuple_of_chat_ids_keeps_working() -> None:
    fake = FakeGreenAPI(contacts=("79001234567@c.us", "447700900123@c.us"))
    assert [contact.chat_id for contact in fake.contacts] == [
        "79001234567@c.us",
        "447700900123@c.us",
    ]
    assert [contact.contact_name for contact in fake.contacts] == ["79001234567", "447700900123"]
    fake.contacts = ("15550109999@c.us",)
    assert fake.contacts == (Contact("15550109999@c.us", "", "15550109999", "user"),)


@pytest.mark.parametrize(
    ("item", "error", "match"),
    [
        (42, TypeError, r"contacts\[1\] is int"),
        (b"79001234567@c.us", TypeError, r"contacts\[1\] is bytes"),
        ("", ValueError, r"contacts\[1\]: '' is not a chat id"),
        (" 79001234567@c.us", ValueError, r"contacts\[1\]: .* is not a chat id"),
        ({"name": "Ann"}, TypeError, r"contacts\[1\]: the chat id is NoneType"),
        ({"id": 79001234567}, TypeError, r"contacts\[1\]: the chat id is int"),
        ({"id": "7@c.us", "contactName": 5}, TypeError, r"contacts\[1\]: 'contactName' is int"),
        (Contact("7@c.us", name=5), TypeError, r"contacts\[1\]: 'name' is int"),  # type: ignore[arg-type]
        (Contact(""), ValueError, r"contacts\[1\]: '' is not a chat id"),
    ],
)
def test_an_invalid_item_is_refused_by_its_index(
    item: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        FakeGreenAPI(contacts=[ANN, item])  # type: ignore[list-item]
    fake = FakeGreenAPI(contacts=[ANN])
    with pytest.raises(error, match=match):
        fake.contacts = [ANN, item]  # type: ignore[list-item]
    assert fake.contacts == (ANN,)  # left as it was


@pytest.mark.parametrize("value", ["79001234567@c.us", {"id": "79001234567@c.us"}, 5])
def test_contacts_must_be_a_sequence_of_contacts(value: object) -> None:
    with pytest.raises(TypeError, match="contacts must be a sequence"):
        FakeGreenAPI(contacts=value)  # type: ignore[arg-type]


# -- who a status reaches -------------------------------------------------------------


@pytest.fixture
def crowd() -> list[Contact]:
    """Before 1025 named people: one unnamed, one named with white space, a
    group; and the first named person listed a second time, unnamed."""
    people = named(1025)
    return [BOB, BLANK, CLUB, *people, Contact(people[0].chat_id, "again", "")]


async def test_a_status_to_all_reaches_exactly_the_first_1024_named(
    fake: FakeGreenAPI, http: httpx.AsyncClient, crowd: list[Contact]
) -> None:
    fake.contacts = crowd
    id_message = await send_text(fake, http)
    everyone = await reached(fake, http, id_message)
    assert everyone == [contact.chat_id for contact in named(1024)]
    # An empty participants list means all contacts too.
    assert await reached(fake, http, await send_text(fake, http, [])) == everyone


async def test_a_status_to_participants_reaches_those_the_rule_lets_through(
    fake: FakeGreenAPI, http: httpx.AsyncClient, crowd: list[Contact]
) -> None:
    fake.contacts = crowd
    people = named(1025)
    number_1024, number_1025 = people[1023].chat_id, people[1024].chat_id
    id_message = await send_text(
        fake,
        http,
        [
            number_1025,  # named, but the 1025th
            BOB.chat_id,  # not saved with a name
            BLANK.chat_id,  # a name of white space only
            CLUB.chat_id,  # a group
            NOBODY,  # not a contact
            number_1024.removesuffix("@c.us"),  # the 1024th, by its number alone
            people[5].chat_id,
            people[5].chat_id.removesuffix("@c.us"),  # the same person again
        ],
    )
    # Named as the contact list names them, in the participants' order.
    assert await reached(fake, http, id_message) == [number_1024, people[5].chat_id]


async def test_a_chat_id_listed_twice_counts_at_its_first_place(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    people = named(1025)
    # The first person, unnamed first, named later: not reached, and no slot
    # taken, so the 1025th named entry is the 1024th person to count.
    fake.contacts = [Contact(people[0].chat_id, "p0", ""), *people]
    everyone = await reached(fake, http, await send_text(fake, http))
    assert everyone == [contact.chat_id for contact in people[1:]]
    only = await reached(fake, http, await send_text(fake, http, [people[0].chat_id]))
    assert only == []


async def test_a_contact_listed_by_its_number_matches_its_chat_id(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [{"id": "79001234567", "contactName": "Ann"}, "120363043968066561@g.us"]
    id_message = await send_text(fake, http, ["79001234567@c.us", "120363043968066561@g.us"])
    assert await reached(fake, http, id_message) == ["79001234567"]


async def test_string_contacts_are_all_reached(fake: FakeGreenAPI, http: httpx.AsyncClient) -> None:
    fake.contacts = ("79001234567@c.us", "447700900123@c.us")
    everyone = await reached(fake, http, await send_text(fake, http))
    assert everyone == ["79001234567@c.us", "447700900123@c.us"]
    one = await reached(fake, http, await send_text(fake, http, ["447700900123@c.us", NOBODY]))
    assert one == ["447700900123@c.us"]


async def test_without_contacts_a_status_reaches_its_participants_as_sent(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    assert await reached(fake, http, await send_text(fake, http)) == []
    id_message = await send_text(fake, http, [NOBODY, "447700900123@c.us"])
    assert await reached(fake, http, id_message) == [NOBODY, "447700900123@c.us"]


async def test_whom_a_status_reached_is_decided_when_it_is_sent(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN]
    before = await send_text(fake, http)
    fake.contacts = [ANN, Contact(BOB.chat_id, "Bob", "Bob Jones")]
    after = await send_text(fake, http)
    fake.contacts = []
    assert await reached(fake, http, before) == [ANN.chat_id]
    assert await reached(fake, http, after) == [ANN.chat_id, BOB.chat_id]


async def test_a_status_put_there_by_hand_follows_the_contacts_of_now(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN, BOB]
    fake.statuses.append(
        FakeStatus(
            id_message="BYHAND",
            kind="text",
            payload={"message": "hi", "participants": [ANN.chat_id, BOB.chat_id]},
            id_instance=fake.id_instance,
            timestamp=1000,
        )
    )
    assert await reached(fake, http, "BYHAND") == [ANN.chat_id]


async def test_outgoing_statuses_list_the_participants_as_sent(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    fake.contacts = [ANN]
    await send_text(fake, http, [ANN.chat_id, NOBODY])
    answer = await http.get(url(fake, "getOutgoingStatuses"))
    [item] = answer.json()
    assert item["extendedTextMessage"]["participants"] == [ANN.chat_id, NOBODY]
