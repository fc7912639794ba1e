"""The network, against real servers on loopback, on the transports users run.

- the default client (no ``http_client``): httpx-aiohttp's transport on
  asyncio, httpx's own on trio, both under one ``httpx.AsyncClient``;
- ``create_http_client()`` shared as a user's ``http_client``;
- a user's plain ``httpx.AsyncClient``, on httpx's transport or httpx-aiohttp's.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator

import anyio
import httpx
import pytest
import respx
import trustme
from httpx_aiohttp import AiohttpTransport

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AsyncStatusClient,
    ExponentialBackoff,
    NoRetry,
    RateLimitError,
    create_http_client,
)
from greenstatus.testing import FakeGreenAPI

from .conftest import served_client

pytestmark = pytest.mark.anyio

COMBOS = [
    ("asyncio", "default"),
    ("trio", "default"),
    ("asyncio", "shared create_http_client"),
    ("trio", "shared create_http_client"),
    ("asyncio", "user httpx"),
    ("trio", "user httpx"),
    ("asyncio", "user httpx-aiohttp"),
]
DEFAULT = [("asyncio", "default"), ("trio", "default")]
USERS = [("asyncio", "user httpx"), ("trio", "user httpx"), ("asyncio", "user httpx-aiohttp")]


@pytest.fixture(params=COMBOS, ids=[f"{backend}-{kind}" for backend, kind in COMBOS])
def combo(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(combo: tuple[str, str]) -> str:
    return combo[0]


Connect = Callable[[str, float], AsyncStatusClient]


@pytest.fixture
async def connect(combo: tuple[str, str], fake: FakeGreenAPI) -> AsyncIterator[Connect]:
    """Makes a client for the combo under test, as a user would, and closes it."""
    kind = combo[1]
    made: list[AsyncStatusClient] = []
    users: list[httpx.AsyncClient] = []

    def make(url: str, timeout: float = 5.0) -> AsyncStatusClient:
        http = None
        if kind == "shared create_http_client":
            http = create_http_client()
        elif kind == "user httpx":
            http = httpx.AsyncClient()
        elif kind == "user httpx-aiohttp":
            http = httpx.AsyncClient(transport=AiohttpTransport())
        if http is not None:
            users.append(http)
        client = AsyncStatusClient(
            fake.id_instance,
            fake.token,
            api_url=url,
            http_client=http,
            timeout=timeout,
            retry=NoRetry(),
            rate_limits=None,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()
    for http in users:
        await http.aclose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def deaf_listener() -> Iterator[socket.socket]:
    """A real listening socket that never accepts or reads: the kernel completes
    connections, buffers a little, then stops taking bytes."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener


def url_of(listener: socket.socket) -> str:
    return "http://127.0.0.1:{}".format(*listener.getsockname()[1:])


async def test_a_send_arrives_exactly(fake: FakeGreenAPI, connect: Connect) -> None:
    async with fake.serve() as url:
        sent = await connect(url, 5.0).send_voice_status("https://h/a.mp3", "a.mp3")
    [request] = fake.requests
    assert request.json == {"urlFile": "https://h/a.mp3", "fileName": "a.mp3"}
    assert request.headers["content-type"] == "application/json"
    assert fake.statuses[0].id_message == sent.id_message


async def test_a_refused_connection_was_not_sent(connect: Connect) -> None:
    with pytest.raises(APIConnectionError) as excinfo:
        await connect(f"http://127.0.0.1:{free_port()}", 5.0).send_text_status("hi")
    assert type(excinfo.value) is APIConnectionError
    assert excinfo.value.request_sent is False
    assert "could not connect" in str(excinfo.value)


async def test_a_hang_up_after_reading_may_have_been_delivered(
    fake: FakeGreenAPI, connect: Connect
) -> None:
    fake.drop_next()
    async with fake.serve() as url:
        with pytest.raises(APIConnectionError) as excinfo:
            await connect(url, 5.0).send_text_status("hi")
    assert type(excinfo.value) is APIConnectionError
    assert excinfo.value.request_sent is True
    assert "lost the connection before the answer" in str(excinfo.value)
    assert len(fake.requests) == 1


async def test_a_reset_after_reading_may_have_been_delivered_and_is_not_repeated(
    fake: FakeGreenAPI, connect: Connect
) -> None:
    fake.drop_next(reset=True)
    async with fake.serve() as url:
        client = connect(url, 5.0).with_options(retry=ExponentialBackoff(initial=0.01))
        with pytest.raises(APIConnectionError) as excinfo:
            await client.send_text_status("hi")
    assert type(excinfo.value) is APIConnectionError
    assert excinfo.value.request_sent is True
    assert "lost the connection before the answer" in str(excinfo.value)
    assert len(fake.requests) == 1  # the default policy never sends it again


async def test_a_stalled_answer_is_a_timeout_that_may_have_been_delivered(
    fake: FakeGreenAPI, connect: Connect
) -> None:
    fake.latency = 1.0
    async with fake.serve() as url:
        with anyio.fail_after(5):
            with pytest.raises(APITimeoutError) as excinfo:
                await connect(url, 0.2).send_text_status("hi")
    assert excinfo.value.request_sent is True
    assert "timed out waiting for the answer" in str(excinfo.value)
    assert len(fake.requests) == 1


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_the_default_client_applies_the_write_timeout(deaf_listener: socket.socket) -> None:
    url = url_of(deaf_listener)
    client = AsyncStatusClient("1101000001", "token", timeout=httpx.Timeout(5.0, write=0.3))
    failure: type[BaseException] | None = None
    async with client:
        with anyio.fail_after(5):
            try:
                # A body far larger than the kernel buffers for a reader that never reads.
                await client.http_client.post(url, content=b"x" * (16 * 1024 * 1024))
            except httpx.HTTPError as error:
                failure = type(error)
    assert failure is httpx.WriteTimeout
    # The stalled connection ends while the event loop runs: closing the
    # listener resets it.
    deaf_listener.close()
    await anyio.sleep(0.1)


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_the_default_client_applies_the_read_timeout_to_a_silent_server(
    deaf_listener: socket.socket,
) -> None:
    async with AsyncStatusClient(
        "1101000001", "token", api_url=url_of(deaf_listener), timeout=0.3, retry=NoRetry()
    ) as client:
        with anyio.fail_after(5), pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.request_sent is True


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_waiting_for_a_pooled_connection_is_bounded_and_nothing_is_sent(
    fake: FakeGreenAPI,
) -> None:
    fake.latency = 1.0
    http = create_http_client(
        limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(5.0, pool=0.2)
    )
    async with fake.serve() as url, http:
        client = AsyncStatusClient(
            fake.id_instance, fake.token, api_url=url, http_client=http, retry=NoRetry()
        )
        outcomes: list[BaseException | str] = []

        async def send() -> None:
            try:
                outcomes.append((await client.send_text_status("hi")).id_message)
            except APIConnectionError as error:
                outcomes.append(error)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(send)
                await anyio.sleep(0.1)  # the first holds the only connection
                group.start_soon(send)
    [waited] = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert isinstance(waited, APITimeoutError)
    assert waited.request_sent is False
    assert len(fake.requests) == 1


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_tls_is_verified_against_the_trust_store_httpx_reads(
    fake: FakeGreenAPI,
    server_tls: ssl.SSLContext,
    certificate_authority: trustme.CA,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    connect: Connect,
) -> None:
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))
    async with fake.serve(ssl_context=server_tls) as url:
        assert url.startswith("https://127.0.0.1:")
        with pytest.raises(APIConnectionError) as excinfo:
            await connect(url, 5.0).send_text_status("untrusted")
        assert excinfo.value.request_sent is False
        assert "CERTIFICATE_VERIFY_FAILED" in str(excinfo.value)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        sent = await connect(url, 5.0).send_text_status("trusted")
    assert [status.id_message for status in fake.statuses] == [sent.id_message]


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_the_default_client_picks_its_transport_by_event_loop(
    caplog: pytest.LogCaptureFixture, fake: FakeGreenAPI, combo: tuple[str, str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="greenstatus")
    async with fake.serve() as url:
        client = AsyncStatusClient(fake.id_instance, fake.token, api_url=url)
        assert isinstance(client.http_client, httpx.AsyncClient)  # there from the start
        async with client:
            await client.send_text_status("one")
            await client.send_text_status("two")
    chosen = [r.getMessage() for r in caplog.records if "sending with" in r.getMessage()]
    expected = (
        "on asyncio: sending with httpx-aiohttp's transport"
        if combo[0] == "asyncio"
        else "not on asyncio: sending with httpx's own transport"
    )
    assert chosen == [expected]  # chosen once, on the first request


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_proxies_from_the_environment_are_honoured(
    fake: FakeGreenAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with served_client(fake, retry=NoRetry()) as client:
        with pytest.raises(APIConnectionError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.request_sent is False
    assert fake.requests == []  # it went to the (dead) proxy, not around it


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_no_proxy_lets_a_host_bypass_the_environment_proxy(
    fake: FakeGreenAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with served_client(fake, retry=NoRetry()) as client:
        await client.send_text_status("hi")
    assert len(fake.statuses) == 1


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_respx_intercepts_every_request_of_the_default_client() -> None:
    api_url = "https://1101.api.greenapi.com"
    with respx.mock(using="httpx", base_url=api_url, assert_all_called=True) as mock:
        send = mock.post("/waInstance1101000001/sendTextStatus/token").respond(
            json={"idMessage": "RESPX"}
        )
        outgoing = mock.get("/waInstance1101000001/getOutgoingStatuses/token").respond(json=[])
        async with AsyncStatusClient("1101000001", "token", api_url=api_url) as client:
            sent = await client.send_text_status("hi")
            listed = await client.get_outgoing_statuses()
    assert sent.id_message == "RESPX"
    assert listed == []
    assert send.call_count == 1
    assert outgoing.call_count == 1
    assert send.calls.last.request.content == b'{"message":"hi"}'


@pytest.mark.parametrize(
    "combo", USERS, indirect=True, ids=["asyncio-httpx", "trio-httpx", "asyncio-httpx-aiohttp"]
)
async def test_a_user_clients_hooks_and_auth_apply(
    fake: FakeGreenAPI, combo: tuple[str, str]
) -> None:
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.method)
        request.headers["X-Trace"] = "abc"

    transport = AiohttpTransport() if combo[1] == "user httpx-aiohttp" else None
    async with (
        fake.serve() as url,
        httpx.AsyncClient(
            transport=transport,
            auth=httpx.BasicAuth("me", "pw"),
            event_hooks={"request": [hook]},
            headers={"User-Agent": "my-bot/2"},
        ) as http,
    ):
        client = AsyncStatusClient(fake.id_instance, fake.token, api_url=url, http_client=http)
        await client.send_text_status("hi")
    [request] = fake.requests
    assert hooked == ["POST"]
    assert request.headers["x-trace"] == "abc"
    assert request.headers["authorization"].startswith("Basic ")
    assert request.headers["user-agent"] == "my-bot/2"


async def test_an_error_answer_arrives_whole(fake: FakeGreenAPI, connect: Connect) -> None:
    fake.fail_next(429, retry_after=3, body={"message": "slow down"})
    async with fake.serve() as url:
        with pytest.raises(RateLimitError) as excinfo:
            await connect(url, 5.0).send_text_status("hi")
    assert excinfo.value.retry_after == 3.0
    assert excinfo.value.body == {"message": "slow down"}
    assert excinfo.value.headers["retry-after"] == "3"
    assert excinfo.value.status_code == 429


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_a_slow_body_source_is_not_a_write_timeout(fake: FakeGreenAPI) -> None:
    # The write timeout bounds writing to the socket, not the body's own
    # source: three chunks, each longer to come than the write timeout.
    async def slowly() -> AsyncIterator[bytes]:
        for _ in range(3):
            await anyio.sleep(0.4)
            yield b"x" * (128 * 1024)

    async with fake.serve() as url:
        client = AsyncStatusClient(
            fake.id_instance, fake.token, timeout=httpx.Timeout(5.0, write=0.2)
        )
        async with client:
            response = await client.http_client.post(f"{url}/elsewhere", content=slowly())
    assert response.status_code == 404  # answered: the fake knows no such method
    [request] = fake.requests
    assert len(request.body) == 3 * 128 * 1024


@pytest.mark.parametrize("combo", DEFAULT, indirect=True, ids=["asyncio", "trio"])
async def test_a_socks_proxy_from_the_environment_is_handled_as_httpx_handles_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # aiohttp speaks no SOCKS, so it never gets the request: httpx's transport
    # does, and without socksio installed it refuses at once, as plain httpx does.
    monkeypatch.setenv("HTTPS_PROXY", f"socks5://127.0.0.1:{free_port()}")
    with pytest.raises(ImportError, match="socksio") as plain:
        httpx.AsyncClient()
    with pytest.raises(ImportError, match="socksio") as ours:
        AsyncStatusClient("1101000001", "token")
    assert str(ours.value) == str(plain.value)
