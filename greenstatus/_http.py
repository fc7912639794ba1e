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

Each pool admits requests through a ``PoolGate`` (``_pool_gate.py``): shares
per instance, per host and in all, so that one stuck instance or one dead host
cannot hold every connection, and closing the pool fails the requests still
waiting with an httpx error instead of cancelling them.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib
import logging
import ssl
import sys
import warnings
import weakref
from typing import TYPE_CHECKING, Any, cast

import anyio.to_thread
import attrs
import httpx

from ._pool_gate import CLOSED_WHILE_WAITING, PoolClosedError, PoolGate, ReleasingStream
from ._version import __version__
from ._write_timeout import may_stall_writing, send_watching_writes

if TYPE_CHECKING:
    # Loaded on the first request on asyncio, not on import: aiohttp is most
    # of a cold start (its connector builds SSL contexts as it is imported),
    # and a command line's one request, or a client on trio, does without.
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "create_http_client"]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""A send only enqueues the status, so seconds are plenty; connecting gets less."""
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64)
"""One instance's host is held to a few dozen requests per second: more parallel
TLS connections than this only cost, and every one of them is kept alive."""
DEFAULT_MAX_REQUESTS_PER_INSTANCE = 8
"""GREEN-API holds an instance to 5 sends, 10 deleteStatus and 1 of each getter
per second, answered in a few hundred milliseconds: even all of them at once
keep about 5 in flight. A stuck instance would keep 5 sends a second for the
15 s read timeout, 75 in flight: 8 bounds it to what a healthy one needs."""


class _HostShare(enum.Enum):
    THREE_QUARTERS_OF_THE_POOL = 3 / 4


THREE_QUARTERS_OF_THE_POOL = _HostShare.THREE_QUARTERS_OF_THE_POOL
"""What one host may hold when not told: a dead host leaves a quarter of the
pool to the others, and a platform whose instances all live on one host (as
every ``1101...`` instance on ``1101.api.greenapi.com``) keeps most of it."""
DEFAULT_HEADERS = {"User-Agent": f"greenstatus/{__version__}", "Accept": "application/json"}

logger = logging.getLogger("greenstatus")


def create_http_client(
    *,
    max_connections_per_host: int | _HostShare | None = THREE_QUARTERS_OF_THE_POOL,
    max_requests_per_instance: int | None = DEFAULT_MAX_REQUESTS_PER_INSTANCE,
    **kwargs: object,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` of the kind greenstatus creates for itself.

    Its transport is chosen for the running event loop on the first request
    (httpx-aiohttp on asyncio, httpx's own on trio), and it starts from
    greenstatus's timeouts (``httpx.Timeout(15.0, connect=5.0)``), pool (64
    connections, all kept alive) and headers, and it stores no cookies from
    answers (GREEN-API sets none). Keyword arguments go to ``httpx.AsyncClient``
    and win over those defaults (with ``cookies=``, answers' cookies are stored
    as httpx stores them); a ``transport=`` is used as given, without the
    shares below. Share one between many ``AsyncStatusClient`` objects.

    The pool is shared out so that a stuck instance or a dead host cannot hold
    every connection while the others wait:

    - ``max_requests_per_instance`` (default 8): requests of one instance (its
      ``/waInstance<id>/`` path) on one host at once, what GREEN-API's own
      rates ever need;
    - ``max_connections_per_host`` (default: three quarters of the ``limits``'
      ``max_connections``, 48 of the default 64): connections to one host
      (scheme, host and port).

    ``None`` lifts either limit (a pool of one instance needs neither).

    A request waits for its shares (and the pool's ``max_connections``) within
    httpx's pool timeout, then fails with ``httpx.PoolTimeout`` as httpx's own
    pool fails it. Once the client is closed, requests still waiting, and any
    later one, fail with an ``httpx.ConnectError``: they were not sent.

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
    return _create(
        kwargs,
        max_connections_per_host=max_connections_per_host,
        max_requests_per_instance=max_requests_per_instance,
        aiohttp_on_asyncio=True,
    )


def create_short_lived_client(**kwargs: object) -> httpx.AsyncClient:
    """``create_http_client``'s kind of client for a process that makes a
    request or a few and exits (the command line): on httpx's own transport
    on every event loop. aiohttp's pool pays off only under load, and loading
    aiohttp takes longer than a request (its connector builds SSL contexts as
    it is imported). One instance's: no shares."""
    return _create(
        kwargs,
        max_connections_per_host=None,
        max_requests_per_instance=None,
        aiohttp_on_asyncio=False,
    )


def _create(
    kwargs: dict[str, object],
    *,
    max_connections_per_host: int | _HostShare | None,
    max_requests_per_instance: int | None,
    aiohttp_on_asyncio: bool,
) -> httpx.AsyncClient:
    options = cast("dict[str, Any]", kwargs)
    options.setdefault("timeout", DEFAULT_TIMEOUT)
    options.setdefault("limits", DEFAULT_LIMITS)
    headers = httpx.Headers(DEFAULT_HEADERS)
    headers.update(options.pop("headers", None) or {})
    shares = _PoolShares(
        max_connections_per_host=(
            max_connections_per_host
            if isinstance(max_connections_per_host, _HostShare)
            else _positive("max_connections_per_host", max_connections_per_host)
        ),
        max_requests_per_instance=_positive("max_requests_per_instance", max_requests_per_instance),
    )
    client = _EventLoopClient(shares, aiohttp_on_asyncio, headers=headers, **options)
    if "cookies" not in options:
        # httpx reads every answer for Set-Cookie through the standard library's
        # cookie machinery, about a tenth of a request's CPU here, and
        # GREEN-API sets no cookies. Cookies set on the client still go out.
        client._keeps_answer_cookies = False
        client.cookies = client.cookies
    return client


@attrs.frozen
class _PoolShares:
    """What one instance and one host may hold of a pool (``None``: no limit)."""

    max_connections_per_host: int | _HostShare | None
    max_requests_per_instance: int | None

    def gate(self, limits: httpx.Limits) -> PoolGate:
        total = limits.max_connections
        per_host = self.max_connections_per_host
        if isinstance(per_host, _HostShare):
            per_host = None if total is None else max(1, int(total * per_host.value))
        return PoolGate(
            max_connections=total,
            max_connections_per_host=per_host,
            max_requests_per_instance=self.max_requests_per_instance,
        )


def _positive(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


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

    def __init__(self, shares: _PoolShares, aiohttp_on_asyncio: bool, **options: Any) -> None:
        # httpx builds the transports inside its __init__, through the hooks below.
        self._shares = shares
        self._aiohttp_on_asyncio = aiohttp_on_asyncio
        super().__init__(**options)

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
            self._shares.gate(limits),
            aiohttp_on_asyncio=self._aiohttp_on_asyncio,
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            limits=limits,
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
        return EventLoopTransport(
            self._shares.gate(limits),
            aiohttp_on_asyncio=self._aiohttp_on_asyncio
            and not proxy.url.scheme.startswith("socks"),
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
    first request (a client may be made before any event loop runs), behind
    the pool's gate."""

    def __init__(self, gate: PoolGate, *, aiohttp_on_asyncio: bool = True, **options: Any) -> None:
        self._gate = gate
        self._options = options
        self._inner: httpx.AsyncBaseTransport | None = None
        self._watch_writes = False
        self._unclosed: weakref.finalize[[], EventLoopTransport] | None = None
        if not aiohttp_on_asyncio:
            # httpx's own on every loop, made at once as httpx makes it: a SOCKS
            # proxy without socksio is refused when the client is created, not
            # on its first request.
            own = httpx.AsyncHTTPTransport(**options)
            self._unclosed = weakref.finalize(self, _UnclosedPool(own).close_quietly)
            self._inner = own

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        release = await self._gate.enter(request)
        try:
            inner = self._inner or await self._open(request)
            if self._watch_writes and may_stall_writing(request):
                response = await send_watching_writes(inner, request)
            else:
                response = await inner.handle_async_request(request)
        except BaseException:
            release()
            raise
        response.stream = ReleasingStream(cast("httpx.AsyncByteStream", response.stream), release)
        return response

    async def _open(self, request: httpx.Request) -> httpx.AsyncBaseTransport:
        if on_asyncio():
            if "httpx_aiohttp" not in sys.modules:
                # Imported in a worker thread: aiohttp takes longer to import
                # than a request takes, and the event loop runs on meanwhile.
                await anyio.to_thread.run_sync(importlib.import_module, "httpx_aiohttp")
            if self._gate.closed:  # closed meanwhile: nothing to open, nothing sent
                raise PoolClosedError(CLOSED_WHILE_WAITING, request=request)
            if self._inner is not None:  # another first request opened it meanwhile
                return self._inner
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport(**self._options)
            leak = _UnclosedSession()
            transport.client = lambda: leak.opened(_aiohttp_session(transport))
            # Called when this transport is collected unclosed, or at exit; never
            # holds the transport itself, or it would never be collected.
            self._unclosed = weakref.finalize(self, leak.close_quietly)
            # aiohttp has no write timeout: greenstatus keeps httpx's for it.
            self._watch_writes = True
            self._inner = transport
            logger.debug("on asyncio: sending with httpx-aiohttp's transport")
        else:
            own = httpx.AsyncHTTPTransport(**self._options)
            self._unclosed = weakref.finalize(self, _UnclosedPool(own).close_quietly)
            self._inner = own
            logger.debug("not on asyncio: sending with httpx's own transport")
        return self._inner

    async def aclose(self) -> None:
        # The gate first: requests still waiting fail with an httpx error, and
        # none is left waiting inside the pool for aiohttp to cancel.
        self._gate.close()
        if self._unclosed is not None:
            self._unclosed.detach()
        if self._inner is not None:
            await self._inner.aclose()


UNCLOSED_WARNING = (
    "an AsyncStatusClient (or a greenstatus.create_http_client() pool) was never "
    "closed; greenstatus closed its connections. Use `async with "
    "AsyncStatusClient(...) as client:` or `await client.aclose()`"
)


_warned_unclosed = False


class _UnclosedSession:
    """The aiohttp session of a transport, to close if nobody did.

    aiohttp reports an unclosed session and connector from their ``__del__``
    with its own messages, which name neither greenstatus nor the fix; closing
    the connector first leaves it nothing to report."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    def opened(self, session: aiohttp.ClientSession) -> aiohttp.ClientSession:
        self.session = session
        return session

    def close_quietly(self) -> None:
        session, self.session = self.session, None
        if session is None or session.closed:
            return
        connector = session.connector
        if connector is not None:
            # Synchronous, and a no-op on a closed event loop (aiohttp checks);
            # a finalizer must not raise, whatever state the loop is in.
            with contextlib.suppress(Exception):
                connector._close()
        _warn_unclosed()


class _UnclosedPool:
    """httpx's own pool (on trio), to close if nobody did: its sockets would
    each be reported unclosed by Python, with no word of greenstatus or the
    fix. Closing a trio socket needs no event loop."""

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.pool = transport._pool  # the pool, never the transport: it must be collectable

    def close_quietly(self) -> None:
        connections = list(getattr(self.pool, "_connections", ()))
        if not connections:
            return
        for connection in connections:
            # httpcore's connection, its HTTP/1.1 or HTTP/2 layer, its network
            # stream, and the socket under it: private names, so any may be
            # missing in another httpcore; then the socket reports itself.
            with contextlib.suppress(Exception):
                stream = connection._connection._network_stream
                sock = getattr(stream, "_stream", stream).socket
                # trio's socket wraps the standard library's, whose close()
                # needs no running trio (trio's own asks for one).
                getattr(sock, "_sock", sock).close()
        _warn_unclosed()


def _warn_unclosed() -> None:
    global _warned_unclosed
    if not _warned_unclosed:  # one is enough to find the fix, whatever the count
        _warned_unclosed = True
        warnings.warn(UNCLOSED_WARNING, ResourceWarning, stacklevel=1)


def _aiohttp_session(transport: AiohttpTransport) -> aiohttp.ClientSession:
    """The session under httpx-aiohttp, as it makes it but with no cookie jar:
    cookies are the httpx client's business, kept once, in its own jar."""
    import aiohttp

    limits = transport.limits
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0,
        keepalive_timeout=limits.keepalive_expiry,
        ssl=transport.ssl_context,
    )
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
