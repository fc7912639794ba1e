"""Sentry, with its default integrations and greenstatus's hooks, sends nothing
that holds the token: a token is planted, sends succeed and fail against the
fake on loopback, errors are captured (handled, and unhandled in a thread), and
every envelope Sentry would have sent is searched for it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    NoRetry,
    ServerError,
    TextStatus,
    create_http_client,
    scrub_sentry_breadcrumb,
    scrub_sentry_event,
)
from greenstatus.testing import FakeGreenAPI

from .conftest import ID_INSTANCE, TOKEN, served_client

pytestmark = pytest.mark.anyio

HOOKS: dict[str, Any] = {
    "before_send": scrub_sentry_event,
    "before_send_span": scrub_sentry_event,
    "before_breadcrumb": scrub_sentry_breadcrumb,
}

# Each outcome is one request (no retries), and what the send raises: an
# answer, two refusals, a hang-up and, last, an answer later than the client
# waits (half a second).
OUTCOMES: list[tuple[Callable[[FakeGreenAPI], object], type[Exception] | None]] = [
    (lambda fake: None, None),
    (lambda fake: fake.fail_next(401), AuthenticationError),
    (lambda fake: fake.fail_next(500), ServerError),
    (lambda fake: fake.drop_next(), APIConnectionError),
    (lambda fake: setattr(fake, "latency", 2.0), APITimeoutError),
]


class Captured(Transport):
    """Keeps every envelope item, as the bytes Sentry's own transport would send."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.items: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.items.extend(item.get_bytes() for item in envelope.items)


Start = Callable[..., Captured]


@pytest.fixture
def start_sentry() -> Iterator[Start]:
    """``sentry_sdk.init`` with its defaults, tracing on, and our transport;
    closed (and every scope's breadcrumbs dropped) after the test."""

    def start(**options: Any) -> Captured:
        sentry_sdk.init(
            dsn="http://public@127.0.0.1:9/1",  # never reached: the transport is ours
            transport=Captured,
            traces_sample_rate=1.0,
            **options,
        )
        transport = sentry_sdk.get_client().transport
        assert isinstance(transport, Captured)
        return transport

    sentry_sdk.get_isolation_scope().clear_breadcrumbs()
    try:
        yield start
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        sentry_sdk.get_isolation_scope().clear_breadcrumbs()


def sent(transport: Captured) -> str:
    sentry_sdk.flush()
    return "\n".join(item.decode() for item in transport.items)


def errors(transport: Captured) -> list[dict[str, Any]]:
    """The error events sent (not spans, sessions or client reports)."""
    sentry_sdk.flush()
    events = [json.loads(item) for item in transport.items]
    return [event for event in events if "exception" in event]


async def send_every_outcome(fake: FakeGreenAPI, **options: Any) -> str:
    """One send per outcome inside a span; each failure captured. The fake's URL."""
    async with served_client(fake, retry=NoRetry(), rate_limits=None, timeout=0.5, **options) as (
        client
    ):
        with sentry_sdk.start_span(name="statuses"):
            for arrange, expected in OUTCOMES:
                arrange(fake)
                if expected is None:
                    await client.send(TextStatus(message="Hello"))
                    continue
                with pytest.raises(expected) as excinfo:
                    await client.send(TextStatus(message="Hello"))
                sentry_sdk.capture_exception(excinfo.value)
        return str(fake.file_base_url)


async def test_no_sent_event_holds_the_token(start_sentry: Start) -> None:
    transport = start_sentry(**HOOKS)

    base = await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN))

    assert len(errors(transport)) == len(OUTCOMES) - 1
    assert f"/waInstance{ID_INSTANCE}/sendTextStatus/***" in sent(transport)
    assert base in sent(transport)
    assert TOKEN not in sent(transport)


async def test_without_the_hooks_the_events_hold_the_token(start_sentry: Start) -> None:
    transport = start_sentry()

    await send_every_outcome(FakeGreenAPI(ID_INSTANCE, TOKEN))

    assert len(errors(transport)) == len(OUTCOMES) - 1
    # Breadcrumbs, frame locals, span names and attributes: many times each.
    assert sent(transport).count(TOKEN) > 2 * len(OUTCOMES)


async def test_a_raising_event_hook_sends_no_token(start_sentry: Start) -> None:
    async def refuse(response: httpx.Response) -> None:
        raise RuntimeError(f"refused after {response.request.url}")

    transport = start_sentry(**HOOKS)
    http = create_http_client(event_hooks={"response": [refuse]})
    async with http, served_client(FakeGreenAPI(ID_INSTANCE, TOKEN), http_client=http) as client:
        # However greenstatus reports it, the hook's error names the URL.
        with pytest.raises(Exception, match=r"refused after http://127\.0\.0\.1:") as excinfo:
            await client.send(TextStatus(message="Hello"))
        sentry_sdk.capture_exception(excinfo.value)

    (event,) = errors(transport)
    values = [exception["value"] for exception in event["exception"]["values"]]
    assert any(f"/waInstance{ID_INSTANCE}/sendTextStatus/***" in value for value in values)
    assert TOKEN not in sent(transport)


# The error is left unhandled on purpose: pytest's own thread hook sees it too.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_unhandled_error_in_a_thread_sends_no_token(start_sentry: Start) -> None:
    """Sentry's threading integration (a default) reports it, frame locals and all."""
    transport = start_sentry(**HOOKS)
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    fake.fail_next(401)

    async def send_once() -> None:
        async with served_client(fake, retry=NoRetry()) as client:
            await client.send(TextStatus(message="Hello"))

    worker = threading.Thread(target=anyio.run, args=(send_once,))
    worker.start()
    worker.join(timeout=30)

    (event,) = errors(transport)
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "AuthenticationError"
    assert exception["mechanism"]["handled"] is False
    assert any(frame.get("vars") for frame in exception["stacktrace"]["frames"])
    assert TOKEN not in sent(transport)


async def test_breadcrumbs_are_masked_as_they_are_recorded(start_sentry: Start) -> None:
    transport = start_sentry(before_breadcrumb=scrub_sentry_breadcrumb)

    async with served_client(FakeGreenAPI(ID_INSTANCE, TOKEN), retry=NoRetry()) as client:
        await client.send(TextStatus(message="Hello"))
        sentry_sdk.capture_message("sent")

    sentry_sdk.flush()
    (event,) = [json.loads(item) for item in transport.items if b'"sent"' in item]
    urls = [
        crumb["data"]["url"]
        for crumb in event["breadcrumbs"]["values"]
        if "url" in crumb.get("data", {})
    ]
    assert urls
    assert all(url.endswith(f"/waInstance{ID_INSTANCE}/sendTextStatus/***") for url in urls)


PATH = f"/waInstance{ID_INSTANCE}/sendTextStatus/"


def test_every_string_is_masked_at_any_depth_keys_included() -> None:
    event = {
        "message": f"POST http://127.0.0.1:1{PATH}{TOKEN} failed",
        "spans": [{"data": {"url": f"{PATH}{TOKEN}", "status": 401, "ok": False}}],
        "contexts": {"trace": ({f"{PATH}{TOKEN}": [f"<Request('POST', '{PATH}{TOKEN}')>"]},)},
    }

    assert scrub_sentry_event(event, {}) == {
        "message": f"POST http://127.0.0.1:1{PATH}*** failed",
        "spans": [{"data": {"url": f"{PATH}***", "status": 401, "ok": False}}],
        "contexts": {"trace": ({f"{PATH}***": [f"<Request('POST', '{PATH}***')>"]},)},
    }


def test_the_event_given_is_left_as_it_was() -> None:
    event = {"extra": {"url": f"{PATH}{TOKEN}"}}

    scrub_sentry_event(event, {})

    assert event == {"extra": {"url": f"{PATH}{TOKEN}"}}


def test_a_string_under_a_key_naming_a_token_is_masked_whole() -> None:
    frame_vars = {
        "api_token_instance": repr(TOKEN),
        "GREEN_API_TOKEN": TOKEN,
        "tokens_left": 3,
        "greeting": repr(TOKEN),
    }

    assert scrub_sentry_event({"vars": frame_vars}, {}) == {
        "vars": {
            "api_token_instance": "***",
            "GREEN_API_TOKEN": "***",
            "tokens_left": 3,
            # Under any other name a bare token is not known for one: the hooks
            # never see the token itself.
            "greeting": repr(TOKEN),
        }
    }


def test_what_nests_deeper_than_the_bound_is_masked_whole() -> None:
    deep: dict[str, object] = {"url": f"{PATH}{TOKEN}"}
    for _ in range(40):
        deep = {"inner": deep}

    scrubbed = json.dumps(scrub_sentry_event(deep, {}))

    assert TOKEN not in scrubbed
    assert scrubbed.count('"inner"') == 32
    assert scrubbed.endswith('"***"' + "}" * 32)


def test_a_breadcrumb_is_masked_like_an_event() -> None:
    crumb = {"type": "http", "data": {"url": f"http://127.0.0.1:1{PATH}{TOKEN}", "method": "POST"}}

    assert scrub_sentry_breadcrumb(crumb, {}) == {
        "type": "http",
        "data": {"url": f"http://127.0.0.1:1{PATH}***", "method": "POST"},
    }
