"""No input, answer or bug may lose, double or leak a status."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstatus import (
    AsyncStatusClient,
    GreenStatusError,
    InvalidStatusError,
    MediaStatus,
    NoRetry,
    RateLimitError,
    ResponseValidationError,
    Status,
    TextStatus,
    UnexpectedError,
    VoiceStatus,
    normalize_chat_id,
)

from .conftest import API_URL, ID_INSTANCE, TOKEN, Recorder, fake_client

# -- validation: the classes of input, not examples of them -------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: TextStatus(message="hi \ud800 there"), "message"),
        (lambda: TextStatus(message="nul \x00 inside"), "message"),
        (lambda: TextStatus(message="escape \x1b[31m"), "message"),
        (
            lambda: MediaStatus(url_file="https://h/a.jpg", file_name="a.jpg", caption="\udfff"),
            "caption",
        ),
        (lambda: VoiceStatus(url_file="https://h/a\x00.mp3", file_name="a.mp3"), "url_file"),
        (lambda: VoiceStatus(url_file="https://h/a.mp3\x7f", file_name="a.mp3"), "url_file"),
        (lambda: VoiceStatus(url_file="https://[::1/a.mp3", file_name="a.mp3"), "url_file"),
        (lambda: VoiceStatus(url_file="https://h:99999/a.mp3", file_name="a.mp3"), "url_file"),
        (lambda: VoiceStatus(url_file="https://h:port/a.mp3", file_name="a.mp3"), "url_file"),
        (
            lambda: VoiceStatus(url_file="https://h/" + "a" * 4096 + ".mp3", file_name="a.mp3"),
            "url_file",
        ),
        (lambda: VoiceStatus(url_file="https://h/a.mp3", file_name="a\x00.mp3"), "file_name"),
        (lambda: VoiceStatus(url_file="https://h/a.mp3", file_name="a\n.mp3"), "file_name"),
        (
            lambda: VoiceStatus(url_file="https://h/a.mp3", file_name="a" * 252 + ".mp3"),
            "file_name",
        ),
        (
            lambda: TextStatus(message="m", participants=["7\uff19\uff10\uff100123456"]),
            "participants[0]",
        ),
        (
            lambda: TextStatus(message="m", participants=["\u0667\u0669\u0660\u06601234567"]),
            "participants[0]",
        ),
        (lambda: TextStatus(message="m", participants=["8 (900) 123-45-67"]), "participants[0]"),
        (lambda: TextStatus(message="m", participants=["89001234567@c.us"]), "participants[0]"),
        (
            lambda: TextStatus(message="m", participants=["7\uff19\uff10\uff101234567@c.us"]),
            "participants[0]",
        ),
        (lambda: TextStatus(message="m", participants=["7" * 70]), "participants[0]"),
        (
            lambda: TextStatus(message="m", participants=[f"+7900{n:07d}" for n in range(5001)]),
            "participants",
        ),
    ],
)
def test_input_greenstatus_cannot_send_is_refused_naming_the_field(
    build: object, field: str
) -> None:
    with pytest.raises(InvalidStatusError) as excinfo:
        build()  # type: ignore[operator]
    assert excinfo.value.field == field


def test_what_people_type_is_still_accepted() -> None:
    status = TextStatus(
        message="line one\nline two\ttabbed",
        participants=["+7 (900) 123-45-67", "447911123456", "+1\u00a0202\u00a0555\u00a00123"],
    )
    assert status.participants == ("79001234567@c.us", "447911123456@c.us", "12025550123@c.us")
    assert TextStatus(message="m", participants=["79001234567@c.us"]).participants == (
        "79001234567@c.us",
    )
    voice = VoiceStatus(url_file="https://h:8443/a%20b.mp3", file_name="горн.mp3")
    assert voice.file_name == "горн.mp3"


SEND_FIELDS = {
    "message": st.text(max_size=600),
    "caption": st.none() | st.text(max_size=1100),
    "url_file": st.text(max_size=80) | st.text(max_size=40).map(lambda t: "https://h/" + t),
    "file_name": st.text(max_size=40) | st.text(max_size=20).map(lambda t: t + ".mp3"),
    "participants": st.lists(st.text(max_size=25), max_size=4),
    "background_color": st.none() | st.text(max_size=10),
}


def must_be_sendable(status: Status) -> None:
    # What a constructed status promises: its JSON encodes as UTF-8, whole.
    json.dumps(status.to_payload(), ensure_ascii=False, allow_nan=False).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(
    message=SEND_FIELDS["message"],
    background_color=SEND_FIELDS["background_color"],
    participants=SEND_FIELDS["participants"],
)
def test_any_text_status_input_is_a_sendable_status_or_invalid_status_error(
    message: str, background_color: str | None, participants: list[str]
) -> None:
    try:
        status = TextStatus(
            message=message, background_color=background_color, participants=participants
        )
    except InvalidStatusError:
        return
    must_be_sendable(status)


@settings(max_examples=400, deadline=None)
@given(
    url_file=SEND_FIELDS["url_file"],
    file_name=SEND_FIELDS["file_name"],
    caption=SEND_FIELDS["caption"],
    participants=SEND_FIELDS["participants"],
)
def test_any_file_status_input_is_a_sendable_status_or_invalid_status_error(
    url_file: str, file_name: str, caption: str | None, participants: list[str]
) -> None:
    for build in (
        lambda: VoiceStatus(url_file=url_file, file_name=file_name, participants=participants),
        lambda: MediaStatus(
            url_file=url_file,
            file_name=file_name.replace(".mp3", ".jpg"),
            caption=caption,
            participants=participants,
        ),
    ):
        try:
            status = build()
        except InvalidStatusError:
            continue
        must_be_sendable(status)
        assert status.url_file.isprintable()
        assert status.file_name.isprintable()


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=30) | st.integers() | st.none())
def test_normalize_chat_id_gives_ascii_ids_or_invalid_status_error(value: object) -> None:
    try:
        chat_id = normalize_chat_id(value)
    except InvalidStatusError:
        return
    digits, _, domain = chat_id.partition("@")
    assert domain == "c.us"
    assert digits.isascii()
    assert digits.isdigit()


# -- send_all keeps its promise ----------------------------------------------------


@pytest.mark.anyio
async def test_a_bug_in_one_send_is_that_status_result_and_the_rest_go_on(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if b"boom" in request.content:
            raise RuntimeError(f"unforeseen failure for {request.url}")
        return httpx.Response(200, json={"idMessage": json.loads(request.content)["message"]})

    recorder.responder = answer
    statuses: list[Status] = [TextStatus(message=text) for text in ("a", "boom", "c", "d")]
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        results = await client.send_all(statuses, max_concurrency=2)
    assert [result.id_message for result in results] == ["a", None, "c", "d"]
    error = results[1].error
    assert isinstance(error, UnexpectedError)
    assert isinstance(error.__cause__, RuntimeError)
    assert "may have been delivered" in str(error)
    assert TOKEN not in str(error)
    assert TOKEN not in str(error.__cause__)
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "sendTextStatus failed unexpectedly" in logged.getMessage()
    assert TOKEN not in caplog.text
    assert len(recorder.requests) == 4  # one each, nothing sent twice


@pytest.mark.anyio
async def test_an_answer_nested_too_deeply_is_a_typed_error_in_its_result(
    recorder: Recorder,
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    def answer(request: httpx.Request) -> httpx.Response:
        if b"deep" in request.content:
            return httpx.Response(200, content=deep)
        return httpx.Response(200, json={"idMessage": "ID"})

    recorder.responder = answer
    async with AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(recorder),
        retry=NoRetry(),
    ) as client:
        results = await client.send_all([TextStatus(message="deep"), TextStatus(message="ok")])
    assert results[1].id_message == "ID"
    assert isinstance(results[0].error, ResponseValidationError)
    assert "nested too deeply" in str(results[0].error)


@pytest.mark.anyio
async def test_a_failing_on_result_hook_stops_no_send(recorder: Recorder) -> None:
    def hook(index: int, result: object) -> None:
        raise ValueError("the caller's own bug")

    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        results = await client.send_all(
            [TextStatus(message=str(n)) for n in range(5)], on_result=hook
        )
    assert [result.ok for result in results] == [True] * 5
    assert len(recorder.requests) == 5


# -- bounded answers -------------------------------------------------------------------

MiB = 1024 * 1024


@pytest.mark.anyio
@pytest.mark.parametrize("where", ["loopback", "in-process"])
async def test_a_send_answer_over_its_bound_is_refused_unread(where: str) -> None:
    from greenstatus.testing import FakeGreenAPI

    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    fake.fail_next(200, body=b'{"idMessage": "' + b"7" * (2 * MiB) + b'"}')
    async with fake.serve() as url:
        transport = None if where == "loopback" else fake.transport()
        async with AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=url, transport=transport, retry=NoRetry()
        ) as client:
            with pytest.raises(ResponseValidationError, match="over 1048576 bytes") as excinfo:
                await client.send_text_status("hi")
    assert excinfo.value.status_code == 200


@pytest.mark.anyio
async def test_an_answer_without_a_length_is_read_only_up_to_the_bound(
    recorder: Recorder,
) -> None:
    served: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"idMessage": "'
        for _ in range(4096):  # 64 MiB on offer, far past the bound
            served.append(1)
            yield b"7" * 16384

    recorder.responder = lambda request: httpx.Response(200, content=endless())
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        with pytest.raises(ResponseValidationError):
            await client.send_text_status("hi")
    assert len(served) <= 1024 * 1024 // 16384 + 1


@pytest.mark.anyio
async def test_an_oversized_error_answer_keeps_its_status_with_the_body_cut(
    recorder: Recorder,
) -> None:
    recorder.responder = lambda request: httpx.Response(
        429, content=b"x" * (3 * MiB), headers={"Retry-After": "7"}
    )
    async with AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(recorder),
        retry=NoRetry(),
    ) as client:
        with pytest.raises(RateLimitError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.retry_after == 7.0
    assert isinstance(excinfo.value.body, str)
    assert len(excinfo.value.body) == MiB


@pytest.mark.anyio
async def test_a_getters_large_answer_within_its_bound_is_read(recorder: Recorder) -> None:
    item = {"type": "outgoing", "idMessage": "X", "timestamp": 1, "typeMessage": "imageMessage"}
    thumbnail = "A" * 30_000
    items = [{**item, "idMessage": f"X{n}", "jpegThumbnail": thumbnail} for n in range(100)]
    recorder.responder = lambda request: httpx.Response(200, json=items)  # about 3 MiB
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        statuses = await client.get_outgoing_statuses()
    assert len(statuses) == 100


# -- a total deadline --------------------------------------------------------------


class FixedDelay:
    def __init__(self, delay: float) -> None:
        self.delay = delay

    def next_delay(self, attempt: int, error: object) -> float | None:
        return self.delay if attempt < 5 else None


@pytest.mark.anyio
async def test_a_deadline_ends_a_wait_in_the_rate_limiter_with_nothing_sent() -> None:
    from greenstatus import APITimeoutError
    from greenstatus.testing import FakeGreenAPI

    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with fake_client(fake, rate_limits={"sendTextStatus": 1}, deadline=0.3) as client:
        await client.send_text_status("first")
        with anyio.fail_after(5), pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("second waits a second for its place")
    assert excinfo.value.request_sent is False
    assert "deadline of 0.3 s (while waiting)" in str(excinfo.value)
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_a_deadline_cutting_an_attempt_short_may_have_delivered_it() -> None:
    from greenstatus import APITimeoutError
    from greenstatus.testing import FakeGreenAPI

    # The deadline leaves room to connect and write (the first request on
    # asyncio also loads aiohttp) and still cuts the attempt mid-answer.
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN, latency=4.0)
    async with (
        fake.serve() as url,
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url, timeout=30.0, deadline=1.5) as client,
    ):
        with anyio.fail_after(15), pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("slow")
    assert excinfo.value.request_sent is True
    assert "(during an attempt)" in str(excinfo.value)
    assert len(fake.requests) == 1


@pytest.mark.anyio
async def test_a_deadline_covers_the_backoff_and_keeps_what_the_attempts_said() -> None:
    from greenstatus import APITimeoutError
    from greenstatus.testing import FakeGreenAPI

    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    fake.fail_next(503)  # refused: safe, so the wait that follows sent nothing
    async with fake_client(fake, retry=FixedDelay(5.0), deadline=0.3) as client:
        with anyio.fail_after(5), pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.request_sent is False
    fake.fail_next(502)  # may have been processed: the deadline says so
    async with fake_client(fake, retry=FixedDelay(5.0), deadline=0.3) as client:
        with anyio.fail_after(5), pytest.raises(APITimeoutError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.request_sent is True
    assert len(fake.requests) == 2


@pytest.mark.anyio
async def test_with_options_sets_and_lifts_the_deadline(recorder: Recorder) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, transport=httpx.MockTransport(recorder))
    with pytest.raises(ValueError, match="deadline"):
        client.with_options(deadline=0)
    with pytest.raises(ValueError, match="deadline"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, deadline=float("nan"))
    bounded = client.with_options(deadline=5)
    assert (await bounded.send_text_status("hi")).id_message
    assert (await bounded.with_options(deadline=None).send_text_status("hi")).id_message


# -- properties of every answer and every argument -----------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["idMessage", "timestamp", "typeMessage", "participant", "status", "chatId", "x"]
            )
            | st.text(max_size=6),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def answering(body: bytes, status_code: int) -> AsyncStatusClient:
    return AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(lambda request: httpx.Response(status_code, content=body)),
        retry=NoRetry(),
        rate_limits=None,
    )


async def every_method(client: AsyncStatusClient) -> None:
    errors: list[GreenStatusError] = []
    for call in (
        lambda: client.send_text_status("hi"),
        lambda: client.delete_status("ID"),
        lambda: client.get_status_statistic("ID"),
        lambda: client.get_incoming_statuses(),
        lambda: client.get_outgoing_statuses(30),
    ):
        try:
            await call()
        except GreenStatusError as error:
            errors.append(error)
    assert all(TOKEN not in str(error) for error in errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=JSON.map(lambda value: json.dumps(value).encode())
    | st.binary(max_size=40)
    | st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),
    status_code=st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 429, 466, 499, 500, 502]),
    backend=st.sampled_from(["asyncio", "trio"]),
)
def test_any_answer_ends_as_a_result_or_a_typed_error(
    body: bytes, status_code: int, backend: str
) -> None:
    anyio.run(every_method, answering(body, status_code), backend=backend)


ARGUMENT = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.binary(max_size=6)
    | st.lists(st.integers(), max_size=2)
)


async def call_with(client: AsyncStatusClient, argument: object) -> None:
    for call in (
        lambda: client.delete_status(argument),  # type: ignore[arg-type]
        lambda: client.get_status_statistic(argument),  # type: ignore[arg-type]
        lambda: client.get_incoming_statuses(argument),  # type: ignore[arg-type]
        lambda: client.get_outgoing_statuses(argument),  # type: ignore[arg-type]
        lambda: client.send(argument),  # type: ignore[arg-type]
        lambda: client.send_all([argument]),  # type: ignore[list-item]
        lambda: client.send_text_status(argument),  # type: ignore[arg-type]
        lambda: client.send_voice_status(argument, argument),  # type: ignore[arg-type]
        lambda: client.send_media_status("https://h/a.jpg", "a.jpg", caption=argument),  # type: ignore[arg-type]
    ):
        with contextlib.suppress(GreenStatusError, ValueError, TypeError):
            await call()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argument=ARGUMENT, backend=st.sampled_from(["asyncio", "trio"]))
def test_any_method_argument_ends_as_a_result_or_a_documented_error(
    argument: object, backend: str
) -> None:
    anyio.run(call_with, answering(b'{"idMessage": "ID"}', 200), argument, backend=backend)
