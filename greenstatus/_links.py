"""Link checks: whether a url_file is a direct link whose status will show.

GREEN-API answers a send with an idMessage whatever the link serves, and a
status whose file it cannot show never appears. A check asks the link's own
host, through the same ``httpx.AsyncClient`` as every other request, what it
serves: a HEAD request, or where HEAD is refused a one-byte ranged GET.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import anyio
import attrs
import httpx

from ._exceptions import LinkCheckError
from ._numbers import whole_number
from ._outcome import TRANSPORT_ERRORS
from ._upload import UPLOAD_MAX

__all__ = ["CheckedLink", "LinkChecker", "LinkKind", "fetch_link_facts", "judge"]

V = TypeVar("V")

LinkKind = Literal["voice", "media"]

_REMEMBERED = 4096
"""Links remembered per client (checked or uploaded); the oldest are forgotten."""
# A file link is asked for any type, whatever the client's default Accept.
_FILE_HEADERS = {"Accept": "*/*"}
# Every way a host can fail to answer, on every transport (aiohttp's own
# errors reach here unmapped on asyncio).
_NO_ANSWER: tuple[type[BaseException], ...] = (
    *TRANSPORT_ERRORS,
    httpx.HTTPError,
    httpx.InvalidURL,
)
_KINDS: dict[str, tuple[str, ...]] = {"voice": ("audio/",), "media": ("image/", "video/")}


@attrs.frozen
class CheckedLink:
    """What a link's host answered, judged fit for a status."""

    url: str
    final_url: str
    """Where its redirects led."""
    status_code: int
    content_type: str
    size: int | None
    """Bytes, when the host said."""


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

    @property
    def lasting(self) -> bool:
        """Worth remembering: an answer that a second look would repeat."""
        return (
            self.failure is None
            and self.status_code is not None
            and self.status_code != 429
            and self.status_code < 500
        )


class LinkChecker:
    """What one client knows of links: those its uploads made, and those checked."""

    def __init__(self) -> None:
        self._uploaded: OrderedDict[str, None] = OrderedDict()
        self._facts: OrderedDict[str, LinkFacts] = OrderedDict()
        self._pending: dict[str, _Pending] = {}

    def uploaded(self, url: str) -> None:
        """``url`` came from uploadFile: a direct link, never checked."""
        _remember(self._uploaded, url, None)

    def was_uploaded(self, url: str) -> bool:
        return url in self._uploaded

    async def facts(self, url: str, fetch: Callable[[str], Awaitable[LinkFacts]]) -> LinkFacts:
        """The facts of ``url``: remembered, or fetched once however many ask
        at the same time (an answer not worth remembering is shared too)."""
        while True:
            known = self._facts.get(url)
            if known is not None:
                self._facts.move_to_end(url)
                return known
            pending = self._pending.get(url)
            if pending is None:
                break
            await pending.done.wait()
            if pending.facts is not None:
                return pending.facts
            # Its fetch was cancelled or failed: ask again (or wait for whoever does).
        mine = _Pending(done=anyio.Event())
        self._pending[url] = mine
        try:
            mine.facts = await fetch(url)
            if mine.facts.lasting:
                _remember(self._facts, url, mine.facts)
            return mine.facts
        finally:
            if self._pending.get(url) is mine:
                del self._pending[url]
            mine.done.set()


@attrs.define
class _Pending:
    """A fetch under way, and its answer once it has one."""

    done: anyio.Event
    facts: LinkFacts | None = None


def _remember(store: OrderedDict[str, V], key: str, value: V) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > _REMEMBERED:
        store.popitem(last=False)


async def fetch_link_facts(
    http: httpx.AsyncClient, url: str, http_timeout: httpx.Timeout | None, limit: float | None
) -> LinkFacts:
    """Ask the link's host: HEAD, then a ranged GET where HEAD is not answered
    2xx; all of it within ``limit`` seconds (httpx's timeouts bound each read,
    not a host that trickles its answer)."""
    with anyio.move_on_after(limit if limit is not None else math.inf) as scope:
        return await _ask(http, url, http_timeout)
    assert scope.cancelled_caught
    return LinkFacts(url=url, final_url=url, failure=f"it did not answer within {limit:g} s")


async def _ask(http: httpx.AsyncClient, url: str, http_timeout: httpx.Timeout | None) -> LinkFacts:
    with_timeout = http_timeout if http_timeout is not None else httpx.USE_CLIENT_DEFAULT
    try:
        head = await http.head(
            url, headers=_FILE_HEADERS, follow_redirects=True, timeout=with_timeout
        )
        if head.is_success:
            return _facts_of(url, head, _declared_size(head))
        # Refused (405, 501, a presigned URL signed for GET only...): ask for
        # one byte instead, and read none of the file.
        request = http.build_request(
            "GET", url, headers={**_FILE_HEADERS, "Range": "bytes=0-0"}, timeout=with_timeout
        )
        got = await http.send(request, follow_redirects=True, stream=True)
        try:
            return _facts_of(url, got, _declared_size(got))
        finally:
            await got.aclose()
    except httpx.TooManyRedirects:
        return LinkFacts(url=url, final_url=url, failure="it redirects too many times")
    except httpx.UnsupportedProtocol as error:
        return LinkFacts(url=url, final_url=url, failure=f"it leads to a non-HTTP link ({error})")
    except _NO_ANSWER as error:
        detail = str(error) or type(error).__name__
        return LinkFacts(url=url, final_url=url, failure=f"its host did not answer ({detail})")
    except (UnicodeError, ValueError) as error:
        # A host name no resolver takes, credentials a transport refuses...
        return LinkFacts(url=url, final_url=url, failure=f"it cannot be requested ({error})")


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


def judge(facts: LinkFacts, kind: LinkKind) -> CheckedLink:
    """The link, if a ``kind`` status from it will show; else ``LinkCheckError``."""
    url = facts.url

    def refuse(reason: str, problem: str) -> LinkCheckError:
        return LinkCheckError(
            f"{url!r} {problem}",
            url=url,
            reason=reason,
            status_code=facts.status_code,
            content_type=facts.content_type,
            size=facts.size,
        )

    if facts.failure is not None or facts.status_code is None:
        raise refuse(
            "unreachable",
            f"could not be checked: {facts.failure}; GREEN-API could not download it either",
        )
    if not 200 <= facts.status_code < 300:
        raise refuse(
            "status",
            f"answered {facts.status_code}; GREEN-API could not download the file either",
        )
    content_type = facts.content_type
    wanted = " or ".join(f"{prefix}*" for prefix in _KINDS[kind])
    if facts.several_types:
        raise refuse(
            "content_type",
            f"is served with more than one Content-Type; a {kind} status needs one, {wanted}",
        )
    if content_type is None:
        raise refuse(
            "content_type",
            f"is served with no Content-Type; a {kind} status needs {wanted}. Serve it with "
            "its real type, or upload it with upload_file",
        )
    if content_type == "application/octet-stream":
        raise refuse(
            "content_type",
            "is served as application/octet-stream, a download link: GREEN-API answers "
            "with an idMessage and the status never appears. Serve it with its real type "
            f"({wanted}), or upload it with upload_file",
        )
    if not content_type.startswith(_KINDS[kind]):
        raise refuse(
            "content_type",
            f"is served as {content_type}, not {wanted}: it cannot be a {kind} status",
        )
    if facts.attachment:
        raise refuse(
            "attachment",
            "is served as an attachment (Content-Disposition: attachment), a download "
            "link: serve it inline, or upload it with upload_file",
        )
    if facts.size is not None and facts.size > UPLOAD_MAX:
        raise refuse(
            "too_large",
            f"is {facts.size} bytes, over GREEN-API's limit of 100 MB ({UPLOAD_MAX} bytes)",
        )
    return CheckedLink(
        url=url,
        final_url=facts.final_url,
        status_code=facts.status_code,
        content_type=content_type,
        size=facts.size,
    )
