"""greenstatus.testing.FakeGreenAPI, driven in-process and over a real loopback server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AsyncStatusClient,
    AuthenticationError,
    BadRequestError,
    MediaStatus,
    NoRetry,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TextStatus,
    VoiceStatus,
)
from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeGreenAPI, FakeReply

from .conftest import served_client

pytestmark = pytest.mark.anyio

CONTACTS = ("79001234567@c.us", "447700900123@c.us")


class Clock:
    """The fake's own clock (``clock=``), which tests set by hand: a plain
    callable at a realistic epoch, not a client's ``FakeClock``."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


# Both differ from conftest's: the fake's time is set by hand, and statistics
# need contacts to count.
@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeGreenAPI:
    return FakeGreenAPI(contacts=CONTACTS, clock=clock)


@pytest.fixture(params=["transport", "server"])
async def base_url(request: pytest.FixtureRequest, fake: FakeGreenAPI) -> AsyncIterator[str]:
    """Where the fake answers: in-process ("transport") or on loopback ("server")."""
    if request.param == "server":
        async with fake.serve() as url:
            yield url
    else:
        yield "https://fake.green-api.invalid"


@pytest.fixture
async def http(fake: FakeGreenAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A raw httpx client, for requests greenstatus would never send."""
    transport = None if base_url.startswith("http://127.0.0.1") else fake.transport()
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as raw:
        yield raw


@pytest.fixture
async def client(fake: FakeGreenAPI, base_url: str) -> AsyncIterator[AsyncStatusClient]:
    """In-process: the fake's transport; on loopback: the default transport."""
    transport = None if base_url.startswith("http://127.0.0.1") else fake.transport()
    async with AsyncStatusClient(
        fake.id_instance,
        fake.token,
        api_url=base_url,
        media_url=base_url,
        transport=transport,
        retry=NoRetry(),
        rate_limits=None,
    ) as status_client:
        yield status_client


def path(fake: FakeGreenAPI, method: str, token: str | None = None) -> str:
    return f"/waInstance{fake.id_instance}/{method}/{token or fake.token}"


async def test_sends_are_queued_with_fresh_ids(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    results = await client.send_all(
        [
            TextStatus(message="hi", font="SERIF"),
            VoiceStatus(url_file="https://h/a.mp3", file_name="a.mp3"),
            MediaStatus(url_file="https://h/b.mp4", file_name="b.mp4", caption="c"),
        ]
    )
    ids = [result.id_message for result in results]
    assert len(set(ids)) == 3
    by_id = {status.id_message: status for status in fake.statuses}
    assert [by_id[i].kind for i in ids] == ["text", "voice", "media"]  # type: ignore[index]
    assert by_id[ids[0]].payload == {"message": "hi", "font": "SERIF"}  # type: ignore[index]
    assert sorted(str(r.api_method) for r in fake.requests) == [
        "sendMediaStatus",
        "sendTextStatus",
        "sendVoiceStatus",
    ]


async def test_outgoing_lists_what_was_sent_in_the_window(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: Clock
) -> None:
    old = await client.send_text_status("old")
    clock.now += 3600
    voice = await client.send_voice_status("https://h/a.mp3", "a.mp3")
    media = await client.send_media_status("https://h/b.mp4", "b.mp4", caption="clip")
    listed = await client.get_outgoing_statuses()
    assert [s.id_message for s in listed] == [old.id_message, voice.id_message, media.id_message]
    assert [s.type_message for s in listed] == [
        "extendedTextMessage",
        "audioMessage",
        "videoMessage",
    ]
    assert listed[0].text_message == "old"
    assert (listed[2].download_url, listed[2].caption, listed[2].mime_type) == (
        "https://h/b.mp4",
        "clip",
        "video/mp4",
    )
    recent = await client.get_outgoing_statuses(minutes=30)
    assert [s.id_message for s in recent] == [voice.id_message, media.id_message]
    assert fake.requests[-1].query == {"minutes": "30"}


async def test_statistic_lists_participants_or_else_contacts(
    client: AsyncStatusClient,
) -> None:
    to_all = await client.send_text_status("all")
    to_one = await client.send_text_status("one", participants=["447700900123@c.us"])
    everyone = await client.get_status_statistic(to_all.id_message)
    assert [(r.participant, r.status) for r in everyone] == [(c, "sent") for c in CONTACTS]
    [only] = await client.get_status_statistic(to_one.id_message)
    assert only.participant == "447700900123@c.us"
    assert await client.get_status_statistic("UNKNOWN") == []


async def test_delete_removes_a_status_and_refuses_an_unknown_one(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    sent = await client.send_text_status("bye")
    await client.delete_status(sent.id_message)
    assert fake.statuses == []
    assert fake.deleted == [sent.id_message]
    assert await client.get_outgoing_statuses() == []
    with pytest.raises(BadRequestError, match="not found"):
        await client.delete_status(sent.id_message)


async def test_incoming_returns_what_the_test_put_there(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: Clock
) -> None:
    fake.incoming.append(
        {
            "type": "incoming",
            "idMessage": "IN1",
            "timestamp": int(clock.now),
            "typeMessage": "imageMessage",
            "senderId": "79001234567@c.us",
        }
    )
    [status] = await client.get_incoming_statuses()
    assert (status.id_message, status.sender_id) == ("IN1", "79001234567@c.us")


async def test_a_wrong_token_is_401_and_an_unknown_instance_403(
    fake: FakeGreenAPI, client: AsyncStatusClient, base_url: str
) -> None:
    http = client.http_client
    wrong_token = AsyncStatusClient(fake.id_instance, "wrong", api_url=base_url, http_client=http)
    with pytest.raises(AuthenticationError):
        await wrong_token.send_text_status("hi")
    stranger = AsyncStatusClient("999", fake.token, api_url=base_url, http_client=http)
    with pytest.raises(PermissionDeniedError):
        await stranger.send_text_status("hi")
    assert fake.statuses == []
    assert [r.token_ok for r in fake.requests] == [False, False]


async def test_more_instances_keep_their_statuses_apart(
    fake: FakeGreenAPI, base_url: str, client: AsyncStatusClient
) -> None:
    fake.add_instance("1101000002", "second-token")
    other = AsyncStatusClient(
        "1101000002", "second-token", api_url=base_url, http_client=client.http_client
    )
    mine = await client.send_text_status("mine")
    theirs = await other.send_text_status("theirs")
    assert [s.id_message for s in await client.get_outgoing_statuses()] == [mine.id_message]
    assert [s.id_message for s in await other.get_outgoing_statuses()] == [theirs.id_message]


@pytest.mark.parametrize(
    ("method", "body", "detail"),
    [
        ("sendTextStatus", {}, "'message' is required"),
        ("sendTextStatus", {"message": "x" * 501}, "at most 500"),
        ("sendTextStatus", {"message": "x", "font": "COMIC"}, "'font'"),
        ("sendTextStatus", {"message": "x", "backgroundColor": "red"}, "backgroundColor"),
        ("sendVoiceStatus", {"urlFile": "https://h/a"}, "'fileName' is required"),
        ("sendVoiceStatus", {"urlFile": "https://h/a", "fileName": "a"}, "extension"),
        (
            "sendMediaStatus",
            {"urlFile": "u", "fileName": "a.jpg", "caption": "c" * 1025},
            "at most 1024",
        ),
        (
            "sendMediaStatus",
            {"urlFile": "u", "fileName": "a.jpg", "participants": "x"},
            "participants",
        ),
        ("deleteStatus", {}, "'idMessage' is required"),
    ],
)
async def test_bodies_are_checked_as_the_api_documents(
    fake: FakeGreenAPI, http: httpx.AsyncClient, method: str, body: object, detail: str
) -> None:
    response = await http.post(path(fake, method), json=body)
    assert response.status_code == 400
    assert detail in response.json()["message"]
    assert fake.statuses == []


async def test_a_body_that_is_not_json_is_400(fake: FakeGreenAPI, http: httpx.AsyncClient) -> None:
    response = await http.post(
        path(fake, "sendTextStatus"), content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


async def test_a_wrong_http_method_or_path_is_404(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    assert (await http.get(path(fake, "sendTextStatus"))).status_code == 404
    assert (await http.post(path(fake, "sendStory"), json={})).status_code == 404
    assert (await http.get("/elsewhere")).status_code == 404


async def test_fail_next_answers_the_next_requests_with_the_fault(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.fail_next(429, times=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(RateLimitError) as excinfo:
            await client.send_text_status("hi")
        assert excinfo.value.retry_after == 3.0
    fake.fail_next(502, body={"message": "gateway"})
    with pytest.raises(ServerError) as server_error:
        await client.send_text_status("hi")
    assert server_error.value.body == {"message": "gateway"}
    sent = await client.send_text_status("finally")
    assert [s.id_message for s in fake.statuses] == [sent.id_message]
    assert len(fake.requests) == 4


async def test_drop_next_reads_the_request_and_hangs_up(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.drop_next()
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("lost")
    assert excinfo.value.request_sent is True
    assert fake.requests[0].json == {"message": "lost"}
    assert fake.statuses == []
    await client.send_text_status("next one goes through")
    assert len(fake.statuses) == 1


async def test_latency_delays_every_answer(fake: FakeGreenAPI, client: AsyncStatusClient) -> None:
    fake.latency = 0.2
    started = anyio.current_time()
    await client.send_text_status("slow")
    assert anyio.current_time() - started >= 0.2


async def test_latency_over_the_timeout_is_a_read_timeout_on_the_server(
    fake: FakeGreenAPI,
) -> None:
    fake.latency = 2.0
    async with served_client(fake, timeout=0.2) as client:
        with pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("slow")
    assert excinfo.value.request_sent is True


async def test_rate_limits_answer_429_past_n_per_second(
    fake: FakeGreenAPI, client: AsyncStatusClient, clock: Clock
) -> None:
    fake.rate_limits = {"sendTextStatus": 2}
    await client.send_text_status("1")
    await client.send_text_status("2")
    with pytest.raises(RateLimitError):
        await client.send_text_status("3")
    await client.send_voice_status("https://h/a.mp3", "a.mp3")  # its own limit: none
    clock.now += 1.0
    await client.send_text_status("4")
    assert len(fake.statuses) == 4


def test_documented_rate_limits_are_greenapis() -> None:
    assert DOCUMENTED_RATE_LIMITS == {
        "sendTextStatus": 5,
        "sendVoiceStatus": 5,
        "sendMediaStatus": 5,
        "deleteStatus": 10,
        "getStatusStatistic": 1,
        "getIncomingStatuses": 1,
        "getOutgoingStatuses": 1,
        "getStateInstance": 1,
        "getSettings": 1,
        "getContacts": 1,
        "receiveNotification": 100,
        "deleteNotification": 100,
    }


async def test_upload_file_keeps_the_bytes_and_returns_a_link(
    fake: FakeGreenAPI, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        path(fake, "uploadFile"),
        content=b"ID3 mp3 bytes",
        headers={"Content-Type": "audio/mpeg", "GA-Filename": "horse.mp3"},
    )
    assert response.status_code == 200
    url = response.json()["urlFile"]
    assert url.endswith("/horse.mp3")
    assert fake.uploads[url] == ("audio/mpeg", b"ID3 mp3 bytes")
    refused = await http.post(path(fake, "uploadFile"), content=b"x")
    assert refused.status_code == 400


async def test_recorded_requests_keep_no_token(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    await client.send_text_status("hi")
    [request] = fake.requests
    assert request.path == f"/waInstance{fake.id_instance}/sendTextStatus/***"
    assert (request.http_method, request.api_method, request.token_ok) == (
        "POST",
        "sendTextStatus",
        True,
    )
    assert fake.token not in repr(fake.requests)
    assert fake.token not in repr(fake)


async def test_the_documented_example() -> None:
    # docs/testing.md shows this test; it must keep passing as written there.
    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport()
    ) as client:
        sent = await client.send_voice_status("https://example.com/horse.mp3", "horse.mp3")
    [status] = fake.statuses
    assert status.id_message == sent.id_message
    assert status.payload == {"urlFile": "https://example.com/horse.mp3", "fileName": "horse.mp3"}


async def test_a_processed_fault_queues_the_send_then_fails(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.fail_next(504, processed=True)
    with pytest.raises(ServerError):
        await client.send_text_status("queued anyway")
    [status] = fake.statuses
    assert status.payload == {"message": "queued anyway"}


async def test_chaos_answers_a_share_of_requests_with_its_faults(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    fake.chaos(0.5, [FakeReply(503, {}, b"")], seed=7)
    results = await client.send_all([TextStatus(message=str(n)) for n in range(40)])
    failures = sum(not result.ok for result in results)
    assert 5 < failures < 35
    assert len(fake.statuses) == 40 - failures
    fake.chaos(0, [])
    assert (await client.send_text_status("calm")).id_message
    with pytest.raises(ValueError, match="rate"):
        fake.chaos(1.5, [])
