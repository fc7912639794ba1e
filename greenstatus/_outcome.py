"""Turning what happened on the wire into a result or a typed error.

This is the one place that decides what an HTTP answer or a transport failure
means, so every transport and every retry decision sees the same classification.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping

import aiohttp
import attrs
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

__all__ = ["TRANSPORT_ERRORS", "Answer", "connection_error", "decode_body", "status_error"]


@attrs.frozen
class Answer:
    """An HTTP answer, whichever library received it."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    """Case-insensitive (httpx's or aiohttp's own mapping)."""
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        return cls(response.status_code, response.reason_phrase, response.headers, response.content)


# What the transports greenstatus uses raise when no answer came back.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.RequestError,
    aiohttp.ClientError,
    asyncio.TimeoutError,  # aiohttp's timeouts; builtin TimeoutError from 3.11 on
)

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
    aiohttp.InvalidURL,
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
    asyncio.TimeoutError,
    TimeoutError,
)
_MAX_CHAIN = 16

_BODY_EXCERPT = 300


def decode_body(answer: Answer) -> object:
    """The answer's JSON when it is JSON, else its text (``""`` when empty)."""
    content = answer.content
    if not content:
        return ""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


def status_error(answer: Answer, *, api_method: str, url: str, secret: str) -> APIStatusError:
    """The typed error for a non-success answer."""
    code = answer.status_code
    body = decode_body(answer)
    excerpt = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if len(excerpt) > _BODY_EXCERPT:
        excerpt = excerpt[:_BODY_EXCERPT] + "..."
    reason = answer.reason or "HTTP error"
    message = scrub(f"{api_method} answered {code} {reason}: {excerpt or '(empty body)'}", secret)
    # Errors are rare: only they pay for a copy into httpx's header model.
    headers = (
        answer.headers
        if isinstance(answer.headers, httpx.Headers)
        else httpx.Headers(list(answer.headers.items()))
    )
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
    exc: BaseException, *, api_method: str, url: str, secret: str
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
