"""The HTTP client greenstatus creates for itself, and its transport.

On asyncio it runs on aiohttp (through httpx-aiohttp): httpcore's pool rescans
every connection for every queued request, which costs milliseconds of event
loop time per request under load, while aiohttp's pool does not. On trio, where
aiohttp cannot run, httpx's own transport serves. A user's ``http_client`` is
never touched.
"""

from __future__ import annotations

import asyncio

import httpx
from httpx_aiohttp import AiohttpTransport

__all__ = ["create_http_client", "on_asyncio"]


def on_asyncio() -> bool:
    """Whether the calling task runs on an asyncio event loop (aiohttp needs one)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def create_http_client(
    *, timeout: httpx.Timeout, limits: httpx.Limits, headers: dict[str, str]
) -> httpx.AsyncClient:
    """greenstatus's own client, made inside the running event loop."""
    transport: httpx.AsyncBaseTransport | None = (
        AiohttpTransport(limits=limits) if on_asyncio() else None
    )
    return httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers, transport=transport)
