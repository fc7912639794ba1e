"""Errors and results cross processes and queues; the client and its token do not."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import httpx
import pytest

import greenstatus
from greenstatus import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncStatusClient,
    AudienceError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    GreenStatusError,
    InvalidStatusError,
    LinkCheckError,
    MediaError,
    NotFoundError,
    NotificationError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    RateLimiterUnavailableError,
    ResponseValidationError,
    ServerError,
    TextStatus,
    UnexpectedError,
    WebhookAuthError,
)
from greenstatus.testing import FakeGreenAPI

from .conftest import API_URL, ID_INSTANCE, TOKEN, Recorder, fake_client

pytestmark = pytest.mark.anyio

URL = f"{API_URL}/waInstance{ID_INSTANCE}/sendTextStatus/***"
HEADERS = httpx.Headers({"Retry-After": "3", "X-Request": "abc"})


def status(kind: type[APIStatusError], code: int, body: object = None) -> APIStatusError:
    return kind(
        f"{code}",
        status_code=code,
        body=body if body is not None else {"message": "m"},
        api_method="sendTextStatus",
        url=URL,
        headers=HEADERS,
    )


ERRORS: list[GreenStatusError] = [
    GreenStatusError("plain"),
    InvalidStatusError("participants[1]", "'x' is not a chat id"),
    RateLimiterUnavailableError(
        "sendTextStatus: the rate limiter's Redis at 127.0.0.1:6379 cannot be used",
        api_method="sendTextStatus",
    ),
    LinkCheckError(
        "served as application/octet-stream",
        url="https://files.example/a.mp3",
        reason="content_type",
        status_code=200,
        content_type="application/octet-stream",
        size=1234,
    ),
    AudienceError(
        "participants[1]",
        "'79001234569@c.us' would not see the status",
        chat_id="79001234569@c.us",
        reason="unknown",
    ),
    NotificationError("senderData.chatId", "is missing, expected a non-empty string"),
    MediaError("'/tmp/a.ogg': no audio stream", path="/tmp/a.ogg"),
    WebhookAuthError(reason="wrong"),
    APIConnectionError("failed", request_sent=False, api_method="sendTextStatus", url=URL),
    APITimeoutError("timed out", request_sent=True, api_method="sendTextStatus", url=URL),
    ClientClosedError("closed", request_sent=False, api_method="sendTextStatus", url=URL),
    status(APIStatusError, 409),
    status(BadRequestError, 400),
    status(AuthenticationError, 401),
    status(PermissionDeniedError, 403),
    status(NotFoundError, 404),
    RateLimitError(
        "429",
        status_code=429,
        body="slow down",
        api_method="sendTextStatus",
        url=URL,
        headers=HEADERS,
        retry_after=3.0,
    ),
    status(
        QuotaExceededError,
        466,
        {"invokeStatus": {"method": "sendTextStatus", "used": 10, "total": 10}},
    ),
    status(ServerError, 502),
    ResponseValidationError(
        "bad", api_method="sendTextStatus", url=URL, status_code=200, body={"x": 1}
    ),
    UnexpectedError("sendTextStatus failed unexpectedly (bug)", api_method="sendTextStatus"),
]

TRAVELS: dict[str, Callable[[object], object]] = {
    "pickle": lambda value: pickle.loads(pickle.dumps(value)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


def test_every_error_class_is_covered() -> None:
    exported = {
        getattr(greenstatus, name)
        for name in greenstatus.__all__
        if isinstance(getattr(greenstatus, name), type)
        and issubclass(getattr(greenstatus, name), GreenStatusError)
    }
    assert exported == {type(error) for error in ERRORS}


@pytest.mark.parametrize("travel", TRAVELS.values(), ids=TRAVELS.keys())
@pytest.mark.parametrize("error", ERRORS, ids=[type(error).__name__ for error in ERRORS])
def test_an_error_survives_travel_with_equal_fields(
    error: GreenStatusError, travel: Callable[[object], object]
) -> None:
    arrived = travel(error)
    assert type(arrived) is type(error)
    assert isinstance(arrived, GreenStatusError)
    assert arrived.args == error.args
    assert str(arrived) == str(error)
    assert vars(arrived) == vars(error)
    if isinstance(error, QuotaExceededError):
        assert isinstance(arrived, QuotaExceededError)
        assert arrived.invoke_status == error.invoke_status


async def test_errors_from_a_real_call_travel_without_the_token() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        # A proxy that echoes the request path back, in the body and a header.
        path = request.url.path
        return httpx.Response(
            502,
            json={"message": f"upstream failed for {path}", TOKEN: TOKEN},
            headers={"X-Path": path},
        )

    async with AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(echo),
        retry=greenstatus.NoRetry(),
    ) as client:
        with pytest.raises(ServerError) as excinfo:
            await client.send_text_status("hi")
    error = excinfo.value
    assert TOKEN not in repr(error.body)
    assert error.body == {
        "message": f"upstream failed for /waInstance{ID_INSTANCE}/sendTextStatus/***",
        "***": "***",
    }
    assert error.headers["x-path"] == f"/waInstance{ID_INSTANCE}/sendTextStatus/***"
    data = pickle.dumps(error)
    assert TOKEN.encode() not in data
    arrived = pickle.loads(data)
    assert vars(arrived) == vars(error)


async def test_results_survive_travel(recorder: Recorder) -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN, contacts=("79001234567@c.us",))
    fake.incoming.append(
        {"type": "incoming", "idMessage": "IN1", "timestamp": 2**40, "typeMessage": "imageMessage"}
    )
    async with fake_client(fake) as client:
        sent = await client.send_text_status("hi")
        [result] = await client.send_all([TextStatus(message="again")])
        failed = greenstatus.SendResult(
            TextStatus(message="x"),
            error=APIConnectionError("no", request_sent=False, api_method="m", url=URL),
        )
        values: list[object] = [
            sent,
            result,
            failed,
            *(await client.get_status_statistic(sent.id_message)),
            *(await client.get_outgoing_statuses()),
            *(await client.get_incoming_statuses()),
        ]
    for value in values:
        for travel in TRAVELS.values():
            arrived = travel(value)
            if isinstance(value, greenstatus.SendResult) and value.error is not None:
                # Exceptions compare by identity: compare what they carry.
                assert isinstance(arrived, greenstatus.SendResult)
                assert (arrived.request, arrived.id_message) == (value.request, value.id_message)
                assert type(arrived.error) is type(value.error)
                assert vars(arrived.error) == vars(value.error)
            else:
                assert arrived == value
            raw = getattr(value, "raw", None)
            if raw is not None:
                assert dict(getattr(arrived, "raw")) == dict(raw)  # noqa: B009
        assert TOKEN.encode() not in pickle.dumps(value)


async def test_the_client_refuses_to_be_pickled_or_copied_and_hides_its_token() -> None:
    async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL) as client:
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(client)
        with pytest.raises(TypeError, match="cannot be pickled"):
            copy.copy(client)
        assert TOKEN not in repr(vars(client))
        assert TOKEN not in repr(client)
        derived = client.with_options(timeout=1.0)
        assert TOKEN not in repr(vars(derived))
