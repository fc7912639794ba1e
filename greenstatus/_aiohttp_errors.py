"""aiohttp's error classes, as greenstatus reads failures by them, without
importing aiohttp.

aiohttp is loaded only when a request first goes through httpx-aiohttp's
transport (``_http.py``): ``import greenstatus``, the command line's
``--help`` and a client on any other transport never pay for it (it is most
of a cold start: its connector builds SSL contexts when imported). Until
aiohttp is loaded, none of its errors can have been raised, so a failure is
read by httpx's and the standard library's classes alone.
"""

from __future__ import annotations

import sys
from types import ModuleType

import attrs

__all__ = ["AiohttpErrors", "aiohttp_errors"]


@attrs.frozen
class AiohttpErrors:
    """The aiohttp classes that say where a failure happened."""

    client_error: type[BaseException]
    """Every aiohttp client error (httpx-aiohttp lets some through unmapped)."""
    not_sent: tuple[type[BaseException], ...]
    """The connection was never made: refused, DNS, TLS, proxy, waiting for a
    pooled connection, an invalid URL."""
    socket_timeout: type[BaseException]
    """No answer came within the read timeout."""

    @classmethod
    def of(cls, loaded: ModuleType) -> AiohttpErrors:
        return cls(
            client_error=loaded.ClientError,
            not_sent=(
                loaded.ClientConnectorError,
                loaded.ConnectionTimeoutError,
                loaded.InvalidURL,
            ),
            socket_timeout=loaded.SocketTimeoutError,
        )


_loaded: AiohttpErrors | None = None


def aiohttp_errors() -> AiohttpErrors | None:
    """aiohttp's classes once aiohttp is loaded (by anyone), else ``None``."""
    global _loaded
    if _loaded is None:
        module = sys.modules.get("aiohttp")
        if module is None or not hasattr(module, "SocketTimeoutError"):
            return None  # not loaded, or still loading: nothing of it was raised
        _loaded = AiohttpErrors.of(module)
    return _loaded
