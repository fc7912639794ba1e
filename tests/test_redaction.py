"""The API token never reaches a log record, a message, a repr or a chained error."""

from __future__ import annotations

import logging
import subprocess
import sys

import aiohttp
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    APIStatusError,
    AsyncStatusClient,
    GreenStatusError,
    ResponseValidationError,
    SendResult,
    TextStatus,
)

from . import loopback
from .conftest import API_URL, ID_INSTANCE, TOKEN, Recorder, url_of
from .reachable import hits

pytestmark = pytest.mark.anyio

LOGGERS = ("", "greenstatus", "httpx", "httpcore", "hpack", "anyio", "asyncio", "trio")


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_no_token_in_records(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the calls logged nothing, so this test proves nothing"
    for record in caplog.records:
        assert TOKEN not in record.getMessage(), record.name
        assert TOKEN not in str(record.msg)
        assert TOKEN not in repr(record.args)
        assert TOKEN not in caplog.text


def assert_no_token_anywhere(error: BaseException) -> None:
    assert hits(error, TOKEN) == []


def reply_by_path(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith(f"/sendTextStatus/{TOKEN}"):
        return httpx.Response(200, json={"idMessage": "ID1"})
    if "getOutgoingStatuses" in request.url.path:
        return httpx.Response(429, headers={"Retry-After": "1"})
    if "getIncomingStatuses" in request.url.path:
        return httpx.Response(200, text="<html>" + str(request.url) + "</html>")
    # An answer that echoes the URL it was called at, token included.
    return httpx.Response(401, text=f"bad token for {request.url}")


async def test_no_log_record_of_any_call_holds_the_token(
    all_logs: pytest.LogCaptureFixture, recorder: Recorder, client: AsyncStatusClient
) -> None:
    recorder.responder = reply_by_path
    await client.send(TextStatus(message="hi"))
    for call in (
        client.delete_status("X"),
        client.get_outgoing_statuses(),
        client.get_incoming_statuses(),
    ):
        with pytest.raises(GreenStatusError) as excinfo:
            await call
        assert_no_token_anywhere(excinfo.value)
    httpx_lines = [record for record in all_logs.records if record.name == "httpx"]
    assert len(httpx_lines) == 4  # httpx's INFO request line is there, masked
    assert "/sendTextStatus/***" in httpx_lines[0].getMessage()
    assert_no_token_in_records(all_logs)


async def test_logs_of_a_real_connection_hold_no_token(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    with loopback.serve() as server:
        async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=server.url) as client:
            await client.send_text_status("hi")
    own = [r.getMessage() for r in all_logs.records if r.name == "greenstatus"]
    assert "sendTextStatus answered 200" in own
    # The default client is an httpx client on both backends: httpx's own
    # request line is there, masked.
    [request_line] = [r.getMessage() for r in all_logs.records if r.name == "httpx"]
    assert "/sendTextStatus/*** " in request_line
    assert_no_token_in_records(all_logs)


async def test_a_transport_error_naming_the_url_is_masked_in_the_chain(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        try:
            raise OSError(f"connect to {request.url} failed")
        except OSError as inner:
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request) from inner

    recorder.responder = fail
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("hi")
    assert_no_token_anywhere(excinfo.value)
    assert isinstance(excinfo.value.__cause__, httpx.ConnectError)
    assert "/sendTextStatus/***" in str(excinfo.value.__cause__)


async def test_an_error_whose_message_is_built_from_a_str_attribute_is_cleaned_in_place(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    class Stubborn(httpx.ReadError):
        def __init__(self, url: str) -> None:
            super().__init__("read failed")
            self.where = url

        def __str__(self) -> str:
            return f"read from {self.where} failed"

    def fail(request: httpx.Request) -> httpx.Response:
        raise Stubborn(str(request.url))

    recorder.responder = fail
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("hi")
    assert_no_token_anywhere(excinfo.value)
    cause = excinfo.value.__cause__
    assert isinstance(cause, Stubborn)
    assert cause.where == url_of("sendTextStatus").replace(TOKEN, "***")


async def test_an_error_holding_the_token_where_it_cannot_be_cleaned_is_replaced(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    class Stubborn(httpx.ReadError):
        def __init__(self, url: str) -> None:
            super().__init__("read failed")
            self.where = (url,)  # not a str: nothing to mask in place

        def __str__(self) -> str:
            return f"read from {self.where[0]} failed"

    def fail(request: httpx.Request) -> httpx.Response:
        raise Stubborn(str(request.url))

    recorder.responder = fail
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("hi")
    assert_no_token_anywhere(excinfo.value)
    assert "Stubborn" in str(excinfo.value.__cause__)
    assert type(excinfo.value.__cause__).__name__ == "RedactedError"


async def test_errors_carry_the_masked_url(recorder: Recorder, client: AsyncStatusClient) -> None:
    recorder.responder = lambda request: httpx.Response(403)
    with pytest.raises(APIStatusError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.url == url_of("sendTextStatus").replace(TOKEN, "***")
    assert_no_token_anywhere(excinfo.value)


async def test_a_body_echoing_the_token_is_masked_in_the_message(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    recorder.responder = lambda request: httpx.Response(200, text=f"odd {TOKEN} answer")
    with pytest.raises(ResponseValidationError) as excinfo:
        await client.send_text_status("hi")
    assert_no_token_anywhere(excinfo.value)


async def test_repr_of_client_results_and_errors_hold_no_token(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    results = await client.send_all([TextStatus(message="hi")])
    recorder.responder = lambda request: httpx.Response(500, text=str(request.url))
    failed = await client.send_all([TextStatus(message="hi")])
    for thing in (client, results, failed, failed[0].error):
        assert TOKEN not in repr(thing)
        assert TOKEN not in str(thing)
    assert isinstance(failed[0], SendResult)
    assert f"id_instance='{ID_INSTANCE}'" in repr(client)


def test_configuration_errors_do_not_echo_the_token() -> None:
    bad_token = TOKEN + "/x"
    with pytest.raises(ValueError, match="api_token_instance") as excinfo:
        AsyncStatusClient(ID_INSTANCE, bad_token, api_url=API_URL)
    assert TOKEN not in str(excinfo.value)


async def test_an_aiohttp_error_carrying_the_url_is_cleaned_in_the_chain(
    recorder: Recorder, client: AsyncStatusClient
) -> None:
    # httpx-aiohttp raises httpx errors "from" aiohttp's, and aiohttp's
    # InvalidURL keeps the whole URL, token included.
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol(str(request.url)) from aiohttp.InvalidURL(str(request.url))

    recorder.responder = fail
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("hi")
    assert_no_token_anywhere(excinfo.value)
    assert excinfo.value.request_sent is False


def test_importing_greenstatus_masks_httpx_request_lines() -> None:
    # In a fresh interpreter: a shared client logs before any AsyncStatusClient exists.
    script = f"""
import logging, sys
import httpx
import greenstatus
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
async def main():
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    async with greenstatus.create_http_client(transport=transport) as http:
        await http.post({url_of("sendTextStatus")!r})
import anyio
anyio.run(main)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "/sendTextStatus/*** " in done.stdout
    assert TOKEN not in done.stdout + done.stderr
