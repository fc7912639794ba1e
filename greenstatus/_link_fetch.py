"""Asking a link's host what it serves, hop by hop, with none of the shared
client's credentials: a HEAD request, or where HEAD is refused a one-byte
ranged GET. Each hop is judged public before it is asked (``_public``), and
on httpx's own transport the address an answer came from too. What the host
answered is a ``LinkFacts``; ``_links`` judges it and remembers it."""

from __future__ import annotations

import ipaddress
import math

import anyio
import attrs
import httpx

from ._numbers import whole_number
from ._outcome import transport_errors
from ._public import Address, why_not_public, why_not_public_address
from ._version import __version__

__all__ = ["LinkClient", "LinkFacts", "fetch_link_facts"]

# All a check sends of its own: a file link is asked for any type.
_LINK_HEADERS = {"User-Agent": f"greenstatus/{__version__}", "Accept": "*/*"}


def _no_answer() -> tuple[type[BaseException], ...]:
    """Every way a host can fail to answer, on every transport (aiohttp's own
    errors reach here unmapped on asyncio)."""
    return (*transport_errors(), httpx.HTTPError, httpx.InvalidURL)


@attrs.frozen
class LinkFacts:
    """What one link's host answered (or why it did not)."""

    url: str
    final_url: str
    status_code: int | None = None
    content_type: str | None = None
    several_types: bool = False
    attachment: bool = False
    size: int | None = None
    failure: str | None = None
    """Why there was no answer (the host is unreachable, a redirect loop...)."""
    not_public: str | None = None
    """Where off the public internet the link led, and what became of it."""

    @property
    def lasting(self) -> bool:
        """Worth remembering: an answer that a second look would repeat."""
        if self.not_public is not None:
            return True
        return (
            self.failure is None
            and self.status_code is not None
            and self.status_code != 429
            and self.status_code < 500
        )


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing: what a link's host sets is no one's business."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class LinkClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` for link checks: the shared client's transports
    (its proxies and mounts, a respx or MockTransport) and its event hooks, and
    nothing else of it: no default headers but ``User-Agent`` and ``Accept``,
    no cookies, no auth, no query parameters.

    Why a sibling client rather than the shared one, or bare transport calls:
    the shared client's ``send()`` of a bare request still applies its auth and
    stores the link host's cookies in its jar, while calling a transport
    directly would skip the user's event hooks and httpx's bookkeeping (its
    timeouts, its log line, its bounded streams). A sibling running httpx's own
    ``send()`` keeps all that and has nothing to leak. It is never closed: its
    transports are the shared client's, and closed by their owner.
    """

    def __init__(self, shared: httpx.AsyncClient) -> None:
        # No environment: its proxies are the shared client's mounts already,
        # and reading it here would build pools that no one closes.
        super().__init__(transport=shared._transport, trust_env=False)
        self.shared = shared
        for name in [name for name in self.headers if name not in ("user-agent", "accept")]:
            del self.headers[name]
        self.headers.update(_LINK_HEADERS)
        # httpx's send() stores each answer's cookies in the client's jar, and
        # build_request sends them on: this one keeps none, so no hop or later
        # check carries what a link's host set.
        self._cookies = _NoCookies()

    def _transport_for_url(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        return self.shared._transport_for_url(url)

    async def ask(
        self, method: str, url: httpx.URL, headers: dict[str, str], http_timeout: httpx.Timeout
    ) -> httpx.Response:
        """One request, redirects not followed, its body not read."""
        if self.shared.is_closed:
            # As the shared client itself would: its transports are closed.
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        # The shared client's hooks as they are now: users may set them late.
        self.event_hooks = self.shared.event_hooks
        request = self.build_request(method, url, headers=headers, timeout=http_timeout)
        try:
            return await self.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPStatusError as error:
            # A user's response hook (raise_for_status, say) judged the answer
            # by its status: the check judges it, and a redirect is followed.
            if error.response.request is not request:
                raise
            return error.response

    def peer(self, response: httpx.Response) -> Address | None:
        """The address the answer came from, where the transport shows it
        (httpcore's network stream: httpx's own transport) and no proxy stands
        between; else ``None``."""
        stream = response.extensions.get("network_stream")
        if stream is None or self._proxied(response.url):
            return None
        try:
            address = stream.get_extra_info("server_addr")
            return ipaddress.ip_address(str(address[0]).partition("%")[0])
        except (OSError, TypeError, IndexError, ValueError):
            return None  # not a TCP/IP socket, or already gone

    def _proxied(self, url: httpx.URL) -> bool:
        transport = self.shared._transport_for_url(url)
        if transport is not self.shared._transport:
            return True  # a mount: proxies, from the environment or given, are mounts
        # A transport given as httpx.AsyncHTTPTransport(proxy=...); httpcore is
        # loaded by then (the answer came through its pool), and only then.
        import httpcore

        return isinstance(
            getattr(transport, "_pool", None), (httpcore.AsyncHTTPProxy, httpcore.AsyncSOCKSProxy)
        )


class _NotPublic(Exception):
    def __init__(self, url: httpx.URL, where: str) -> None:
        super().__init__(where)
        self.url = url
        self.where = where


async def fetch_link_facts(
    http: LinkClient,
    url: str,
    http_timeout: httpx.Timeout | None,
    limit: float | None,
    *,
    private_ok: bool = False,
) -> LinkFacts:
    """Ask the link's host: HEAD, then a ranged GET where HEAD is not answered
    2xx; all of it within ``limit`` seconds (httpx's timeouts bound each read,
    not a host that trickles its answer). Unless ``private_ok``, a link that
    leads off the public internet is refused, at any hop."""
    with anyio.move_on_after(limit if limit is not None else math.inf) as scope:
        return await _ask(http, url, http_timeout, private_ok)
    assert scope.cancelled_caught
    return LinkFacts(url=url, final_url=url, failure=f"it did not answer within {limit:g} s")


async def _ask(
    http: LinkClient, url: str, http_timeout: httpx.Timeout | None, private_ok: bool
) -> LinkFacts:
    bound = http_timeout if http_timeout is not None else http.shared.timeout
    try:
        head = await _follow(http, "HEAD", url, {}, bound, private_ok)
        try:
            if head.is_success:
                return _facts_of(url, head, _declared_size(head))
        finally:
            await head.aclose()
        # Refused (405, 501, a presigned URL signed for GET only...): ask for
        # one byte instead, and read none of the file.
        got = await _follow(http, "GET", url, {"Range": "bytes=0-0"}, bound, private_ok)
        try:
            return _facts_of(url, got, _declared_size(got))
        finally:
            await got.aclose()
    except _NotPublic as refused:
        return LinkFacts(url=url, final_url=str(refused.url), not_public=refused.where)
    except httpx.TooManyRedirects:
        return LinkFacts(url=url, final_url=url, failure="it redirects too many times")
    except httpx.UnsupportedProtocol as error:
        return LinkFacts(url=url, final_url=url, failure=f"it leads to a non-HTTP link ({error})")
    except _no_answer() as error:
        detail = str(error) or type(error).__name__
        return LinkFacts(url=url, final_url=url, failure=f"its host did not answer ({detail})")
    except (UnicodeError, ValueError) as error:
        # A host name no resolver takes, credentials a transport refuses...
        return LinkFacts(url=url, final_url=url, failure=f"it cannot be requested ({error})")


async def _follow(
    http: LinkClient,
    method: str,
    url: str,
    headers: dict[str, str],
    http_timeout: httpx.Timeout,
    private_ok: bool,
) -> httpx.Response:
    """The answer at the end of ``url``'s redirects (at most the shared
    client's ``max_redirects``), each hop asked afresh with nothing but
    ``headers``, and judged public before it is asked and by the address it
    answered from (unless ``private_ok``)."""
    target = httpx.URL(url)
    for _ in range(http.shared.max_redirects + 1):
        if not private_ok:
            why = why_not_public(target.host)
            if why is not None:
                raise _NotPublic(target, f"{target}, {why}, which was not asked")
        response = await http.ask(method, target, headers, http_timeout)
        try:
            if not private_ok:
                _judge_peer(http, response)
            location = _redirect_target(response)
        except BaseException:
            await response.aclose()
            raise
        if location is None:
            return response
        await response.aclose()
        target = location
    raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.")


def _judge_peer(http: LinkClient, response: httpx.Response) -> None:
    """Refuse an answer from a non-public address, where the transport tells:
    the name looked public, and resolved elsewhere."""
    peer = http.peer(response)
    why = None if peer is None else why_not_public_address(peer)
    if why is not None:
        raise _NotPublic(
            response.url,
            f"{response.url}, whose host answered from {peer}, {why}; its answer was refused",
        )


def _redirect_target(response: httpx.Response) -> httpx.URL | None:
    """Where a redirect leads, read as httpx reads a Location; ``None`` for an
    answer that is not a redirect."""
    if not response.has_redirect_location:
        return None
    try:
        location = httpx.URL(response.headers["location"])
    except httpx.InvalidURL as error:
        raise httpx.RemoteProtocolError(f"Invalid URL in location header: {error}.") from None
    if location.scheme and not location.host:
        location = location.copy_with(host=response.url.host)
    target = response.url.join(location)
    if target.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"a redirect to {target.scheme}:// is not HTTP")
    return target


def _facts_of(url: str, response: httpx.Response, size: int | None) -> LinkFacts:
    # Each header may come more than once: several types are no type, and one
    # "attachment" among the dispositions makes it a download.
    types = {
        value.split(";")[0].strip().lower()
        for value in response.headers.get_list("content-type", split_commas=True)
    }
    dispositions = response.headers.get_list("content-disposition", split_commas=True)
    return LinkFacts(
        url=url,
        final_url=str(response.url),
        status_code=response.status_code,
        content_type=types.pop() if len(types) == 1 else None,
        several_types=len(types) > 1,
        attachment=any(
            value.split(";")[0].strip().lower() == "attachment" for value in dispositions
        ),
        size=size,
    )


def _declared_size(response: httpx.Response) -> int | None:
    """The file's size: the total of a Content-Range, or a whole answer's
    Content-Length (a HEAD answer declares the GET's)."""
    if response.status_code == 206:
        return whole_number(response.headers.get("content-range", "").rpartition("/")[2])
    return whole_number(response.headers.get("content-length", ""))
