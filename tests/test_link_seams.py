"""What a link check carries and where it goes, on asyncio and trio.

A check asks a third party's host: it must carry nothing of the client it
goes through (default headers, cookies, auth, query parameters), keep nothing
that host sets, and still go through that client's transports, proxies and
event hooks, following redirects itself with httpx's hop limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import respx

import greenstatus
from greenstatus import AsyncStatusClient, CheckedLink, ClientClosedError, LinkCheckError
from greenstatus._version import __version__
from greenstatus.testing import FakeGreenAPI

from . import link_host
from .conftest import served_client
from .link_host import Asked

pytestmark = pytest.mark.anyio

TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123"
BEARER = "b3arer-0f-the-service"
API_KEY = "k3y-0f-the-service"
SESSION = "s3ssion-0f-the-service"
SECRETS = (TOKEN, BEARER, API_KEY, SESSION)
# What the check itself sends; the rest a transport adds of its own (aiohttp
# asks for gzip) and is no one's credential.
OWN_HEADERS = {"host", "user-agent", "accept", "range"}
TRANSPORT_HEADERS = {"accept-encoding"}

CLIENTS: dict[str, Callable[[], httpx.AsyncClient]] = {
    "headers and cookies": lambda: httpx.AsyncClient(
        headers={"Authorization": f"Bearer {BEARER}", "X-Api-Key": API_KEY},
        cookies={"session": SESSION},
    ),
    "create_http_client": lambda: greenstatus.create_http_client(
        headers={"Authorization": f"Bearer {BEARER}", "X-Api-Key": API_KEY},
        cookies={"session": SESSION},
    ),
    "basic auth": lambda: httpx.AsyncClient(auth=httpx.BasicAuth("service", BEARER)),
    "query parameters": lambda: httpx.AsyncClient(params={"api_key": API_KEY}),
}


@asynccontextmanager
async def status_client(http: httpx.AsyncClient) -> AsyncIterator[AsyncStatusClient]:
    """A client on ``http`` whose GREEN-API is on loopback, so that links on
    loopback may be checked (test_link_internal.py tests the refusal)."""
    async with (
        http,
        AsyncStatusClient("1101000001", TOKEN, api_url="http://127.0.0.1:9", http_client=http) as c,
    ):
        yield c


def assert_carries_nothing(asked: Asked) -> None:
    names = {name for name, _ in asked.headers}
    assert names - TRANSPORT_HEADERS <= OWN_HEADERS, asked
    assert asked.header("user-agent") == f"greenstatus/{__version__}"
    assert asked.header("accept") == "*/*"
    for secret in SECRETS:
        assert secret not in asked.target
        assert all(secret not in value for _, value in asked.headers)


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
async def test_a_check_carries_none_of_the_clients_credentials_on_any_hop(
    make: Callable[[], httpx.AsyncClient],
) -> None:
    with link_host.serve() as first, link_host.serve() as second:
        # A same-origin redirect, then a cross-origin one, then HEAD refused.
        final = second.route("/a.mp3", head=False, content_type="audio/mpeg")
        first.route("/share", 302, location=final)
        start = first.route("/start", 301, location="/share")
        async with status_client(make()) as client:
            checked = await client.check_link(start, "voice")
    assert checked.final_url == final
    assert [(a.method, a.target) for a in first.asked + second.asked] == [
        ("HEAD", "/start"),
        ("HEAD", "/share"),
        ("GET", "/start"),
        ("GET", "/share"),
        ("HEAD", "/a.mp3"),
        ("GET", "/a.mp3"),
    ]
    for asked in first.asked + second.asked:
        assert_carries_nothing(asked)
        assert asked.header("range") == ("bytes=0-0" if asked.method == "GET" else None)


async def test_cookies_a_link_host_sets_reach_neither_the_next_hop_nor_the_clients_jar() -> None:
    with link_host.serve() as host:
        final = host.route("/a.mp3", content_type="audio/mpeg", set_cookie="seen=2; Path=/")
        start = host.route("/start", 302, location="/a.mp3", set_cookie="tracker=1; Path=/")
        http = httpx.AsyncClient(cookies={"session": SESSION})  # one that keeps cookies
        async with status_client(http) as client:
            await client.check_link(start, "voice")
            await client.check_link(final, "voice")  # a second check: still nothing
            assert dict(http.cookies) == {"session": SESSION}
    assert [a.target for a in host.asked] == ["/start", "/a.mp3", "/a.mp3"]
    assert all(a.header("cookie") is None for a in host.asked)


async def test_the_clients_event_hooks_see_every_hop_as_it_is_sent() -> None:
    seen: list[tuple[str, str]] = []

    async def on_request(request: httpx.Request) -> None:
        seen.append((request.method, str(request.url)))

    async def on_response(response: httpx.Response) -> None:
        seen.append(("answered", str(response.status_code)))

    with link_host.serve() as host:
        final = host.route("/a.mp3", content_type="audio/mpeg")
        start = host.route("/start", 302, location="/a.mp3")
        http = httpx.AsyncClient()
        async with status_client(http) as client:
            # Hooks set after the client was first used count too.
            await client.check_link(host.route("/b.mp3", content_type="audio/mpeg"), "voice")
            http.event_hooks = {"request": [on_request], "response": [on_response]}
            await client.check_link(start, "voice")
    assert seen == [("HEAD", start), ("answered", "302"), ("HEAD", final), ("answered", "200")]


async def raise_for_status(response: httpx.Response) -> None:
    response.raise_for_status()


async def test_a_hook_that_raises_on_a_redirect_and_a_405_leaves_the_check_its_answer() -> None:
    with link_host.serve() as host:
        final = host.route("/a.mp3", head=False, content_type="audio/mpeg")
        start = host.route("/start", 302, location="/a.mp3")
        http = httpx.AsyncClient(event_hooks={"response": [raise_for_status]})
        async with status_client(http) as client:
            checked = await client.check_link(start, "voice")
    assert checked == CheckedLink(
        url=start, final_url=final, status_code=200, content_type="audio/mpeg", size=0
    )
    assert [(a.method, a.target) for a in host.asked] == [
        ("HEAD", "/start"),
        ("HEAD", "/a.mp3"),
        ("GET", "/start"),
        ("GET", "/a.mp3"),
    ]


async def test_a_response_hook_that_raises_on_a_404_makes_a_status_refusal() -> None:
    with link_host.serve() as host:
        http = httpx.AsyncClient(event_hooks={"response": [raise_for_status]})
        async with status_client(http) as client:
            with pytest.raises(LinkCheckError) as excinfo:
                await client.check_link(f"{host.url}/gone.mp3", "voice")
    assert (excinfo.value.reason, excinfo.value.status_code) == ("status", 404)


async def test_a_check_goes_through_the_clients_own_transport() -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, headers={"Content-Type": "image/jpeg"})

    http = httpx.AsyncClient(
        transport=httpx.MockTransport(answer), headers={"Authorization": f"Bearer {BEARER}"}
    )
    async with status_client(http) as client:
        await client.check_link("https://files.example.com/a.jpg", "media")
    (head,) = asked
    assert (head.method, str(head.url)) == ("HEAD", "https://files.example.com/a.jpg")
    assert "authorization" not in head.headers


async def test_respx_sees_a_check() -> None:
    # respx mocks httpcore, which httpx's own transport runs on both loops.
    with respx.mock(assert_all_called=True) as mock:
        route = mock.head("https://files.example.com/a.jpg").respond(
            200, headers={"Content-Type": "image/jpeg"}
        )
        async with httpx.AsyncClient() as http:
            client = AsyncStatusClient("1101000001", TOKEN, http_client=http)
            checked = await client.check_link("https://files.example.com/a.jpg", "media")
    assert route.call_count == 1
    assert checked.content_type == "image/jpeg"


PROXIED: dict[str, Callable[[str], httpx.AsyncClient]] = {
    "create_http_client(proxy=)": lambda proxy: greenstatus.create_http_client(
        proxy=proxy, headers={"Authorization": f"Bearer {BEARER}"}
    ),
    "AsyncHTTPTransport(proxy=)": lambda proxy: httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(proxy=proxy), cookies={"session": SESSION}
    ),
}


@pytest.mark.parametrize("make", PROXIED.values(), ids=PROXIED.keys())
async def test_a_check_goes_through_the_clients_proxy_which_is_not_judged_as_the_host(
    make: Callable[[str], httpx.AsyncClient],
) -> None:
    with link_host.serve() as proxy:
        url = proxy.route("http://files.example.com/a.mp3", content_type="audio/mpeg")
        async with make(proxy.url) as http:
            # GREEN-API on the public internet: links must be public; the
            # proxy's own loopback address is not the link's.
            client = AsyncStatusClient("1101000001", TOKEN, http_client=http)
            checked = await client.check_link(url, "voice")
    assert checked.status_code == 200
    (asked,) = proxy.asked
    assert (asked.method, asked.target) == ("HEAD", "http://files.example.com/a.mp3")
    assert_carries_nothing(asked)


@pytest.mark.parametrize(("hops", "passes"), [(20, True), (21, False)])
async def test_redirects_are_followed_up_to_httpx_s_limit_of_20(hops: int, passes: bool) -> None:
    fake = FakeGreenAPI()
    async with served_client(fake) as client:
        url = fake.host_file("a.mp3", b"ID3", content_type="audio/mpeg")
        for hop in range(hops):
            url = fake.host_redirect(f"hop{hop}", url)
        if passes:
            assert (await client.check_link(url, "voice")).status_code == 200
            assert len(fake.file_requests) == 21
        else:
            with pytest.raises(LinkCheckError, match="redirects too many times"):
                await client.check_link(url, "voice")
            assert len(fake.file_requests) == 21  # the 22nd hop is never asked


async def test_a_clients_own_max_redirects_is_the_limit() -> None:
    fake = FakeGreenAPI()
    async with fake.serve() as api_url, httpx.AsyncClient(max_redirects=2) as http:
        client = AsyncStatusClient(fake.id_instance, fake.token, api_url=api_url, http_client=http)
        url = fake.host_file("a.mp3", b"ID3", content_type="audio/mpeg")
        for hop in range(3):
            url = fake.host_redirect(f"hop{hop}", url)
        with pytest.raises(LinkCheckError, match="redirects too many times"):
            await client.check_link(url, "voice")
    assert len(fake.file_requests) == 3


async def test_a_check_through_a_closed_client_ends_as_client_closed_not_sent() -> None:
    http = httpx.AsyncClient()
    client = AsyncStatusClient("1101000001", TOKEN, http_client=http)
    await http.aclose()
    with pytest.raises(ClientClosedError, match="the client was closed") as excinfo:
        await client.check_link("https://files.example.com/a.jpg", "media")
    assert excinfo.value.request_sent is False
    assert excinfo.value.url == "https://files.example.com/a.jpg"
