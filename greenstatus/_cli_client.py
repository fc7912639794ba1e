"""The command line's client, from its options and the environment (the token
from ``GREEN_API_TOKEN`` or ``--token-file``, never a flag), and what it makes
of bad input: bytes that are not UTF-8, or an argument a client method refuses,
are usage errors."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import httpx

from ._cli_output import UsageError
from ._client import AsyncStatusClient
from ._exceptions import GreenStatusError
from ._http import create_short_lived_client
from ._instance import DEFAULT_API_URL, DEFAULT_MEDIA_URL
from ._retry import ExponentialBackoff
from ._tls_ahead import TlsContextAhead

__all__ = ["checked", "client_from", "decode"]


@contextlib.asynccontextmanager
async def client_from(
    args: argparse.Namespace, *, credentials: bool = True
) -> AsyncIterator[AsyncStatusClient]:
    """A client from the options and the environment, closed on leaving.
    Without ``credentials`` (a link check, which never calls GREEN-API) none
    are read.

    It sends on httpx's own transport (``create_short_lived_client``): a
    command makes a request or a few and exits, and loading aiohttp for them
    would take longer than the requests."""
    # Usage errors first: a command that cannot run opens nothing.
    settings = _settings(args, credentials=credentials)
    http = _http_client(args)
    try:
        try:
            client = AsyncStatusClient(**settings, http_client=http)
        except ValueError as error:
            raise UsageError(str(error), None if credentials else "api_url") from None
        async with client:
            yield client
    finally:
        await http.aclose()


def _http_client(args: argparse.Namespace) -> httpx.AsyncClient:
    """The command's HTTP client, on the TLS context ``main`` started building
    (``_tls_ahead.py``). TLS or proxy settings of the environment that cannot
    be used are usage errors, not tracebacks; a proxy's URL (it may hold a
    password) is named, never shown."""
    ahead: TlsContextAhead = getattr(args, "tls_context", None) or TlsContextAhead()
    try:
        verify = ahead.get()
    except OSError as error:
        raise UsageError(str(error)) from None
    try:
        return create_short_lived_client(verify=verify)
    except ImportError as error:
        if not _proxy_names():
            raise  # not the proxy's: an installation that is broken
        # A SOCKS proxy without httpx[socks]: httpx's message says what to install.
        raise UsageError(f"cannot use the proxy settings in {_proxy_names()}: {error}") from None
    except (ValueError, httpx.InvalidURL):
        raise UsageError(
            f"cannot use the proxy settings in {_proxy_names() or 'the system'}: an entry "
            "there is not one httpx can read (a proxy URL must be http://, https:// or "
            "socks5://)"
        ) from None


def _proxy_names() -> str:
    """The proxy variables set (``NO_PROXY`` too), by name: their values may
    hold a password."""
    return ", ".join(sorted(name for name in os.environ if name.lower().endswith("_proxy")))


def _settings(args: argparse.Namespace, *, credentials: bool) -> dict[str, Any]:
    """The client's arguments from the options and the environment."""
    env = os.environ
    api_url = args.api_url or env.get("GREEN_API_URL") or DEFAULT_API_URL
    if not credentials:
        # A stand-in token no link can hold: the check refuses links holding the token.
        # The API URL still counts: links on its host pass as GREEN-API's own do.
        return {"id_instance": "0", "api_token_instance": secrets.token_hex(16), "api_url": api_url}
    id_instance = args.id_instance or env.get("GREEN_API_ID_INSTANCE")
    if not id_instance:
        raise UsageError("no instance id: set GREEN_API_ID_INSTANCE or pass --id-instance")
    if args.token_file:
        try:
            token = decode(Path(args.token_file).read_bytes(), "--token-file").strip()
        except OSError as error:
            raise UsageError(f"cannot read --token-file: {error.strerror}") from None
    else:
        token = env.get("GREEN_API_TOKEN", "")
    if not token:
        raise UsageError("no API token: set GREEN_API_TOKEN or pass --token-file")
    return {
        "id_instance": id_instance,
        "api_token_instance": token,
        "api_url": api_url,
        "media_url": args.media_url or env.get("GREEN_API_MEDIA_URL") or DEFAULT_MEDIA_URL,
        "retry": ExponentialBackoff(max_attempts=args.max_attempts),
        "check_links": getattr(args, "check_links", False),
        "check_audience": getattr(args, "check_audience", False),
    }


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text; otherwise a usage error naming ``name`` and where."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{name} is not UTF-8 text (line {line}, byte {error.start}: "
            f"{data[error.start : error.start + 1]!r})"
        ) from None


async def checked(call: Awaitable[Any], field: str) -> Any:
    # Argument errors of the client's methods (ValueError) are usage errors,
    # of the one argument the command passes on.
    try:
        return await call
    except GreenStatusError:
        raise
    except ValueError as error:
        raise UsageError(str(error), field) from None
