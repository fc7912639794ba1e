"""OpenTelemetry's httpx and aiohttp instrumentors, with greenstatus's hooks,
export no span that holds the token: a token is planted, sends succeed and fail
against the fake on loopback, and every exported span is searched for it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager

import httpx
import pytest
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AsyncStatusClient,
    AuthenticationError,
    GreenStatusError,
    NoRetry,
    ServerError,
    TextStatus,
    create_http_client,
    otel_aiohttp_request_hook,
    otel_request_hook,
)
from greenstatus.testing import FakeGreenAPI

from .conftest import ID_INSTANCE, TOKEN

pytestmark = pytest.mark.anyio

# Each outcome is one request (no retries), and what the send raises: an
# answer, two refusals, a hang-up and, last, an answer later than the client
# waits (half a second).
OUTCOMES: list[tuple[Callable[[FakeGreenAPI], object], type[GreenStatusError] | None]] = [
    (lambda fake: None, None),
    (lambda fake: fake.fail_next(401), AuthenticationError),
    (lambda fake: fake.fail_next(500), ServerError),
    (lambda fake: fake.drop_next(), APIConnectionError),
    (lambda fake: setattr(fake, "latency", 2.0), APITimeoutError),
]

Instrument = Callable[[AsyncStatusClient], None]


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def httpx_everywhere(provider: TracerProvider) -> Iterator[None]:
    """The global instrument(), as a service turns it on at start-up."""
    HTTPXClientInstrumentor().instrument(
        tracer_provider=provider, async_request_hook=otel_request_hook
    )
    try:
        yield
    finally:
        HTTPXClientInstrumentor().uninstrument()


@pytest.fixture
def aiohttp_everywhere(provider: TracerProvider) -> Iterator[None]:
    AioHttpClientInstrumentor().instrument(
        tracer_provider=provider, request_hook=otel_aiohttp_request_hook
    )
    try:
        yield
    finally:
        AioHttpClientInstrumentor().uninstrument()


@asynccontextmanager
async def client_of(fake: FakeGreenAPI, **options: object) -> AsyncIterator[AsyncStatusClient]:
    async with (
        fake.serve() as url,
        AsyncStatusClient(
            ID_INSTANCE,
            TOKEN,
            api_url=url,
            media_url=url,
            retry=NoRetry(),
            rate_limits=None,
            timeout=0.5,
            **options,  # type: ignore[arg-type]
        ) as client,
    ):
        yield client


async def send_every_outcome(fake: FakeGreenAPI, instrument: Instrument | None = None) -> str:
    """One send per outcome, on greenstatus's own client; the fake's URL."""
    async with client_of(fake) as client:
        if instrument is not None:
            instrument(client)
        for arrange, expected in OUTCOMES:
            arrange(fake)
            if expected is None:
                await client.send(TextStatus(message="Hello"))
            else:
                with pytest.raises(expected):
                    await client.send(TextStatus(message="Hello"))
        return str(fake.file_base_url)


def exported(exporter: InMemorySpanExporter) -> str:
    """Everything the exporter was given: names, attributes, events, statuses."""
    return json.dumps([json.loads(span.to_json()) for span in exporter.get_finished_spans()])


def url_attribute(span: ReadableSpan) -> object:
    attributes = span.attributes or {}
    return attributes.get("url.full", attributes.get("http.url"))


def masked_url(base: str) -> str:
    return f"{base}/waInstance{ID_INSTANCE}/sendTextStatus/***"


async def test_instrument_client_exports_masked_urls_only(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    def instrument(client: AsyncStatusClient) -> None:
        HTTPXClientInstrumentor.instrument_client(
            client.http_client, tracer_provider=provider, request_hook=otel_request_hook
        )

    base = await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN), instrument)

    spans = exporter.get_finished_spans()
    assert [url_attribute(span) for span in spans] == [masked_url(base)] * len(OUTCOMES)
    assert TOKEN not in exported(exporter)


async def test_without_the_hook_the_spans_hold_the_token(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    def instrument(client: AsyncStatusClient) -> None:
        HTTPXClientInstrumentor.instrument_client(client.http_client, tracer_provider=provider)

    await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN), instrument)

    assert exported(exporter).count(TOKEN) >= len(OUTCOMES)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.usefixtures("aiohttp_everywhere")
async def test_the_aiohttp_instrumentor_sees_the_default_client_on_asyncio_masked(
    exporter: InMemorySpanExporter,
) -> None:
    base = await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN))

    spans = exporter.get_finished_spans()
    assert [url_attribute(span) for span in spans] == [masked_url(base)] * len(OUTCOMES)
    assert TOKEN not in exported(exporter)


@pytest.mark.usefixtures("httpx_everywhere")
async def test_the_global_httpx_instrumentor_sees_the_default_client_on_trio_only(
    exporter: InMemorySpanExporter, anyio_backend: str
) -> None:
    base = await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN))

    spans = exporter.get_finished_spans()
    # On asyncio the default client sends through httpx-aiohttp's transport,
    # which is not the httpx.AsyncHTTPTransport this instrumentor patches.
    seen = len(OUTCOMES) if anyio_backend == "trio" else 0
    assert [url_attribute(span) for span in spans] == [masked_url(base)] * seen
    assert TOKEN not in exported(exporter)


@pytest.mark.usefixtures("httpx_everywhere", "aiohttp_everywhere")
async def test_both_global_instrumentors_see_each_request_once_on_either_loop(
    exporter: InMemorySpanExporter,
) -> None:
    base = await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN))

    spans = exporter.get_finished_spans()
    assert [url_attribute(span) for span in spans] == [masked_url(base)] * len(OUTCOMES)
    assert TOKEN not in exported(exporter)


@contextmanager
def unreachable() -> Iterator[str]:
    """A loopback URL whose connections are never accepted: a listening socket
    whose backlog is full, so that connecting times out (and aiohttp says
    "Connection timeout to host <the URL>")."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        with ExitStack() as fillers:
            for _ in range(4):
                filler = fillers.enter_context(socket.socket())
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            yield f"http://127.0.0.1:{port}"


async def send_unanswered() -> None:
    with unreachable() as url:
        async with AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=url, retry=NoRetry(), rate_limits=None, timeout=0.5
        ) as client:
            with pytest.raises(APITimeoutError):
                await client.send(TextStatus(message="Hello"))


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.usefixtures("aiohttp_everywhere")
async def test_an_error_recorded_after_the_hook_is_masked_too(
    exporter: InMemorySpanExporter,
) -> None:
    await send_unanswered()

    (span,) = exporter.get_finished_spans()
    (event,) = span.events
    message = (event.attributes or {}).get("exception.message")
    assert isinstance(message, str)
    assert message.startswith("Connection timeout to host http://127.0.0.1:")
    assert message.endswith(f"/waInstance{ID_INSTANCE}/sendTextStatus/***")
    assert TOKEN not in exported(exporter)


async def test_a_timeout_under_instrument_client_leaves_no_token(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    hooked = create_http_client()
    HTTPXClientInstrumentor.instrument_client(
        hooked, tracer_provider=provider, request_hook=otel_request_hook
    )
    with unreachable() as url:
        async with (
            hooked,
            AsyncStatusClient(
                ID_INSTANCE, TOKEN, api_url=url, retry=NoRetry(), http_client=hooked, timeout=0.5
            ) as client,
        ):
            with pytest.raises(APITimeoutError):
                await client.send(TextStatus(message="Hello"))

    (span,) = exporter.get_finished_spans()
    assert [event.name for event in span.events] == ["exception"]
    assert span.status.description is not None
    assert TOKEN not in exported(exporter)


async def test_a_raising_event_hook_leaves_no_token_in_spans(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    async def refuse(response: httpx.Response) -> None:
        raise RuntimeError(f"refused after {response.request.url}")

    http = create_http_client(event_hooks={"response": [refuse]})
    HTTPXClientInstrumentor.instrument_client(
        http, tracer_provider=provider, request_hook=otel_request_hook
    )
    async with http, client_of(FakeGreenAPI(ID_INSTANCE, TOKEN), http_client=http) as client:
        # However greenstatus reports it, the hook's error names the URL.
        with pytest.raises(Exception, match=r"refused after http://127\.0\.0\.1:"):
            await client.send(TextStatus(message="Hello"))

    assert len(exporter.get_finished_spans()) == 1
    assert TOKEN not in exported(exporter)


async def test_a_request_elsewhere_is_left_as_it_is(
    exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        HTTPXClientInstrumentor.instrument_client(
            http, tracer_provider=provider, request_hook=otel_request_hook
        )
        await http.get("http://127.0.0.1:9/api/sendTextStatus/abc")

    urls = [url_attribute(span) for span in exporter.get_finished_spans()]
    assert urls == ["http://127.0.0.1:9/api/sendTextStatus/abc"]


# Old and new semantic conventions at once: the instrumentors read the choice
# from the environment once per process, so this runs in a process of its own.
BOTH_CONVENTIONS = f"""
import anyio
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import greenstatus
from greenstatus.testing import FakeGreenAPI

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
AioHttpClientInstrumentor().instrument(
    tracer_provider=provider, request_hook=greenstatus.otel_aiohttp_request_hook
)


async def main():
    fake = FakeGreenAPI({ID_INSTANCE!r}, {TOKEN!r})
    async with fake.serve() as url, greenstatus.AsyncStatusClient(
        fake.id_instance, fake.token, api_url=url, media_url=url
    ) as client:
        HTTPXClientInstrumentor.instrument_client(
            client.http_client,
            tracer_provider=provider,
            request_hook=greenstatus.otel_request_hook,
        )
        await client.send_text_status("Hello")
        return url


url = anyio.run(main)
for span in exporter.get_finished_spans():
    full, old = span.attributes["url.full"], span.attributes["http.url"]
    print(span.name, full == old, full.replace(url, ""))
print({TOKEN!r} in "".join(span.to_json() for span in exporter.get_finished_spans()))
"""


def test_both_semantic_conventions_are_masked() -> None:
    environment = {**os.environ, "OTEL_SEMCONV_STABILITY_OPT_IN": "http/dup"}
    done = subprocess.run(
        [sys.executable, "-c", BOTH_CONVENTIONS],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    path = f"/waInstance{ID_INSTANCE}/sendTextStatus/***"
    # One span from each instrumentor (aiohttp's under httpx's), url.full and
    # http.url both masked.
    assert done.stdout.splitlines() == [f"POST True {path}", f"POST True {path}", "False"]
