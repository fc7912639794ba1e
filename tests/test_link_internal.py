"""Link checks never ask a non-public address, on asyncio and trio.

GREEN-API fetches a url_file from the public internet, so a link that leads
off it can never be a status: the check refuses it (``reason="not_public"``)
before asking, at the first hop and at every redirect; where the transport
shows the address a name resolved to, the answer from a non-public one is
refused. A GREEN-API on a non-public host (the fake on loopback) allows them.

Loopback is the only network here: a public link's host is a public-looking
name that the client's transport routes to a handler (a mount, or the fake's
in-process transport), and the internal targets are real servers on
127.0.0.1 and 127.0.0.2 that record they were never asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

import httpcore
import httpx
import pytest

from greenstatus import AsyncStatusClient, LinkCheckError
from greenstatus.testing import FakeGreenAPI

from . import link_host
from .conftest import fake_client, served_client
from .link_host import LinkHost

pytestmark = pytest.mark.anyio

TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123"
PUBLIC_LINK = "http://files.example.com/share.jpg"


@contextmanager
def internal_hosts() -> Iterator[tuple[LinkHost, LinkHost]]:
    """Servers on 127.0.0.1 and 127.0.0.2 that would serve a fine picture."""
    with ExitStack() as stack:
        hosts = [
            stack.enter_context(link_host.serve(address)) for address in ("127.0.0.1", "127.0.0.2")
        ]
        for host in hosts:
            for path in ("/secret-admin", "/a.jpg"):
                host.route(path, content_type="image/jpeg")
        yield hosts[0], hosts[1]


def redirecting_to(location: str, calls: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(302, headers={"Location": location})

    return httpx.MockTransport(answer)


def redirects(port: int, port_2: int) -> list[str]:
    """Redirect targets off the public internet, in many spellings; those
    with a port would reach the servers of ``internal_hosts`` on 127.0.0.1
    (``port``) and 127.0.0.2 (``port_2``)."""
    return [
        f"http://127.0.0.2:{port_2}/secret-admin",
        f"http://127.0.0.1:{port}/secret-admin",
        f"http://localhost:{port}/secret-admin",
        f"http://localhost.:{port}/secret-admin",
        f"http://2130706433:{port}/secret-admin",
        f"http://0x7f.1:{port}/secret-admin",
        f"http://127.1:{port}/secret-admin",
        f"http://[::ffff:127.0.0.1]:{port}/secret-admin",
        f"http://[::ffff:7f00:1]:{port}/secret-admin",
        f"http://0.0.0.0:{port}/secret-admin",
        f"http://[::1]:{port}/secret-admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://metadata.google.internal/",
        "http://printer.local/",
        "http://router/",
    ]


REDIRECT_COUNT = len(redirects(0, 0))


@pytest.mark.parametrize("index", range(REDIRECT_COUNT))
async def test_a_public_link_redirecting_off_the_public_internet_is_refused_unasked(
    index: int,
) -> None:
    calls: list[httpx.Request] = []
    with internal_hosts() as (first, second):
        target = redirects(first.port, second.port)[index]
        mounts = {"http://files.example.com": redirecting_to(target, calls)}
        async with (
            httpx.AsyncClient(mounts=mounts) as http,
            AsyncStatusClient("1101000001", TOKEN, http_client=http) as client,
        ):
            with pytest.raises(LinkCheckError) as excinfo:
                await client.check_link(PUBLIC_LINK, "media")
        assert first.asked == second.asked == []
    refused = excinfo.value
    assert refused.reason == "not_public"
    assert (refused.url, refused.status_code) == (PUBLIC_LINK, None)
    assert str(httpx.URL(target)) in str(refused)
    assert "which was not asked" in str(refused)
    assert [request.method for request in calls] == ["HEAD"]  # and no GET after it


async def test_a_refusal_names_what_the_address_is() -> None:
    calls: list[httpx.Request] = []
    mounts = {"http://files.example.com": redirecting_to("http://169.254.169.254/", calls)}
    async with (
        httpx.AsyncClient(mounts=mounts) as http,
        AsyncStatusClient("1101000001", TOKEN, http_client=http) as client,
    ):
        with pytest.raises(LinkCheckError) as excinfo:
            await client.check_link(PUBLIC_LINK, "media")
        with pytest.raises(LinkCheckError):
            await client.check_link(PUBLIC_LINK, "media")  # remembered: not asked again
    assert str(excinfo.value) == (
        f"url_file: {PUBLIC_LINK!r} leads to http://169.254.169.254/, a link-local "
        "address, which was not asked. GREEN-API fetches files from the public "
        "internet: a status from this link could never appear"
    )
    assert len(calls) == 1


async def test_a_non_public_link_is_refused_before_its_first_hop_and_nothing_is_sent() -> None:
    fake = FakeGreenAPI()
    with internal_hosts() as (first, second):
        mounts = {"https://api.green-api.com": fake.transport()}
        async with (
            httpx.AsyncClient(mounts=mounts) as http,
            AsyncStatusClient(
                fake.id_instance, fake.token, http_client=http, check_links=True
            ) as client,
        ):
            for host in (first, second):
                with pytest.raises(LinkCheckError) as excinfo:
                    await client.send_media_status(f"{host.url}/a.jpg", "a.jpg")
                assert excinfo.value.reason == "not_public"
        assert first.asked == second.asked == []
    assert fake.requests == []


async def test_on_the_fakes_transport_a_redirect_to_an_internal_address_is_refused() -> None:
    fake = FakeGreenAPI()  # its file host is files.fake-green-api.invalid: public-looking
    share = fake.host_redirect("share.jpg", "http://127.0.0.2/files/secret-admin")
    async with fake_client(fake, check_links=True) as client:
        with pytest.raises(LinkCheckError) as excinfo:
            await client.send_media_status(share, "share.jpg")
    assert excinfo.value.reason == "not_public"
    assert [(r.http_method, r.path) for r in fake.file_requests] == [
        ("HEAD", share.removeprefix(fake.file_base_url))
    ]
    assert fake.requests == []


async def test_with_green_api_on_a_non_public_host_internal_links_are_checked() -> None:
    fake = FakeGreenAPI()
    with internal_hosts() as (_, second):
        async with served_client(fake) as client:  # GREEN-API on 127.0.0.1
            share = fake.host_redirect("share", f"{second.url}/a.jpg")
            checked = await client.check_link(share, "media")
        assert [a.target for a in second.asked] == ["/a.jpg"]
    assert checked.final_url == f"{second.url}/a.jpg"


# -- the address a name resolved to -----------------------------------------------


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects every name to one address, as a resolver answering with it would."""

    def __init__(self, host: str, port: int) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._host, self._port = host, port

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_tcp(
            self._host, self._port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(host: str, port: int) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport()
    # httpx's transport takes no network backend: its pool gets one that pins.
    transport._pool = httpcore.AsyncConnectionPool(network_backend=PinnedBackend(host, port))
    return transport


async def test_a_public_name_that_resolves_to_an_internal_address_is_refused_once_connected() -> (
    None
):
    with internal_hosts() as (_, second):
        transport = pinned_transport("127.0.0.2", second.port)
        async with (
            httpx.AsyncClient(transport=transport) as http,
            AsyncStatusClient("1101000001", TOKEN, http_client=http) as client,
        ):
            with pytest.raises(LinkCheckError) as excinfo:
                await client.check_link("http://files.example.com/a.jpg", "media")
        # httpcore shows the address once connected: the question was asked.
        assert [(a.method, a.target) for a in second.asked] == [("HEAD", "/a.jpg")]
    assert excinfo.value.reason == "not_public"
    assert "answered from 127.0.0.2, a loopback address; its answer was refused" in str(
        excinfo.value
    )


async def test_with_green_api_on_a_non_public_host_a_name_resolving_there_passes() -> None:
    with internal_hosts() as (_, second):
        transport = pinned_transport("127.0.0.2", second.port)
        async with (
            httpx.AsyncClient(transport=transport) as http,
            AsyncStatusClient(
                "1101000001", TOKEN, api_url="http://127.0.0.1:9", http_client=http
            ) as client,
        ):
            checked = await client.check_link("http://files.example.com/a.jpg", "media")
    assert checked.status_code == 200
