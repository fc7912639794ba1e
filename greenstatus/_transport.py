"""How greenstatus puts a request on the wire: one ``Sender`` per client.

- A user's ``http_client`` is used through httpx's full path (``ClientSender``),
  so its hooks, auth, headers and settings apply; greenstatus never closes it.
- greenstatus's own client on asyncio sends with aiohttp directly
  (``AiohttpSender``): httpcore's pool rescans every connection for every queued
  request, and once the transport was aiohttp, httpx's per-request models and
  client machinery (request and header objects, cookie extraction, streaming,
  auth and redirect flows) were the largest cost left, none of which a client
  with no hooks, auth, cookies or redirects needs.
- On trio, where aiohttp cannot run, it sends straight to httpx's own transport
  (``TransportSender``).
- With proxies in the environment (``HTTPS_PROXY``, ``ALL_PROXY``...), which
  httpx honours only on its own transport and full path, the own client is a
  plain ``httpx.AsyncClient`` (``ClientSender``).
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import Mapping
from typing import Protocol

import aiohttp
import httpx
import yarl

from ._outcome import Answer

__all__ = ["ClientSender", "Sender", "create_own_sender", "on_asyncio"]

logger = logging.getLogger("greenstatus")


class Sender(Protocol):
    async def send(
        self, method: str, url: str, params: Mapping[str, str] | None, content: bytes | None
    ) -> Answer: ...

    async def aclose(self) -> None: ...


def on_asyncio() -> bool:
    """Whether the calling task runs on an asyncio event loop (aiohttp needs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def create_own_sender(
    *, timeout: httpx.Timeout, pool_size: int, headers: Mapping[str, str]
) -> Sender:
    """greenstatus's own sender, made inside the running event loop."""
    limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    if _environment_proxies():
        logger.debug(
            "created an HTTP client on httpx's own transport (proxies from the environment)"
        )
        http = httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers)
        return ClientSender(http, timeout=None, owned=True)
    if on_asyncio():
        logger.debug("created an HTTP client on aiohttp transport")
        return AiohttpSender(timeout=timeout, pool_size=pool_size, headers=headers)
    logger.debug("created an HTTP client on httpx's own transport")
    return TransportSender(
        httpx.AsyncHTTPTransport(limits=limits), timeout=timeout, headers=headers
    )


def _environment_proxies() -> bool:
    proxies = urllib.request.getproxies()
    return any(scheme in proxies for scheme in ("http", "https", "all"))


def _with_json(headers: Mapping[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": "application/json"}


class ClientSender:
    """Through an ``httpx.AsyncClient``'s full path."""

    def __init__(self, http: httpx.AsyncClient, *, timeout: httpx.Timeout | None, owned: bool):
        self.http = http
        self._timeout = timeout
        self._owned = owned
        self._urls: dict[str, httpx.URL] = {}

    async def send(
        self, method: str, url: str, params: Mapping[str, str] | None, content: bytes | None
    ) -> Answer:
        parsed = self._urls.get(url) or self._urls.setdefault(url, httpx.URL(url))
        response = await self.http.request(
            method,
            parsed,
            params=params,
            content=content,
            # Only what the body needs: the client keeps its own User-Agent and defaults.
            headers=_JSON_CONTENT if content is not None else None,
            # Never None: that would switch httpx's timeouts off.
            timeout=self._timeout or self.http.timeout,
        )
        return Answer.of(response)

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()


_JSON_CONTENT = {"Content-Type": "application/json"}


class TransportSender:
    """Straight to an httpx transport, skipping the client's per-request work."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        timeout: httpx.Timeout,
        headers: Mapping[str, str],
    ) -> None:
        self._transport = transport
        # What httpx would put in every request's extensions, made once.
        self._extensions = {"timeout": timeout.as_dict()}
        self._get_headers = httpx.Headers(headers)
        self._json_headers = httpx.Headers(_with_json(headers))
        self._urls: dict[str, httpx.URL] = {}

    async def send(
        self, method: str, url: str, params: Mapping[str, str] | None, content: bytes | None
    ) -> Answer:
        parsed = self._urls.get(url) or self._urls.setdefault(url, httpx.URL(url))
        request = httpx.Request(
            method,
            parsed,
            params=params,
            content=content,
            headers=self._get_headers if content is None else self._json_headers,
            extensions=self._extensions,
        )
        response = await self._transport.handle_async_request(request)
        await response.aread()
        return Answer.of(response)

    async def aclose(self) -> None:
        await self._transport.aclose()


class AiohttpSender:
    """With aiohttp directly: one session, its pool, no cookie jar."""

    def __init__(
        self, *, timeout: httpx.Timeout, pool_size: int, headers: Mapping[str, str]
    ) -> None:
        self._pool_size = pool_size
        # httpx's timeouts in aiohttp's terms: "connect" there includes the wait
        # for a pooled connection, as httpx's "pool" does.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read
        )
        self._get_headers = dict(headers)
        self._json_headers = _with_json(headers)
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, yarl.URL] = {}

    def _open(self) -> aiohttp.ClientSession:
        # The same trust store as httpx's (certifi, or SSL_CERT_FILE / SSL_CERT_DIR).
        connector = aiohttp.TCPConnector(
            limit=self._pool_size, ssl=httpx.create_ssl_context(trust_env=True)
        )
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
        )
        return self._session

    async def send(
        self, method: str, url: str, params: Mapping[str, str] | None, content: bytes | None
    ) -> Answer:
        session = self._session or self._open()
        parsed = self._urls.get(url) or self._urls.setdefault(url, yarl.URL(url, encoded=True))
        async with session.request(
            method,
            parsed,
            params=params,
            data=content,
            headers=self._get_headers if content is None else self._json_headers,
            timeout=self._timeout,
            allow_redirects=False,
        ) as response:
            body = await response.read()
            return Answer(response.status, response.reason or "", response.headers, body)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
