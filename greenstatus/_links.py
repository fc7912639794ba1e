"""Link checks: whether a url_file is a direct link whose status will show.

GREEN-API answers a send with an idMessage whatever the link serves, and a
status whose file it cannot show never appears. A check asks the link's own
host what it serves (``_link_fetch``: through the transports of the same
``httpx.AsyncClient`` as every other request, with none of its credentials,
hop by hop), remembers the answer per pool, and judges it here.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import anyio
import attrs
import httpx

from ._exceptions import InvalidStatusError, LinkCheckError
from ._fields import check_url_file
from ._link_fetch import LinkClient, LinkFacts, fetch_link_facts
from ._public import why_not_public
from ._redaction import Secret
from ._upload_sources import UPLOAD_MAX

__all__ = ["CheckedLink", "LinkChecker", "LinkKind", "judge"]

logger = logging.getLogger("greenstatus")

V = TypeVar("V")

LinkKind = Literal["voice", "media"]

_REMEMBERED = 4096
"""Links remembered per client (checked or uploaded); the oldest are forgotten."""
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


class LinkChecker:
    """What one pool knows of links (so the clients on it): those uploads made,
    and those checked."""

    def __init__(self) -> None:
        self._uploaded: OrderedDict[str, None] = OrderedDict()
        self._facts: OrderedDict[str, LinkFacts] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self._client: LinkClient | None = None

    def client_for(self, shared: httpx.AsyncClient) -> LinkClient:
        """The client that asks links' hosts over ``shared``'s transports."""
        if self._client is None or self._client.shared is not shared:
            self._client = LinkClient(shared)
        return self._client

    def uploaded(self, url: str) -> None:
        """``url`` came from uploadFile: a direct link, never checked."""
        _remember(self._uploaded, url, None)

    def was_uploaded(self, url: str) -> bool:
        return url in self._uploaded

    async def check(
        self,
        shared: httpx.AsyncClient,
        url_file: str,
        kind: LinkKind,
        *,
        token: Secret[str],
        bounds: httpx.Timeout,
        hop_timeout: httpx.Timeout | None,
        api_url: str,
    ) -> LinkFacts:
        """What ``url_file``'s host answers for a ``kind`` status, its
        arguments checked first: a HEAD and perhaps a GET, each connecting and
        reading within ``bounds``, over ``shared``'s transports."""
        if kind not in ("voice", "media"):
            raise InvalidStatusError("kind", f"must be 'voice' or 'media', got {kind!r}")
        check_url_file("url_file", url_file)
        if token.reveal() in url_file:
            raise InvalidStatusError(
                "url_file", "holds the API token; it would go to the link's host"
            )
        connect, read = bounds.connect, bounds.read
        return await self.look_up(
            shared,
            url_file,
            hop_timeout=hop_timeout,
            limit=2 * (connect + read) if connect is not None and read is not None else None,
            # GREEN-API fetches links from where it runs: one on a host off the
            # public internet (a fake, a gateway of your own) may fetch them there.
            private_ok=why_not_public(httpx.URL(api_url).host) is not None,
        )

    async def look_up(
        self,
        shared: httpx.AsyncClient,
        url: str,
        *,
        hop_timeout: httpx.Timeout | None,
        limit: float | None,
        private_ok: bool,
    ) -> LinkFacts:
        """What ``url``'s host answers, asked over ``shared``'s transports
        (or remembered): each hop within ``hop_timeout``, all of it within
        ``limit`` seconds; non-public hosts refused unless ``private_ok``."""
        client = self.client_for(shared)

        async def fetch(link: str) -> LinkFacts:
            logger.debug("checking link %s", link)
            return await fetch_link_facts(client, link, hop_timeout, limit, private_ok=private_ok)

        return await self.facts(url, fetch)

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

    if facts.not_public is not None:
        raise refuse(
            "not_public",
            f"leads to {facts.not_public}. GREEN-API fetches files from the public "
            "internet: a status from this link could never appear",
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
