"""Link checks against the fake's file host on loopback, on asyncio and trio:
every reason for refusal, the pass, redirects, the fallback from HEAD, the
cache, and that nothing reaches GREEN-API after a refusal."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import pytest

from greenstatus import (
    APITimeoutError,
    AsyncStatusClient,
    CheckedLink,
    InvalidStatusError,
    LinkCheckError,
    MediaStatus,
    NoRetry,
    VoiceStatus,
)
from greenstatus.testing import FakeGreenAPI

from . import loopback
from .conftest import served_client
from .loopback import Behaviour, Handler

pytestmark = pytest.mark.anyio

MP3 = b"ID3" + bytes(997)
JPEG = b"\xff\xd8\xff" + bytes(497)


@pytest.fixture
async def client(fake: FakeGreenAPI) -> AsyncIterator[AsyncStatusClient]:
    async with served_client(fake, retry=NoRetry(), check_links=True) as client:
        yield client


def sends(fake: FakeGreenAPI) -> list[str | None]:
    return [request.api_method for request in fake.requests]


async def test_a_direct_link_passes_and_the_status_is_sent(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("horse.mp3", MP3, content_type="audio/mpeg")
    sent = await client.send_voice_status(url, "horse.mp3")
    (head,) = fake.file_requests
    assert head.http_method == "HEAD"
    assert sends(fake) == ["sendVoiceStatus"]
    assert fake.statuses[0].id_message == sent.id_message
    checked = await client.check_link(url, "voice")
    assert checked == CheckedLink(
        url=url, final_url=url, status_code=200, content_type="audio/mpeg", size=len(MP3)
    )


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("media", "image/jpeg"),
        ("media", "image/png"),
        ("media", "video/mp4"),
        ("media", "video/quicktime; charset=binary"),
        ("voice", "audio/mpeg"),
        ("voice", "audio/wav"),
        ("voice", "Audio/MPEG"),
    ],
)
async def test_every_fitting_type_passes(
    fake: FakeGreenAPI, client: AsyncStatusClient, kind: str, content_type: str
) -> None:
    url = fake.host_file("file", JPEG, content_type=content_type)
    checked = await client.check_link(url, kind)  # type: ignore[arg-type]
    assert checked.content_type == content_type.split(";")[0].lower()


REFUSALS = [
    # (kind, host_file keyword arguments, reason)
    ("voice", {"content_type": "application/octet-stream"}, "content_type"),
    ("media", {"content_type": "application/octet-stream"}, "content_type"),
    ("voice", {"content_type": None}, "content_type"),
    ("voice", {"content_type": "image/jpeg"}, "content_type"),
    ("voice", {"content_type": "video/mp4"}, "content_type"),
    ("media", {"content_type": "audio/mpeg"}, "content_type"),
    ("media", {"content_type": "text/html; charset=utf-8"}, "content_type"),
    (
        "media",
        {"content_type": "image/jpeg", "disposition": "attachment; filename=a.jpg"},
        "attachment",
    ),
    ("media", {"content_type": "video/mp4", "size": 100 * 1024 * 1024 + 1}, "too_large"),
    ("media", {"content_type": "image/jpeg", "status_code": 404}, "status"),
    ("media", {"content_type": "image/jpeg", "status_code": 403}, "status"),
    ("voice", {"content_type": "audio/mpeg", "status_code": 500}, "status"),
]


@pytest.mark.parametrize(("kind", "served", "reason"), REFUSALS)
async def test_every_reason_for_refusal_stops_the_send(
    fake: FakeGreenAPI,
    client: AsyncStatusClient,
    kind: str,
    served: dict[str, object],
    reason: str,
) -> None:
    url = fake.host_file("file.mp4", JPEG, **served)  # type: ignore[arg-type]
    status = (
        VoiceStatus(url_file=url, file_name="a.mp3")
        if kind == "voice"
        else MediaStatus(url_file=url, file_name="a.mp4")
    )
    with pytest.raises(LinkCheckError) as excinfo:
        await client.send(status)
    error = excinfo.value
    assert isinstance(error, InvalidStatusError)
    assert (error.field, error.reason, error.url) == ("url_file", reason, url)
    assert error.status_code == served.get("status_code", 200)
    assert sends(fake) == []  # nothing went to GREEN-API
    assert fake.statuses == []
    assert fake.token not in str(error)


async def test_octet_stream_says_what_it_means_and_what_to_do(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("dl", MP3, content_type="application/octet-stream")
    with pytest.raises(LinkCheckError) as excinfo:
        await client.send_voice_status(url, "a.mp3")
    message = str(excinfo.value)
    assert message.startswith("url_file: ")
    assert "never appears" in message
    assert "upload_file" in message
    assert excinfo.value.content_type == "application/octet-stream"


async def test_an_unreachable_host_is_refused_and_asked_again(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = "http://127.0.0.1:9/nobody/listens.mp3"
    for _ in range(2):
        with pytest.raises(LinkCheckError) as excinfo:
            await client.send_voice_status(url, "a.mp3")
        assert excinfo.value.reason == "unreachable"
        assert excinfo.value.status_code is None
    assert sends(fake) == []


async def test_redirects_are_followed_to_the_file(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    final = fake.host_file("horse.jpg", JPEG, content_type="image/jpeg")
    middle = fake.host_redirect("middle", final)
    first = fake.host_redirect("first", middle)
    checked = await client.check_link(first, "media")
    assert checked.final_url == final
    assert [request.http_method for request in fake.file_requests] == ["HEAD"] * 3


async def test_a_redirect_to_a_download_is_refused(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    download = fake.host_file("x", JPEG, content_type="application/octet-stream")
    with pytest.raises(LinkCheckError, match="octet-stream"):
        await client.check_link(fake.host_redirect("share", download), "media")


async def test_a_redirect_loop_is_refused(fake: FakeGreenAPI, client: AsyncStatusClient) -> None:
    loop = fake.host_redirect("loop", "placeholder")
    path = loop.removeprefix(fake.file_base_url)
    fake.files[path] = fake.files[path].__class__(content=b"", content_type=None, redirect=loop)
    with pytest.raises(LinkCheckError, match="redirects too many times") as excinfo:
        await client.check_link(loop, "media")
    assert excinfo.value.reason == "unreachable"


@pytest.mark.parametrize("ranges", [True, False])
async def test_where_head_is_refused_a_ranged_get_decides(
    fake: FakeGreenAPI, client: AsyncStatusClient, ranges: bool
) -> None:
    url = fake.host_file("clip.mp4", JPEG, content_type="video/mp4", head=False, ranges=ranges)
    checked = await client.check_link(url, "media")
    head, get = fake.file_requests
    assert (head.http_method, get.http_method) == ("HEAD", "GET")
    assert get.headers["range"] == "bytes=0-0"
    assert checked.size == len(JPEG)
    assert checked.status_code == (206 if ranges else 200)


async def test_a_ranged_get_finds_a_file_too_large(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file(
        "film.mp4", JPEG, content_type="video/mp4", head=False, size=200 * 1024 * 1024
    )
    with pytest.raises(LinkCheckError) as excinfo:
        await client.check_link(url, "media")
    assert (excinfo.value.reason, excinfo.value.size) == ("too_large", 200 * 1024 * 1024)


async def test_the_token_never_goes_to_the_link_host(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("a.jpg", JPEG, content_type="image/jpeg", head=False)
    await client.send_media_status(url, "a.jpg")
    assert len(fake.file_requests) == 2
    for request in fake.file_requests:
        assert fake.token not in request.path
        assert fake.token not in repr(dict(request.headers))
        assert fake.token not in repr(dict(request.query))
        assert request.headers["accept"] == "*/*"


async def test_a_link_holding_the_token_is_never_fetched(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file(f"{fake.token}.jpg", JPEG, content_type="image/jpeg")
    with pytest.raises(InvalidStatusError, match="holds the API token") as excinfo:
        await client.send_media_status(url, "a.jpg")
    assert fake.token not in str(excinfo.value)
    assert fake.file_requests == []
    assert sends(fake) == []


async def test_each_link_is_checked_once_per_client(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("a.jpg", JPEG, content_type="image/jpeg")
    statuses = [MediaStatus(url_file=url, file_name="a.jpg") for _ in range(6)]
    results = await client.send_all(statuses, max_concurrency=6)
    assert all(result.ok for result in results)
    await client.with_options(retry=NoRetry()).send(statuses[0])  # the same pool, the same record
    assert len(fake.file_requests) == 1
    assert sends(fake) == ["sendMediaStatus"] * 7


async def test_a_refusal_is_remembered_but_a_5xx_is_asked_again(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    download = fake.host_file("a", JPEG, content_type="application/octet-stream")
    broken = fake.host_file("b", JPEG, content_type="image/jpeg", status_code=503)
    for _ in range(2):
        with pytest.raises(LinkCheckError):
            await client.check_link(download, "media")
        with pytest.raises(LinkCheckError):
            await client.check_link(broken, "media")
    paths = [request.path for request in fake.file_requests]
    assert paths.count(download.removeprefix(fake.file_base_url)) == 1
    # HEAD answered 503, then the ranged GET: twice, since a 5xx may pass.
    assert paths.count(broken.removeprefix(fake.file_base_url)) == 4


async def test_the_kind_decides_on_the_remembered_answer(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("a.jpg", JPEG, content_type="image/jpeg")
    await client.check_link(url, "media")
    with pytest.raises(LinkCheckError, match="not audio"):
        await client.check_link(url, "voice")
    assert len(fake.file_requests) == 1


async def test_uploaded_links_are_not_checked(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    uploaded = await client.upload_file(MP3, file_name="note.mp3")
    await client.send_voice_status(uploaded.url_file, "note.mp3")
    assert fake.file_requests == []
    assert sends(fake) == ["uploadFile", "sendVoiceStatus"]


async def test_without_check_links_nothing_is_checked(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("dl", MP3, content_type="application/octet-stream")
    unchecked = client.with_options(check_links=False)
    assert not unchecked.check_links
    await unchecked.send_voice_status(url, "a.mp3")  # GREEN-API takes it; no one will see it
    assert fake.file_requests == []
    assert sends(fake) == ["sendVoiceStatus"]


@pytest.mark.parametrize(
    ("url", "kind", "field"),
    [
        ("not a url", "media", "url_file"),
        ("ftp://host/a.jpg", "media", "url_file"),
        ("https://host/a.jpg", "picture", "kind"),
    ],
)
async def test_check_link_refuses_bad_arguments_unsent(
    fake: FakeGreenAPI, client: AsyncStatusClient, url: str, kind: str, field: str
) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        await client.check_link(url, kind)  # type: ignore[arg-type]
    assert excinfo.value.field == field
    assert fake.file_requests == []


async def test_a_refused_link_fails_only_its_own_send_in_send_all(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    good = fake.host_file("a.jpg", JPEG, content_type="image/jpeg")
    bad = fake.host_file("b.jpg", JPEG, content_type="application/octet-stream")
    results = await client.send_all(
        [
            MediaStatus(url_file=good, file_name="a.jpg"),
            MediaStatus(url_file=bad, file_name="b.jpg"),
        ]
    )
    assert results[0].ok
    assert isinstance(results[1].error, LinkCheckError)
    assert sends(fake) == ["sendMediaStatus"]


# -- hostile hosts and concurrency ----------------------------------------------------


def raw_answer(*lines: bytes, delay: float = 0.0) -> Behaviour:
    """A loopback behaviour that writes the given header lines as they are."""

    def behave(handler: Handler) -> None:
        handler.close_connection = True
        try:
            for line in lines:
                handler.wfile.write(line + b"\r\n")
                handler.wfile.flush()
                if delay:
                    time.sleep(delay)
            handler.wfile.write(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on it

    return behave


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        # A header line a parser refuses: every transport fails it its own way.
        ((b"HTTP/1.1 200 OK", b"Content-Type audio/mpeg"), "unreachable"),
        ((b"HTTP/1.1 200 OK", b"Content-Length: -5", b"Content-Type: audio/mpeg"), "unreachable"),
        ((b"NOT HTTP AT ALL",), "unreachable"),
        # Two types are no type; one attachment among dispositions is a download.
        (
            (
                b"HTTP/1.1 200 OK",
                b"Content-Type: audio/mpeg",
                b"Content-Type: text/html",
                b"Content-Length: 0",
            ),
            "content_type",
        ),
        (
            (
                b"HTTP/1.1 200 OK",
                b"Content-Type: audio/mpeg",
                b"Content-Disposition: inline",
                b"Content-Disposition: attachment",
                b"Content-Length: 0",
            ),
            "attachment",
        ),
    ],
)
async def test_a_hostile_link_host_is_a_link_check_error_on_every_transport(
    client: AsyncStatusClient, fake: FakeGreenAPI, lines: tuple[bytes, ...], reason: str
) -> None:
    with loopback.serve(raw_answer(*lines)) as server, pytest.raises(LinkCheckError) as excinfo:
        await client.send_voice_status(f"{server.url}/a.mp3", "a.mp3")
    assert excinfo.value.reason == reason
    assert sends(fake) == []


async def test_a_size_past_all_reason_is_no_size(client: AsyncStatusClient) -> None:
    lines = (
        b"HTTP/1.1 206 Partial Content",
        b"Content-Type: audio/mpeg",
        b"Content-Range: bytes 0-0/" + b"9" * 5000,
        b"Content-Length: 0",
    )
    with loopback.serve(raw_answer(*lines)) as server:
        checked = await client.check_link(f"{server.url}/a.mp3", "voice")
    assert checked.size is None


async def test_a_host_that_trickles_its_answer_is_cut_off(fake: FakeGreenAPI) -> None:
    # A line every 0.02 s, a twenty-fifth of the read timeout: a slow machine
    # still cuts on the whole check's bound, not on one read.
    lines = [b"HTTP/1.1 200 OK", b"Content-Type: audio/mpeg"] + [b"X-Slow: 1"] * 400
    async with served_client(fake, timeout=0.5, check_links=True) as client:
        with loopback.serve(raw_answer(*lines, delay=0.02)) as server:
            started = anyio.current_time()
            with pytest.raises(LinkCheckError, match=r"did not answer within 2 s"):
                await client.send_voice_status(f"{server.url}/a.mp3", "a.mp3")
            assert anyio.current_time() - started < 6  # the host would trickle for 8 s
    assert sends(fake) == []


async def test_the_deadline_covers_the_link_check(fake: FakeGreenAPI) -> None:
    url_file = "placeholder"
    async with served_client(fake, deadline=0.3, check_links=True) as client:
        url_file = fake.host_file("a.mp3", MP3, content_type="audio/mpeg")
        fake.latency = 2.0  # the link's host is slow (the fake serves both)
        with pytest.raises(APITimeoutError) as excinfo:
            await client.send_voice_status(url_file, "a.mp3")
    assert excinfo.value.request_sent is False
    assert sends(fake) == []


async def test_concurrent_checks_of_a_failing_link_ask_once(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("a.jpg", JPEG, content_type="image/jpeg", status_code=503)
    fake.latency = 0.2
    outcomes: list[BaseException | CheckedLink] = []

    async def check() -> None:
        try:
            outcomes.append(await client.check_link(url, "media"))
        except LinkCheckError as error:
            outcomes.append(error)

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(check)
    assert len(outcomes) == 6
    assert all(isinstance(o, LinkCheckError) and o.reason == "status" for o in outcomes)
    assert [r.http_method for r in fake.file_requests] == ["HEAD", "GET"]  # one check


async def test_a_cancelled_first_check_leaves_the_others_theirs(
    fake: FakeGreenAPI, client: AsyncStatusClient
) -> None:
    url = fake.host_file("a.jpg", JPEG, content_type="image/jpeg")
    fake.latency = 0.3
    outcomes: list[CheckedLink] = []
    first = anyio.CancelScope()

    async def check() -> None:
        outcomes.append(await client.check_link(url, "media"))

    async def first_check() -> None:
        with first:
            await check()

    async with anyio.create_task_group() as group:
        group.start_soon(first_check)
        await anyio.sleep(0.05)  # the first is asking...
        for _ in range(4):
            group.start_soon(check)  # ...and these wait for its answer
        await anyio.sleep(0.05)
        first.cancel()
    assert first.cancelled_caught
    assert len(outcomes) == 4
    assert all(o.status_code == 200 for o in outcomes)
    # The first question was cut off; one of the waiters asked again, once.
    assert [r.http_method for r in fake.file_requests] == ["HEAD", "HEAD"]


@pytest.mark.parametrize("bad", ["http://a..b/a.jpg", "http://" + "x" * 64 + ".com/a.jpg"])
async def test_a_host_name_no_resolver_takes_is_refused_unsent(
    fake: FakeGreenAPI, client: AsyncStatusClient, bad: str
) -> None:
    with pytest.raises(InvalidStatusError, match="no valid host name") as excinfo:
        await client.send_media_status(bad, "a.jpg")
    assert excinfo.value.field == "url_file"
    assert fake.file_requests == []
    assert sends(fake) == []


async def test_check_links_is_a_flag_of_the_constructor_from_env_and_with_options() -> None:
    environ = {"GREEN_API_ID_INSTANCE": "1101000001", "GREEN_API_TOKEN": "t0k3n"}
    async with AsyncStatusClient.from_env(environ=environ, check_links=True) as client:
        assert client.check_links
        assert not client.with_options(check_links=False).check_links
    with pytest.raises(TypeError, match="check_links"):
        AsyncStatusClient("1101000001", "t0k3n", check_links="yes")  # type: ignore[arg-type]
