"""The HTTP client greenstatus creates for itself, and its transport.

On asyncio it runs on aiohttp (through httpx-aiohttp): httpcore's pool rescans
every connection for every queued request, which costs milliseconds of event
loop time per request under load, while aiohttp's pool does not. On trio, where
aiohttp cannot run, httpx's own transport serves. A user's ``http_client`` is
never touched.

greenstatus's own client has no hooks, auth, cookies or redirects to apply, so
its requests go straight to the transport (``direct``): httpx's per-request
client machinery (URL re-parsing, cookie extraction, auth and redirect flows)
was the largest cost left once the transport was fast.

Proxies configured in the environment (``HTTPS_PROXY``, ``ALL_PROXY``...) are
honoured by httpx only on its own transports and through its full path, so when
there are any, the client is a plain ``httpx.AsyncClient`` and nothing is bypassed.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request

import attrs
import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["OwnClient", "create_http_client", "on_asyncio"]

logger = logging.getLogger("greenstatus")


def on_asyncio() -> bool:
    """Whether the calling task runs on an asyncio event loop (aiohttp needs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@attrs.frozen
class OwnClient:
    http: httpx.AsyncClient
    direct: httpx.AsyncBaseTransport | None
    """The transport to send to directly, or ``None`` to go through ``http``."""


def create_http_client(
    *, timeout: httpx.Timeout, limits: httpx.Limits, headers: dict[str, str]
) -> OwnClient:
    """greenstatus's own client, made inside the running event loop."""
    if _environment_proxies():
        logger.debug(
            "created an HTTP client on httpx's own transport (proxies from the environment)"
        )
        http = httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers)
        return OwnClient(http, None)
    transport: httpx.AsyncBaseTransport
    if on_asyncio():
        transport, name = AiohttpTransport(limits=limits), "aiohttp"
    else:
        transport, name = httpx.AsyncHTTPTransport(limits=limits), "httpx's own"
    logger.debug("created an HTTP client on %s transport", name)
    http = httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers, transport=transport)
    return OwnClient(http, transport)


def _environment_proxies() -> bool:
    proxies = urllib.request.getproxies()
    return any(scheme in proxies for scheme in ("http", "https", "all"))
