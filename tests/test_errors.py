"""Every HTTP code and transport failure ends as the documented exception type."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import aiohttp
import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncStatusClient,
    AuthenticationError,
    BadRequestError,
    GreenStatusError,
    NoRetry,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    QuotaStatus,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    TextStatus,
)

from . import loopback
from .conftest import ID_INSTANCE, TOKEN, Recorder

pytestmark = pytest.mark.anyio

MASKED_SEND_URL = f"https://1101.api.greenapi.com/waInstance{ID_INSTANCE}/sendTextStatus/***"


def answer(status: int, **kwargs: object) -> object:
    return lambda request: httpx.Response(status, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (466, QuotaExceededError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (405, APIStatusError),
        (409, APIStatusError),
        (499, APIStatusError),
    ],
)
async def test_status_codes_map_to_their_exception(
    client: AsyncStatusClient, recorder: Recorder, status: int, kind: type[APIStatusError]
) -> None:
    recorder.responder = answer(status, json={"message": "nope"})  # type: ignore[assignment]
    with pytest.raises(APIStatusError) as excinfo:
        await client.send(TextStatus(message="hi"))
    error = excinfo.value
    assert type(error) is kind
    assert error.status_code == status
    assert error.body == {"message": "nope"}
    assert error.api_method == "sendTextStatus"
    assert error.url == MASKED_SEND_URL
    assert str(error).startswith(f"sendTextStatus answered {status} ")
    assert "nope" in str(error)
    assert len(recorder.requests) == 1


async def test_a_text_error_body_is_kept_as_text(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = answer(401, text="Unauthorized")  # type: ignore[assignment]
    with pytest.raises(AuthenticationError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.body == "Unauthorized"


@pytest.mark.parametrize(
    ("body", "not_ready"),
    [
        ({"message": "instance in starting process try later"}, True),
        ('{"message":"Instance account not authorized"}', True),
        ({"message": "Validation failed", "errors": ["message is required"]}, False),
        ({"message": "Instance account is expired"}, False),
    ],
)
async def test_bad_request_tells_whether_the_instance_is_not_ready(
    client: AsyncStatusClient, recorder: Recorder, body: object, not_ready: bool
) -> None:
    if isinstance(body, str):
        recorder.responder = answer(400, text=body)  # type: ignore[assignment]
    else:
        recorder.responder = answer(400, json=body)  # type: ignore[assignment]
    with pytest.raises(BadRequestError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.instance_not_ready is not_ready


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
    ],
)
async def test_rate_limit_error_carries_retry_after(
    client: AsyncStatusClient, recorder: Recorder, headers: dict[str, str], expected: float | None
) -> None:
    recorder.responder = answer(429, headers=headers)  # type: ignore[assignment]
    with pytest.raises(RateLimitError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.retry_after == expected


async def test_retry_after_as_an_http_date(client: AsyncStatusClient, recorder: Recorder) -> None:
    moment = datetime.now(timezone.utc) + timedelta(seconds=120)
    recorder.responder = answer(  # type: ignore[assignment]
        429, headers={"Retry-After": format_datetime(moment, usegmt=True)}
    )
    with pytest.raises(RateLimitError) as excinfo:
        await client.send_text_status("hi")
    retry_after = excinfo.value.retry_after
    assert retry_after is not None
    assert 100 < retry_after <= 120


async def test_quota_exceeded_details_are_parsed(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = answer(  # type: ignore[assignment]
        466,
        json={
            "invokeStatus": {
                "method": "sendTextStatus",
                "used": 201,
                "total": 200,
                "status": "QUOTE_EXCEEDED",
                "description": "Monthly quota has been exceeded.",
            },
            "correspondentsStatus": {"status": "QUOTE_EXCEEDED", "used": 4, "total": 3},
        },
    )
    with pytest.raises(QuotaExceededError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.invoke_status == QuotaStatus(
        method="sendTextStatus",
        used=201,
        total=200,
        status="QUOTE_EXCEEDED",
        description="Monthly quota has been exceeded.",
    )
    assert excinfo.value.correspondents_status == QuotaStatus(
        status="QUOTE_EXCEEDED", used=4, total=3
    )


async def test_quota_error_without_details(client: AsyncStatusClient, recorder: Recorder) -> None:
    recorder.responder = answer(466, text="quota")  # type: ignore[assignment]
    with pytest.raises(QuotaExceededError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.invoke_status is None
    assert excinfo.value.correspondents_status is None


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, text="not json"),
        httpx.Response(200, json={"id": "x"}),
        httpx.Response(200, json={"idMessage": ""}),
        httpx.Response(200, json=["3EB0"]),
        httpx.Response(200),
    ],
)
async def test_a_send_answer_without_id_message_is_a_validation_error(
    client: AsyncStatusClient, recorder: Recorder, reply: httpx.Response
) -> None:
    recorder.responder = lambda request: reply
    with pytest.raises(ResponseValidationError) as excinfo:
        await client.send_text_status("hi")
    assert excinfo.value.api_method == "sendTextStatus"
    assert excinfo.value.status_code == 200
    assert excinfo.value.url == MASKED_SEND_URL


@pytest.mark.parametrize(
    "body",
    [
        {"participant": "x"},
        [{"participant": "7@c.us", "status": "read"}],
        [{"participant": "7@c.us", "status": "read", "timestamp": "soon"}],
        ["not an object"],
    ],
)
async def test_a_malformed_statistic_is_a_validation_error_that_says_where(
    client: AsyncStatusClient, recorder: Recorder, body: object
) -> None:
    recorder.responder = answer(200, json=body)  # type: ignore[assignment]
    with pytest.raises(ResponseValidationError) as excinfo:
        await client.get_status_statistic("X")
    assert excinfo.value.body == body


def wrapped(outer: httpx.RequestError, inner: BaseException) -> httpx.RequestError:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("failure", "kind", "request_sent"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, False),
        (httpx.ConnectTimeout("slow connect"), APITimeoutError, False),
        (httpx.PoolTimeout("pool"), APITimeoutError, False),
        (httpx.UnsupportedProtocol("no scheme"), APIConnectionError, False),
        (httpx.ReadTimeout("slow answer"), APITimeoutError, True),
        (httpx.WriteTimeout("slow upload"), APITimeoutError, True),
        (httpx.ReadError("reset"), APIConnectionError, True),
        (httpx.WriteError("broken pipe"), APIConnectionError, True),
        (httpx.RemoteProtocolError("Server disconnected"), APIConnectionError, True),
        # A disconnect or read timeout after the request was written, surfacing
        # under a "connect" name, as an aiohttp-backed transport may report it.
        (
            wrapped(httpx.ConnectTimeout("t"), aiohttp.ServerDisconnectedError()),
            APIConnectionError,
            True,
        ),
        (
            wrapped(httpx.ConnectTimeout("t"), aiohttp.SocketTimeoutError("read")),
            APITimeoutError,
            True,
        ),
        (
            wrapped(httpx.ConnectError("x"), aiohttp.ClientPayloadError("cut")),
            APIConnectionError,
            True,
        ),
        # httpx-aiohttp maps every aiohttp connection error to ConnectTimeout,
        # a reset after the request was written or a failed body write included.
        (
            wrapped(httpx.ConnectTimeout("t"), aiohttp.ClientOSError(104, "reset by peer")),
            APIConnectionError,
            True,
        ),
        (
            wrapped(httpx.ConnectTimeout("t"), aiohttp.ClientOSError("Can not write body")),
            APIConnectionError,
            True,
        ),
        (
            wrapped(httpx.ConnectTimeout("t"), aiohttp.ClientConnectionResetError("closing")),
            APIConnectionError,
            True,
        ),
        (
            wrapped(httpx.ConnectError("x"), ConnectionResetError(104, "reset by peer")),
            APIConnectionError,
            True,
        ),
        # Real refusals, whatever the outer name.
        (
            wrapped(httpx.ReadError("x"), ConnectionRefusedError(111, "refused")),
            APIConnectionError,
            True,
        ),
        (
            wrapped(httpx.TransportError("x"), ConnectionRefusedError(111, "refused")),
            APIConnectionError,
            False,
        ),
        (
            wrapped(httpx.TransportError("x"), aiohttp.ConnectionTimeoutError("connect")),
            APITimeoutError,
            False,
        ),
        (
            wrapped(httpx.TransportError("x"), socket.gaierror(-2, "Name or service not known")),
            APIConnectionError,
            False,
        ),
        # Nothing recognisable: assume it may have been sent.
        (httpx.TransportError("mystery"), APIConnectionError, True),
    ],
)
async def test_transport_failures_say_whether_the_request_may_have_been_sent(
    client: AsyncStatusClient,
    recorder: Recorder,
    failure: httpx.RequestError,
    kind: type[APIConnectionError],
    request_sent: bool,
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    recorder.responder = fail
    with pytest.raises(APIConnectionError) as excinfo:
        await client.send_text_status("hi")
    error = excinfo.value
    assert type(error) is kind
    assert error.request_sent is request_sent
    assert error.api_method == "sendTextStatus"
    assert error.url == MASKED_SEND_URL
    assert error.__cause__ is failure
    assert ("may have been delivered" in str(error)) is request_sent


async def test_connection_refused_on_loopback_is_not_sent() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=f"http://127.0.0.1:{port}", retry=NoRetry()
    ) as client:
        with pytest.raises(APIConnectionError) as excinfo:
            await client.send_text_status("hi")
    assert type(excinfo.value) is APIConnectionError
    assert excinfo.value.request_sent is False


async def test_a_server_that_reads_the_request_and_hangs_up_may_have_delivered_it() -> None:
    with loopback.serve(lambda handler: handler.drop()) as server:
        async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=server.url) as client:
            with pytest.raises(APIConnectionError) as excinfo:
                await client.send_text_status("hi")
    assert excinfo.value.request_sent is True
    assert len(server.requests) == 1


async def test_a_server_that_never_answers_times_out_as_possibly_delivered() -> None:
    release = threading.Event()

    def stall(handler: loopback.Handler) -> None:
        release.wait(10)

    with loopback.serve(stall) as server:
        try:
            async with AsyncStatusClient(
                ID_INSTANCE, TOKEN, api_url=server.url, timeout=httpx.Timeout(0.3)
            ) as client:
                with pytest.raises(APITimeoutError) as excinfo:
                    await client.send_text_status("hi")
        finally:
            release.set()
    assert excinfo.value.request_sent is True
    assert len(server.requests) == 1


async def test_every_error_is_a_greenstatus_error(
    client: AsyncStatusClient, recorder: Recorder
) -> None:
    recorder.responder = answer(502)  # type: ignore[assignment]
    with pytest.raises(GreenStatusError):
        await client.send_text_status("hi")
