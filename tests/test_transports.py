"""Every transport greenstatus ships or meets, against a real server on loopback.

- greenstatus's own client: aiohttp (httpx-aiohttp) on asyncio, httpx's own
  transport on trio, sending straight to the transport;
- the same with proxies in the environment, going through httpx's full path;
- a user's httpx.AsyncClient, on its default transport or on httpx-aiohttp.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AsyncStatusClient,
    NoRetry,
    RateLimitError,
)
from greenstatus.testing import FakeGreenAPI

pytestmark = pytest.mark.anyio

COMBOS = [
    ("asyncio", "own"),
    ("trio", "own"),
    ("asyncio", "own, full path"),
    ("trio", "own, full path"),
    ("asyncio", "user httpx"),
    ("trio", "user httpx"),
    ("asyncio", "user httpx-aiohttp"),
]
OWN = [("asyncio", "own"), ("trio", "own")]
USERS = [("asyncio", "user httpx"), ("trio", "user httpx"), ("asyncio", "user httpx-aiohttp")]


@pytest.fixture(params=COMBOS, ids=[f"{backend}-{kind}" for backend, kind in COMBOS])
def combo(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(combo: tuple[str, str]) -> str:
    return combo[0]


@pytest.fixture
def fake() -> FakeGreenAPI:
    return FakeGreenAPI()


Connect = Callable[[str, float], AsyncIterator[AsyncStatusClient]]


@pytest.fixture
async def connect(
    combo: tuple[str, str], fake: FakeGreenAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[str, float], AsyncStatusClient]]:
    kind = combo[1]
    if kind == "own, full path":
        # Proxies in the environment (bypassed for loopback) keep httpx's full path.
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    made: list[AsyncStatusClient] = []
    users: list[httpx.AsyncClient] = []

    def make(url: str, timeout: float = 5.0) -> AsyncStatusClient:
        http = None
        if kind == "user httpx":
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


async def test_a_send_arrives_exactly(
    fake: FakeGreenAPI, connect: Callable[[str, float], AsyncStatusClient]
) -> None:
    async with fake.serve() as url:
        sent = await connect(url, 5.0).send_voice_status("https://h/a.mp3", "a.mp3")
    [request] = fake.requests
    assert request.json == {"urlFile": "https://h/a.mp3", "fileName": "a.mp3"}
    assert request.headers["content-type"] == "application/json"
    assert fake.statuses[0].id_message == sent.id_message


async def test_a_refused_connection_was_not_sent(
    connect: Callable[[str, float], AsyncStatusClient],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(APIConnectionError) as excinfo:
        await connect(f"http://127.0.0.1:{port}", 5.0).send_text_status("hi")
    assert excinfo.value.request_sent is False


async def test_a_hang_up_after_reading_may_have_been_delivered(
    fake: FakeGreenAPI, connect: Callable[[str, float], AsyncStatusClient]
) -> None:
    fake.drop_next()
    async with fake.serve() as url:
        with pytest.raises(APIConnectionError) as excinfo:
            await connect(url, 5.0).send_text_status("hi")
    assert excinfo.value.request_sent is True
    assert len(fake.requests) == 1


async def test_a_stalled_answer_is_a_timeout_that_may_have_been_delivered(
    fake: FakeGreenAPI, connect: Callable[[str, float], AsyncStatusClient]
) -> None:
    fake.latency = 1.0
    async with fake.serve() as url:
        with pytest.raises(APITimeoutError) as excinfo:
            await connect(url, 0.2).send_text_status("hi")
    assert excinfo.value.request_sent is True
    assert len(fake.requests) == 1


@pytest.mark.parametrize("combo", OWN, indirect=True, ids=["asyncio", "trio"])
async def test_the_own_client_picks_its_transport_by_event_loop(
    caplog: pytest.LogCaptureFixture, fake: FakeGreenAPI, combo: tuple[str, str]
) -> None:
    transport = "aiohttp" if combo[0] == "asyncio" else "httpx's own"
    caplog.set_level(logging.DEBUG, logger="greenstatus")
    async with (
        fake.serve() as url,
        AsyncStatusClient(fake.id_instance, fake.token, api_url=url) as client,
    ):
        await client.send_text_status("hi")
    created = [r.getMessage() for r in caplog.records if "created an HTTP client" in r.getMessage()]
    assert created == [f"created an HTTP client on {transport} transport"]


@pytest.mark.parametrize("combo", OWN, indirect=True, ids=["asyncio", "trio"])
async def test_proxies_from_the_environment_are_honoured(
    fake: FakeGreenAPI, monkeypatch: pytest.MonkeyPatch, combo: tuple[str, str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_proxy = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("HTTP_PROXY", dead_proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with (
        fake.serve() as url,
        AsyncStatusClient(fake.id_instance, fake.token, api_url=url, retry=NoRetry()) as client,
    ):
        with pytest.raises(APIConnectionError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.request_sent is False
    assert fake.requests == []  # it went to the (dead) proxy, not around it


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


async def test_an_error_answer_arrives_whole(
    fake: FakeGreenAPI, connect: Callable[[str, float], AsyncStatusClient]
) -> None:
    # Status, body and headers survive every transport: a 429's Retry-After
    # is read from aiohttp's headers as from httpx's.
    fake.fail_next(429, retry_after=3, body={"message": "slow down"})
    async with fake.serve() as url:
        with pytest.raises(RateLimitError) as excinfo:
            await connect(url, 5.0).send_text_status("hi")
    assert excinfo.value.retry_after == 3.0
    assert excinfo.value.body == {"message": "slow down"}
    assert excinfo.value.headers["retry-after"] == "3"
    assert excinfo.value.status_code == 429
