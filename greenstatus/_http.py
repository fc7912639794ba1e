"""The ``httpx.AsyncClient`` greenstatus sends through, and the transport under it.

Every request of an ``AsyncStatusClient`` goes through ``httpx.AsyncClient.send``
of one client: the user's ``http_client``, or one made by ``create_http_client``.
That client is a plain ``httpx.AsyncClient`` whose default transport is chosen
on its first request, inside the running event loop:

- on asyncio, httpx-aiohttp's ``AiohttpTransport`` (aiohttp's connection pool;
  httpcore's pool rescans every connection for every queued request);
- on trio, where aiohttp cannot run, httpx's own ``AsyncHTTPTransport``.

Proxies from the environment reach the same choice through httpx's own
mounting rules, so they are honoured exactly as httpx honours them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import ssl
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import aiohttp
import anyio
import httpx
from httpx_aiohttp import AiohttpTransport

from ._version import __version__

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "create_http_client"]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""A send only enqueues the status, so seconds are plenty; connecting gets less."""
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64)
"""One instance's host is held to a few dozen requests per second: more parallel
TLS connections than this only cost, and every one of them is kept alive."""
DEFAULT_HEADERS = {"User-Agent": f"greenstatus/{__version__}", "Accept": "application/json"}

logger = logging.getLogger("greenstatus")

# aiohttp's writer waits on the socket only once its buffer passes 64 KiB, so a
# smaller body is handed to the kernel at once and cannot stall a write.
_WRITE_WATCH_FROM = 64 * 1024
_WRITE_CHUNK = 64 * 1024


def create_http_client(**kwargs: object) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` of the kind greenstatus creates for itself.

    Its transport is chosen for the running event loop on the first request
    (httpx-aiohttp on asyncio, httpx's own on trio), and it starts from
    greenstatus's timeouts (``httpx.Timeout(15.0, connect=5.0)``), pool (64
    connections, all kept alive) and headers, and it stores no cookies from
    answers (GREEN-API sets none). Keyword arguments go to ``httpx.AsyncClient``
    and win over those defaults (with ``cookies=``, answers' cookies are stored
    as httpx stores them); a ``transport=`` is used as given. Share one between
    many ``AsyncStatusClient`` objects:

    ```python
    import httpx

    import greenstatus
    from greenstatus import AsyncStatusClient

    accounts = {"1101000001": "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"}
    http = greenstatus.create_http_client(limits=httpx.Limits(max_connections=256))
    clients = [
        AsyncStatusClient(id_instance, token, http_client=http)
        for id_instance, token in accounts.items()
    ]
    await http.aclose()  # yours: greenstatus never closes a client it was given
    ```
    """
    options = cast("dict[str, Any]", kwargs)
    options.setdefault("timeout", DEFAULT_TIMEOUT)
    options.setdefault("limits", DEFAULT_LIMITS)
    headers = httpx.Headers(DEFAULT_HEADERS)
    headers.update(options.pop("headers", None) or {})
    client = _EventLoopClient(headers=headers, **options)
    if "cookies" not in options:
        # httpx reads every answer for Set-Cookie through the standard library's
        # cookie machinery, about a tenth of a request's CPU here, and
        # GREEN-API sets no cookies. Cookies set on the client still go out.
        client._keeps_answer_cookies = False
        client.cookies = client.cookies
    return client


def on_asyncio() -> bool:
    """Whether the calling task runs on an asyncio event loop (aiohttp needs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _KeptCookiesOnly(httpx.Cookies):
    """httpx's cookies, but none taken from answers."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _EventLoopClient(httpx.AsyncClient):
    """httpx's client, whose default and proxy transports follow the event loop.

    httpx builds those transports through these two hooks (httpx-aiohttp's own
    client overrides the same two), so every other setting keeps its meaning.
    """

    _keeps_answer_cookies = True

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        # Replacing the cookies keeps the client's choice about answers' cookies.
        kind = httpx.Cookies if self._keeps_answer_cookies else _KeptCookiesOnly
        self._cookies = kind(cast("Any", cookies))

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return EventLoopTransport(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, http2=http2, limits=limits
        )

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = DEFAULT_LIMITS,
        **kwargs: Any,
    ) -> httpx.AsyncBaseTransport:
        # aiohttp speaks no SOCKS: httpx's own transport does, on both loops (and,
        # as with plain httpx, says at once when socksio is missing).
        socks = proxy.url.scheme.startswith("socks")
        kind = httpx.AsyncHTTPTransport if socks else EventLoopTransport
        return kind(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=limits,
            proxy=proxy,
        )


class EventLoopTransport(httpx.AsyncBaseTransport):
    """httpx-aiohttp's transport on asyncio, httpx's own on trio, picked on the
    first request (a client may be made before any event loop runs)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._inner: httpx.AsyncBaseTransport | None = None
        self._watch_writes = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = self._inner or self._open()
        if self._watch_writes and _may_stall_writing(request):
            return await _send_watching_writes(inner, request)
        return await inner.handle_async_request(request)

    def _open(self) -> httpx.AsyncBaseTransport:
        if on_asyncio():
            transport = AiohttpTransport(**self._options)
            transport.client = lambda: _aiohttp_session(transport)
            # aiohttp has no write timeout: greenstatus keeps httpx's for it.
            self._watch_writes = True
            self._inner = transport
            logger.debug("on asyncio: sending with httpx-aiohttp's transport")
        else:
            self._inner = httpx.AsyncHTTPTransport(**self._options)
            logger.debug("not on asyncio: sending with httpx's own transport")
        return self._inner

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def _aiohttp_session(transport: AiohttpTransport) -> aiohttp.ClientSession:
    """The session under httpx-aiohttp, as it makes it but with no cookie jar:
    cookies are the httpx client's business, kept once, in its own jar."""
    limits = transport.limits
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=transport.ssl_context,
    )
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


def _may_stall_writing(request: httpx.Request) -> bool:
    if request.extensions.get("timeout", {}).get("write") is None:
        return False
    try:
        return len(request.content) > _WRITE_WATCH_FROM
    except httpx.RequestNotRead:  # a streamed body: any size
        return True


async def _send_watching_writes(
    inner: httpx.AsyncBaseTransport, request: httpx.Request
) -> httpx.Response:
    """Send with httpx's write timeout: each chunk of the body must be written
    within it, or the request fails with ``httpx.WriteTimeout``."""
    write_timeout = float(request.extensions["timeout"]["write"])
    with anyio.CancelScope() as scope:
        body = _WatchedBody(request, scope, write_timeout)
        watched = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            stream=body,
            extensions=request.extensions,
        )
        response = await inner.handle_async_request(watched)
    if scope.cancelled_caught:
        raise httpx.WriteTimeout(
            f"writing the request body stalled for {write_timeout:g} s", request=request
        )
    return response


class _WatchedBody(httpx.AsyncByteStream):
    """A request body handed out in chunks; while it is being written, the
    enclosing scope is cancelled if one chunk takes longer than the timeout."""

    def __init__(self, request: httpx.Request, scope: anyio.CancelScope, timeout: float) -> None:
        self._request = request
        self._scope = scope
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self._chunks()
        try:
            while True:
                # Asked for the next chunk, so the previous one has been
                # written; the body's own source takes as long as it takes.
                self._scope.deadline = math.inf
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                self._scope.deadline = anyio.current_time() + self._timeout
                yield chunk
        finally:
            self._scope.deadline = math.inf  # the rest is the read timeout's
            await chunks.aclose()

    async def _chunks(self) -> AsyncGenerator[bytes, None]:
        try:
            content = self._request.content
        except httpx.RequestNotRead:
            stream = cast("httpx.AsyncByteStream", self._request.stream)
            async for chunk in stream:
                yield chunk
            return
        view = memoryview(content)
        for start in range(0, len(view), _WRITE_CHUNK):
            yield bytes(view[start : start + _WRITE_CHUNK])
