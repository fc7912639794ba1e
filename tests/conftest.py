from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from greenstatus import AsyncStatusClient, NoRetry
from greenstatus.testing import FakeClock, FakeGreenAPI

ID_INSTANCE = "1101000001"
# A token shaped like a real one; tests search every log and message for it.
TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123"
API_URL = "https://1101.api.greenapi.com"


@pytest.fixture
def fake(fake_greenapi: FakeGreenAPI) -> FakeGreenAPI:
    """A fresh fake GREEN-API for one test: greenstatus's own pytest fixture,
    the one users get. A module whose fake must differ (its clock, limits or
    contacts) overrides this, and says why."""
    return fake_greenapi


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time for a client (``clock=``): its waits take none. It starts
    at 1000 s, so that a window reaching a second back stays positive."""
    return FakeClock(start=1000.0)


def fake_client(fake: FakeGreenAPI, **options: Any) -> AsyncStatusClient:
    """A client of the fake's instance on the fake's in-process transport
    (``transport=``), as users' tests build one; ``options`` go to the
    constructor. It skips greenstatus's own transport (aiohttp or httpcore,
    the pool's gate): what depends on the network uses ``served_client``."""
    return AsyncStatusClient(fake.id_instance, fake.token, transport=fake.transport(), **options)


@asynccontextmanager
async def served_client(fake: FakeGreenAPI, **options: Any) -> AsyncIterator[AsyncStatusClient]:
    """A client of the fake's instance as users build one, on the default
    transport, over real HTTP to the fake served on loopback (its URL as both
    ``api_url`` and ``media_url``); ``options`` go to the constructor."""
    async with (
        fake.serve() as url,
        AsyncStatusClient(
            fake.id_instance, fake.token, api_url=url, media_url=url, **options
        ) as client,
    ):
        yield client


Reply = httpx.Response | Awaitable[httpx.Response]
Responder = Callable[[httpx.Request], Reply]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test (modules mark themselves ``anyio``) runs on asyncio and trio."""
    return str(request.param)


class Recorder:
    """An httpx.MockTransport handler that records every request it answers."""

    def __init__(self, responder: Responder | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.responder: Responder = responder or (
            lambda request: httpx.Response(200, json={"idMessage": "3EB0C767D097B7C7C030"})
        )

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        reply = self.responder(request)
        if inspect.isawaitable(reply):
            return await reply
        return reply


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def http_client(recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    """A user's own httpx client on the recording transport, for what is about
    users' clients (ownership, sharing, their timeouts)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
        yield client


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[AsyncStatusClient]:
    """greenstatus's own client, as users build it, on a recording transport.

    One attempt and no rate limit: these tests look at single exchanges;
    test_retry.py and test_ratelimit.py test the retries and the limiter.
    """
    async with AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(recorder),
        retry=NoRetry(),
        rate_limits=None,
    ) as status_client:
        yield status_client


def url_of(method: str) -> str:
    return f"{API_URL}/waInstance{ID_INSTANCE}/{method}/{TOKEN}"
