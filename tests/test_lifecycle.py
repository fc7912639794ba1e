"""Who owns the HTTP client, closing, timeouts and configuration."""

from __future__ import annotations

import httpx
import pytest
import respx

import greenstatus
from greenstatus import AsyncStatusClient, TextStatus
from greenstatus.testing import FakeClock, FakeGreenAPI

from . import loopback
from .conftest import API_URL, ID_INSTANCE, TOKEN, Recorder, fake_client, url_of

pytestmark = pytest.mark.anyio


async def test_a_user_client_is_neither_entered_nor_closed(
    http_client: httpx.AsyncClient, recorder: Recorder
) -> None:
    async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client):
        pass
    assert not http_client.is_closed
    response = await http_client.get("https://elsewhere.example/")
    assert response.status_code == 200
    assert len(recorder.requests) == 1


async def test_one_user_client_serves_many_instances(
    http_client: httpx.AsyncClient, recorder: Recorder
) -> None:
    first = AsyncStatusClient("1101000001", TOKEN, api_url=API_URL, http_client=http_client)
    second = AsyncStatusClient("1101000002", "othertoken", api_url=API_URL, http_client=http_client)
    await first.send_text_status("one")
    await second.send_text_status("two")
    await first.aclose()
    await second.send_text_status("three")
    assert [request.url.path for request in recorder.requests] == [
        f"/waInstance1101000001/sendTextStatus/{TOKEN}",
        "/waInstance1101000002/sendTextStatus/othertoken",
        "/waInstance1101000002/sendTextStatus/othertoken",
    ]


async def test_the_own_client_reuses_one_connection_and_closes_it() -> None:
    with loopback.serve() as server:
        async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=server.url) as client:
            for _ in range(5):
                await client.send_text_status("hi")
        assert len(server.requests) == 5
        assert server.connections_opened == 1
        # Closing the client closes the connection: the server sees it end.
        for _ in range(100):
            if server.connections_closed == 1:
                break
            await _tick()
        assert server.connections_closed == 1


async def _tick() -> None:
    import anyio

    await anyio.sleep(0.02)


async def test_a_closed_client_refuses_calls_clearly(
    http_client: httpx.AsyncClient, recorder: Recorder
) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client)
    await client.send_text_status("hi")
    await client.aclose()
    await client.aclose()  # twice is harmless
    assert client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.send_text_status("again")
    with pytest.raises(RuntimeError, match="closed"):
        await client.send_all([TextStatus(message="again")])
    with pytest.raises(RuntimeError, match="closed"):
        async with client:
            pass
    assert len(recorder.requests) == 1


async def test_the_own_client_is_closed_on_leaving_async_with() -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with fake.serve() as url:
        async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url) as client:
            await client.send_text_status("hi")
        with pytest.raises(RuntimeError, match="closed"):
            await client.send_text_status("hi")
    assert len(fake.requests) == 1
    assert fake.requests[0].headers["user-agent"] == f"greenstatus/{greenstatus.__version__}"


def test_the_own_client_has_seconds_long_default_timeouts() -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN)
    assert client.timeout == httpx.Timeout(15.0, connect=5.0)


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, httpx.Timeout(15.0, connect=5.0)),
        (2.5, httpx.Timeout(2.5)),
        (httpx.Timeout(3.0, read=9.0), httpx.Timeout(3.0, read=9.0)),
        # httpx.Timeout(None) is the deliberate way; None alone means "the default".
        (httpx.Timeout(None), httpx.Timeout(None)),
    ],
)
def test_the_own_client_takes_the_timeout_given(
    timeout: float | httpx.Timeout | None, expected: httpx.Timeout
) -> None:
    assert AsyncStatusClient(ID_INSTANCE, TOKEN, timeout=timeout).timeout == expected


async def test_a_user_client_keeps_its_own_timeout_unless_one_is_given(
    recorder: Recorder,
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(recorder), timeout=httpx.Timeout(42.0)
    ) as http_client:
        plain = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client)
        await plain.send_text_status("hi")
        strict = AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client, timeout=1.0
        )
        await strict.send_text_status("hi")
    first, second = (request.extensions["timeout"] for request in recorder.requests)
    assert first == {"connect": 42.0, "read": 42.0, "write": 42.0, "pool": 42.0}
    assert second == {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}
    assert plain.timeout == httpx.Timeout(42.0)
    assert strict.timeout == httpx.Timeout(1.0)


@pytest.mark.parametrize("bad", [0, -1.0, "10", True])
def test_a_timeout_must_be_positive_seconds(bad: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, timeout=bad)  # type: ignore[arg-type]


def test_the_default_hosts_are_the_universal_ones() -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN)
    assert client.api_url == "https://api.green-api.com"
    assert client.media_url == "https://media.green-api.com"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id_instance": "11x"}, "id_instance"),
        ({"id_instance": ""}, "id_instance"),
        ({"api_token_instance": ""}, "api_token_instance"),
        ({"api_token_instance": "abc def"}, "api_token_instance"),
        ({"api_url": "1101.api.greenapi.com"}, "api_url"),
        ({"api_url": "ftp://host"}, "api_url"),
        ({"media_url": "https://host/?x=1"}, "media_url"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"id_instance": "\uff11\uff11\uff10\uff11"}, "id_instance"),
        ({"api_token_instance": ".."}, "api_token_instance"),
        ({"api_token_instance": "ab/cd"}, "api_token_instance"),
        ({"api_token_instance": "ab%2Fcd"}, "api_token_instance"),
        ({"api_token_instance": "a'b\"c<d>"}, "api_token_instance"),
        ({"api_token_instance": "t\u00f6ken"}, "api_token_instance"),
        ({"api_token_instance": "x" * 257}, "api_token_instance"),
        ({"api_url": "https://1101.api.greenapi.com:99999"}, "api_url"),
        ({"api_url": "https://1101.api.greenapi.com:port"}, "api_url"),
        ({"api_url": "https://[::1"}, "api_url"),
        ({"api_url": "https://host\x00/"}, "api_url"),
        ({"media_url": "https://host/" + "p" * 2048}, "media_url"),
    ],
)
def test_bad_configuration_is_refused_naming_the_parameter(
    kwargs: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"id_instance": ID_INSTANCE, "api_token_instance": TOKEN}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=field):
        AsyncStatusClient(**arguments)  # type: ignore[arg-type]


def test_a_bad_token_is_never_echoed_in_the_error() -> None:
    with pytest.raises(ValueError, match="api_token_instance") as excinfo:
        AsyncStatusClient(ID_INSTANCE, "secret..value")
    assert "secret" not in str(excinfo.value)


def test_a_url_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="api_url"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=b"https://h")  # type: ignore[arg-type]


def test_http_client_must_be_an_async_httpx_client() -> None:
    with httpx.Client() as sync_client, pytest.raises(TypeError, match="AsyncClient"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=sync_client)  # type: ignore[arg-type]


def test_id_instance_may_be_given_as_a_number() -> None:
    assert AsyncStatusClient(1101000001, TOKEN).id_instance == "1101000001"  # type: ignore[arg-type]


async def test_from_env_reads_the_four_variables(
    monkeypatch: pytest.MonkeyPatch, http_client: httpx.AsyncClient, recorder: Recorder
) -> None:
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", ID_INSTANCE)
    monkeypatch.setenv("GREEN_API_TOKEN", TOKEN)
    monkeypatch.setenv("GREEN_API_URL", API_URL)
    monkeypatch.setenv("GREEN_API_MEDIA_URL", "https://1101.media.greenapi.com")
    client = AsyncStatusClient.from_env(http_client=http_client)
    assert client.media_url == "https://1101.media.greenapi.com"
    await client.send_text_status("hi")
    assert str(recorder.requests[0].url) == url_of("sendTextStatus")


def test_from_env_defaults_the_hosts_and_names_what_is_missing() -> None:
    client = AsyncStatusClient.from_env(
        environ={"GREEN_API_ID_INSTANCE": ID_INSTANCE, "GREEN_API_TOKEN": TOKEN}
    )
    assert client.api_url == "https://api.green-api.com"
    with pytest.raises(ValueError, match="GREEN_API_TOKEN") as excinfo:
        AsyncStatusClient.from_env(environ={"GREEN_API_ID_INSTANCE": ID_INSTANCE})
    assert str(excinfo.value) == "environment variable GREEN_API_TOKEN is not set"
    with pytest.raises(ValueError, match="GREEN_API_ID_INSTANCE") as excinfo:
        AsyncStatusClient.from_env(environ={})
    assert str(excinfo.value) == (
        "environment variables GREEN_API_ID_INSTANCE and GREEN_API_TOKEN are not set"
    )


async def test_respx_mocks_a_user_client_as_users_expect() -> None:
    # respx patches httpx's default transport: users mocking their own client
    # with it get greenstatus's requests like any other.
    with respx.mock(base_url=API_URL, assert_all_called=True) as mock:
        route = mock.post(f"/waInstance{ID_INSTANCE}/sendTextStatus/{TOKEN}").respond(
            json={"idMessage": "RESPX"}
        )
        async with httpx.AsyncClient() as http_client:
            client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client)
            sent = await client.send_text_status("hi")
    assert sent.id_message == "RESPX"
    assert route.call_count == 1


# -- the HTTP client every request goes through --------------------------------------


async def test_the_own_http_client_is_there_from_construction_and_closed_with_the_client(
    recorder: Recorder,
) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, transport=httpx.MockTransport(recorder))
    http = client.http_client
    assert isinstance(http, httpx.AsyncClient)
    assert http.timeout == httpx.Timeout(15.0, connect=5.0)
    assert http.headers["user-agent"] == f"greenstatus/{greenstatus.__version__}"
    async with client:
        await client.send_text_status("hi")
        assert client.http_client is http
    assert http.is_closed
    assert len(recorder.requests) == 1


async def test_a_user_http_client_is_the_one_exposed(http_client: httpx.AsyncClient) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http_client)
    assert client.http_client is http_client


def test_transport_and_http_client_together_are_refused() -> None:
    with pytest.raises(ValueError, match="http_client or transport"):
        AsyncStatusClient(
            ID_INSTANCE,
            TOKEN,
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(Recorder()),
        )


def test_transport_must_be_an_httpx_async_transport() -> None:
    with pytest.raises(TypeError, match=r"transport must be an httpx\.AsyncBaseTransport"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, transport=object())  # type: ignore[arg-type]


async def test_the_client_given_a_transport_sends_through_httpx(recorder: Recorder) -> None:
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(str(request.url))

    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        # What users configure on the client greenstatus created applies.
        client.http_client.event_hooks["request"].append(hook)
        await client.send_text_status("hi")
    assert hooked == [url_of("sendTextStatus")]
    [request] = recorder.requests
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"


def test_create_http_client_starts_from_greenstatus_defaults() -> None:
    http = greenstatus.create_http_client()
    assert isinstance(http, httpx.AsyncClient)
    assert http.timeout == httpx.Timeout(15.0, connect=5.0)
    assert http.headers["user-agent"] == f"greenstatus/{greenstatus.__version__}"
    assert http.follow_redirects is False


async def test_create_http_client_passes_keyword_arguments_to_httpx(recorder: Recorder) -> None:
    async with greenstatus.create_http_client(
        timeout=3.0,
        headers={"User-Agent": "platform/1", "X-Tenant": "t1"},
        transport=httpx.MockTransport(recorder),
    ) as http:
        assert http.timeout == httpx.Timeout(3.0)
        client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http)
        await client.send_text_status("hi")
    [request] = recorder.requests
    assert request.headers["user-agent"] == "platform/1"
    assert request.headers["x-tenant"] == "t1"
    assert request.headers["accept"] == "application/json"
    assert request.extensions["timeout"] == {
        "connect": 3.0,
        "read": 3.0,
        "write": 3.0,
        "pool": 3.0,
    }


async def test_a_redirect_is_never_followed_even_if_the_user_client_would() -> None:
    seen: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(307, headers={"Location": "https://elsewhere.example/again"})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(redirect), follow_redirects=True
    ) as http:
        client = AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http, retry=greenstatus.NoRetry()
        )
        with pytest.raises(greenstatus.APIStatusError) as excinfo:
            await client.send_text_status("hi")
    assert excinfo.value.status_code == 307
    assert len(seen) == 1


# -- with_options ----------------------------------------------------------------------


async def test_with_options_shares_the_pool_and_changes_only_what_is_given(
    recorder: Recorder,
) -> None:
    calls: list[int] = []
    client = AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=API_URL,
        transport=httpx.MockTransport(recorder),
        on_retry=lambda attempt, error, delay: calls.append(attempt),
    )
    patient = client.with_options(timeout=httpx.Timeout(60.0, connect=2.0))
    assert patient.http_client is client.http_client
    assert patient.timeout == httpx.Timeout(60.0, connect=2.0)
    assert client.timeout == httpx.Timeout(15.0, connect=5.0)
    async with client:
        await client.send_text_status("plain")
        await patient.send_text_status("patient")
        default_again = patient.with_options(timeout=None)
        await default_again.send_text_status("default")
    plain, slow, default = (request.extensions["timeout"] for request in recorder.requests)
    assert plain == {"connect": 5.0, "read": 15.0, "write": 15.0, "pool": 15.0}
    assert slow == {"connect": 2.0, "read": 60.0, "write": 60.0, "pool": 60.0}
    assert default == plain


async def test_with_options_shares_the_rate_limiter() -> None:
    clock = FakeClock(start=100.0)
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN, clock=clock.now)
    async with fake_client(fake, clock=clock, rate_limits={"sendTextStatus": 1}) as client:
        other = client.with_options(retry=greenstatus.NoRetry())
        await client.send_text_status("first")
        await other.send_text_status("second")  # waits for the first's window
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] > 0.9
    gap = fake.requests[1].received_at - fake.requests[0].received_at
    assert gap >= 1.0


async def test_a_derived_client_closes_only_itself(recorder: Recorder) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, transport=httpx.MockTransport(recorder))
    derived = client.with_options(retry=greenstatus.NoRetry())
    async with derived:
        await derived.send_text_status("from derived")
    assert derived.is_closed
    assert not client.is_closed
    assert not client.http_client.is_closed
    await client.send_text_status("still open")
    sibling = client.with_options(max_concurrency=2)
    await client.aclose()
    assert sibling.is_closed
    with pytest.raises(RuntimeError, match="derived from"):
        await sibling.send_text_status("too late")
    assert len(recorder.requests) == 2


async def test_with_options_checks_what_it_is_given() -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN)
    with pytest.raises(ValueError, match="timeout"):
        client.with_options(timeout=-1)
    with pytest.raises(ValueError, match="max_concurrency"):
        client.with_options(max_concurrency=0)
    with pytest.raises(TypeError, match="on_retry"):
        client.with_options(on_retry="print")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.with_options(api_url="https://other.example")  # type: ignore[call-arg]


async def test_with_options_on_a_user_client_keeps_its_timeout_until_told(
    http_client: httpx.AsyncClient, recorder: Recorder
) -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http_client)
    strict = client.with_options(timeout=1.0)
    back = strict.with_options(timeout=None)
    await strict.send_text_status("strict")
    await back.send_text_status("back")
    assert strict.timeout == httpx.Timeout(1.0)
    assert back.timeout == http_client.timeout
    first, second = (request.extensions["timeout"]["read"] for request in recorder.requests)
    assert (first, second) == (1.0, http_client.timeout.read)


async def test_the_own_client_stores_no_cookies_from_answers(recorder: Recorder) -> None:
    recorder.responder = lambda request: httpx.Response(
        200, json={"idMessage": "X"}, headers={"Set-Cookie": "session=abc; Path=/"}
    )
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        await client.send_text_status("one")
        await client.send_text_status("two")
    assert "cookie" not in recorder.requests[1].headers


async def test_create_http_client_with_cookies_stores_them_as_httpx_does(
    recorder: Recorder,
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200, json={"idMessage": "X"}, headers={"Set-Cookie": "session=abc; Path=/"}
    )
    async with greenstatus.create_http_client(
        cookies={"given": "1"}, transport=httpx.MockTransport(recorder)
    ) as http:
        client = AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=API_URL, http_client=http)
        await client.send_text_status("one")
        await client.send_text_status("two")
    assert recorder.requests[0].headers["cookie"] == "given=1"
    assert sorted(recorder.requests[1].headers["cookie"].split("; ")) == ["given=1", "session=abc"]


async def test_replacing_the_own_clients_cookies_keeps_answers_cookies_out(
    recorder: Recorder,
) -> None:
    recorder.responder = lambda request: httpx.Response(
        200, json={"idMessage": "X"}, headers={"Set-Cookie": "session=abc; Path=/"}
    )
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, api_url=API_URL, transport=httpx.MockTransport(recorder)
    ) as client:
        client.http_client.cookies = {"given": "1"}
        await client.send_text_status("one")
        await client.send_text_status("two")
    assert [request.headers["cookie"] for request in recorder.requests] == ["given=1", "given=1"]


@pytest.mark.parametrize(
    ("first", "second"), [("asyncio", "asyncio"), ("asyncio", "trio"), ("trio", "asyncio")]
)
def test_a_second_event_loop_is_refused_clearly(first: str, second: str) -> None:
    import anyio

    recorder = Recorder()
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, transport=httpx.MockTransport(recorder))

    async def send() -> None:
        await client.send_text_status("hi")

    anyio.run(send, backend=first)
    with pytest.raises(RuntimeError, match="first used in another event loop"):
        anyio.run(send, backend=second)
    with pytest.raises(RuntimeError, match="first used in another event loop"):
        anyio.run(lambda: client.send_all([TextStatus(message="x")]), backend=second)
    assert len(recorder.requests) == 1
