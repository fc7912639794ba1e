"""Turning what happened on the wire into a result or a typed error.

This is the one place that decides what an HTTP answer or a transport failure
means, so every transport and every retry decision sees the same classification.
"""

from __future__ import annotations

import json
import socket

import aiohttp
import httpx

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
)
from ._redaction import scrub, scrub_exception
from ._retry_after import parse_retry_after

__all__ = ["connection_error", "decode_body", "status_error"]

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    466: QuotaExceededError,
}

# What a failure says about the wire, wherever it stands in the exception chain:
# transports wrap their library's errors, and some pick a misleading outer name
# (an aiohttp server disconnect can surface as httpx.ConnectTimeout), so the
# whole chain is read.
#
# Failures that happen before a byte of the request can have left: the server
# cannot have seen it.
_NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
    aiohttp.ClientConnectorError,  # refused, DNS, TLS handshake, proxy
    aiohttp.ConnectionTimeoutError,
    socket.gaierror,
    ConnectionRefusedError,
)
# Failures once the request was (being) written: it may have been processed.
# Any of these in the chain outweighs a "not sent" name around it.
_MAYBE_SENT: tuple[type[BaseException], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    aiohttp.ServerDisconnectedError,
    aiohttp.SocketTimeoutError,
    aiohttp.ClientPayloadError,
    aiohttp.ClientConnectionResetError,
)
_TIMEOUTS: tuple[type[BaseException], ...] = (
    httpx.TimeoutException,
    aiohttp.ServerTimeoutError,
    TimeoutError,
)
_MAX_CHAIN = 16

_BODY_EXCERPT = 300


def decode_body(response: httpx.Response) -> object:
    """The answer's JSON when it is JSON, else its text (``""`` when empty)."""
    content = response.content
    if not content:
        return ""
    try:
        return json.loads(content)
    except ValueError:
        return response.text


def status_error(
    response: httpx.Response, *, api_method: str, url: str, secret: str
) -> APIStatusError:
    """The typed error for a non-success answer."""
    code = response.status_code
    body = decode_body(response)
    excerpt = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if len(excerpt) > _BODY_EXCERPT:
        excerpt = excerpt[:_BODY_EXCERPT] + "..."
    reason = response.reason_phrase or "HTTP error"
    message = scrub(f"{api_method} answered {code} {reason}: {excerpt or '(empty body)'}", secret)
    headers = response.headers
    if code == 429:
        return RateLimitError(
            message,
            status_code=code,
            body=body,
            api_method=api_method,
            url=url,
            headers=headers,
            retry_after=parse_retry_after(headers),
        )
    kind = _STATUS_ERRORS.get(code) or (ServerError if code >= 500 else APIStatusError)
    return kind(
        message, status_code=code, body=body, api_method=api_method, url=url, headers=headers
    )


def connection_error(
    exc: httpx.RequestError, *, api_method: str, url: str, secret: str
) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer.

    ``request_sent`` is ``False`` only when the failure certainly happened before
    the request could leave; anything else may have reached GREEN-API.
    """
    chain = _chain(exc)
    maybe_sent = any(isinstance(link, _MAYBE_SENT) for link in chain)
    request_sent = maybe_sent or not any(isinstance(link, _NOT_SENT) for link in chain)
    # The failure nearest its source says whether it was a timeout.
    source = next(
        (link for link in reversed(chain) if isinstance(link, (*_NOT_SENT, *_MAYBE_SENT))), exc
    )
    timed_out = isinstance(source, _TIMEOUTS)
    kind = APITimeoutError if timed_out else APIConnectionError
    what = "timed out" if kind is APITimeoutError else "failed"
    fate = "it may have been delivered" if request_sent else "it was not sent"
    detail = scrub(str(exc), secret) or type(exc).__name__
    error = kind(
        f"{api_method} to {url} {what} ({type(exc).__name__}: {detail}); {fate}",
        request_sent=request_sent,
        api_method=api_method,
        url=url,
    )
    error.__cause__ = scrub_exception(exc, secret)
    return error


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from, outermost first."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain and len(chain) < _MAX_CHAIN:
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return chain
