"""Shutdown: every call under way when its client (or the ``http_client`` under
it) is closed ends as a result or a typed error with an honest
``request_sent``, never a bare cancellation; ``send_all`` reports the statuses
it never started as not sent, and logs nothing at ERROR for them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import anyio
import attrs
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    AsyncStatusClient,
    ClientClosedError,
    GreenStatusError,
    SendResult,
    TextStatus,
)
from greenstatus.testing import FakeGreenAPI
from tests import loopback
from tests.conftest import ID_INSTANCE, TOKEN, fake_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def held() -> Iterator[tuple[loopback.Server, threading.Event]]:
    """A loopback server that reads each request and answers once released."""
    release = threading.Event()

    def behaviour(handler: loopback.Handler) -> None:
        release.wait(timeout=30)
        handler.reply_json(200, {"idMessage": "ID"})

    with loopback.serve(behaviour) as server:
        yield server, release
        release.set()


async def wait_for_requests(server: loopback.Server, count: int) -> None:
    with anyio.fail_after(10):
        while len(server.requests) < count:  # noqa: ASYNC110 - another thread's list
            await anyio.sleep(0.01)


async def test_send_all_reports_the_statuses_it_never_started_as_not_sent(
    held: tuple[loopback.Server, threading.Event], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = held
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=server.url, rate_limits=None)
    results: list[SendResult] = []

    async def run() -> None:
        results.extend(
            await client.send_all(
                [TextStatus(message=str(n)) for n in range(40)], max_concurrency=4
            )
        )

    async with anyio.create_task_group() as group:
        group.start_soon(run)
        await wait_for_requests(server, 4)
        await client.aclose()
    assert len(results) == 40
    errors = [result.error for result in results]
    # The four on the wire lost their connection and may have been delivered;
    # the 36 never started were not sent.
    on_the_wire = [e for e in errors if isinstance(e, APIConnectionError) and e.request_sent]
    not_sent = [e for e in errors if isinstance(e, ClientClosedError) and not e.request_sent]
    assert len(on_the_wire) == 4
    assert len(not_sent) == 36
    assert len(server.requests) == 4
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_call_waiting_for_the_rate_limiter_ends_typed_at_close() -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    client = fake_client(fake)
    outcomes: list[BaseException | object] = []

    async def call() -> None:
        try:
            outcomes.append(await client.get_outgoing_statuses())
        except Exception as error:
            outcomes.append(error)

    # getOutgoingStatuses is 1 request per second: the third waits two seconds.
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(call)
        with anyio.fail_after(10):
            while len(fake.requests) < 1:  # noqa: ASYNC110 - the fake's record
                await anyio.sleep(0.01)
        await client.aclose()
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(outcomes) == 3
    assert len(errors) == 3 - len(fake.requests)
    assert errors
    for error in errors:
        assert isinstance(error, ClientClosedError)
        assert error.request_sent is False
        assert "it was not sent" in str(error)


async def test_calls_on_a_closed_user_client_end_typed_and_not_sent() -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    http = httpx.AsyncClient(transport=fake.transport())
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http)
    await client.send_text_status("first")
    await http.aclose()
    assert client.is_closed
    with pytest.raises(ClientClosedError) as excinfo:
        await client.send_text_status("second")
    assert excinfo.value.request_sent is False
    [result] = await _send_all_quietly(client)
    assert isinstance(result.error, ClientClosedError)
    assert result.error.request_sent is False
    assert len(fake.requests) == 1


async def _send_all_quietly(client: AsyncStatusClient) -> list[SendResult]:
    # A client whose pool the user closed refuses send_all's start like any
    # closed client; each status it had started would end typed.
    try:
        return await client.send_all([TextStatus(message="x")])
    except RuntimeError:
        pytest.fail("send_all refused instead of reporting the status as not sent")


async def test_a_call_on_the_wire_of_a_users_client_ends_as_it_would_have(
    held: tuple[loopback.Server, threading.Event],
) -> None:
    server, release = held
    async with httpx.AsyncClient() as http:
        client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=server.url, http_client=http)
        sent: list[str] = []

        async def call() -> None:
            sent.append((await client.send_text_status("hi")).id_message)

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await wait_for_requests(server, 1)
            await client.aclose()  # the user's pool stays open: the answer comes
            release.set()
    assert sent == ["ID"]


@attrs.frozen
class Backoff:
    """Retries everything, once, after ``delay`` seconds."""

    delay: float

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        return self.delay if attempt == 1 else None


@pytest.mark.parametrize("closed", ["the client", "its parent", "the user's client"])
async def test_a_call_in_backoff_after_a_maybe_delivered_attempt_says_so_at_close(
    closed: str,
) -> None:
    # A close of ours ends the minute's backoff at once; httpx tells no one of
    # a user's close, so that call finds out when it next tries, in 0.5 s.
    backoff = Backoff(0.5 if closed == "the user's client" else 60.0)
    with loopback.serve(lambda handler: handler.drop()) as server:
        http = httpx.AsyncClient() if closed == "the user's client" else None
        parent = AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=server.url, http_client=http, rate_limits=None
        )
        client = parent.with_options(retry=backoff) if closed == "its parent" else parent
        outcome: list[BaseException] = []

        async def call() -> None:
            try:
                await client.send_text_status("hi", retry=backoff)
            except GreenStatusError as error:
                outcome.append(error)

        with anyio.fail_after(20):  # far less than the minute's backoff
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await wait_for_requests(server, 1)
                await anyio.sleep(0.2)  # the drop is seen, the backoff begun
                await (http.aclose() if http is not None else parent.aclose())
        await client.aclose()
    [error] = outcome
    assert isinstance(error, ClientClosedError)
    assert error.request_sent is True  # the dropped attempt may have been delivered
    assert "an earlier attempt may have been delivered" in str(error)
    assert len(server.requests) == 1


@pytest.mark.parametrize("check", ["send", "check_link"])
async def test_a_link_check_cut_short_by_a_closed_client_blames_the_close_not_the_link(
    check: str,
) -> None:
    def link_host(handler: loopback.Handler) -> None:
        handler.reply_json(200, {})

    first_hop = anyio.Event()
    closed = anyio.Event()

    async def hold_the_first_answer(response: httpx.Response) -> None:
        first_hop.set()
        await closed.wait()

    with loopback.serve(link_host) as links, loopback.serve() as green_api:
        http = httpx.AsyncClient(event_hooks={"response": [hold_the_first_answer]})
        client = AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=green_api.url, http_client=http, check_links=True
        )
        outcome: list[BaseException] = []

        async def call() -> None:
            try:
                if check == "send":
                    await client.send_voice_status(f"{links.url}/a.mp3", "a.mp3")
                else:
                    await client.check_link(f"{links.url}/a.mp3", "voice")
            except GreenStatusError as error:
                outcome.append(error)

        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                group.start_soon(call)
                await first_hop.wait()
                await http.aclose()
                closed.set()
    [error] = outcome
    assert type(error) is ClientClosedError
    assert error.request_sent is False
    # The standard library's server answers HEAD 501 (unrecorded); the ranged
    # GET the check would ask next never went out.
    assert links.requests == []
    assert green_api.requests == []
