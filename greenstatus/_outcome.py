"""Turning what happened on the wire into a result or a typed error.

This is the one place that decides what an HTTP answer (read by the
pipeline within its bound), a transport failure, a raising hook, a timeout or
a close means, so every transport and every retry decision sees the same
classification. The pipeline (``_pipeline.py``) sends and reads; this module
judges.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import TypeVar

import attrs
import httpx

from ._aiohttp_errors import aiohttp_errors
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    GreenStatusError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    UnexpectedError,
)
from ._instance_state import not_ready_state
from ._redaction import safe_str, scrub, scrub_exception, scrub_value
from ._retry_after import parse_retry_after

__all__ = [
    "CallProgress",
    "attempt_timed_out",
    "closed_during",
    "connection_error",
    "exchange_failure",
    "hook_error",
    "past_deadline",
    "result_of",
    "status_error",
    "transport_errors",
    "unexpected_error",
]

T = TypeVar("T")


@attrs.define
class CallProgress:
    """Where one call stands, for the error a deadline or a close ends it with."""

    in_flight: bool = False
    """An attempt is under way (a cut-off one may have been delivered)."""
    may_have_been_sent: bool = False
    """An earlier attempt failed in a way that may have been delivered."""


def result_of(
    answer: httpx.Response,
    content: bytes,
    whole: bool,
    parse: Callable[[object], T],
    *,
    api_method: str,
    answer_max: int,
    url: str,
    secret: str,
) -> T:
    """What an answer (its body read, ``whole`` or cut at ``answer_max``) means:
    the parsed result, or the typed error raised."""
    if not answer.is_success:
        # An error answer keeps its meaning, its body cut at the bound.
        raise status_error(answer, content, api_method=api_method, url=url, secret=secret)
    if not whole:
        raise ResponseValidationError(
            f"{api_method} answered {answer.status_code} with a body over "
            f"{answer_max} bytes, more than the API documents; it was not read",
            api_method=api_method,
            url=url,
            status_code=answer.status_code,
            body="",
        )
    text = content.decode("utf-8", "replace")
    problem: str
    body: object = text  # what the error shows: the JSON where it was JSON
    try:
        body = json.loads(content) if content else None
        return parse(body)
    except ValueError as exc:  # JSONDecodeError is a ValueError too
        problem = str(exc)
    except RecursionError:  # JSON nested deeper than Python reads or walks
        problem = "it is nested too deeply to read"
        body = text
    try:
        shown = scrub_value(body, secret)
    except RecursionError:
        shown = scrub(text, secret)
    raise ResponseValidationError(
        scrub(
            f"{api_method} answered {answer.status_code} with an unexpected body: {problem}",
            secret,
        ),
        api_method=api_method,
        url=url,
        status_code=answer.status_code,
        body=shown,
    )


def exchange_failure(
    exc: Exception, *, api_method: str, url: str, secret: str, http_closed: bool
) -> GreenStatusError:
    """The typed error for an exchange that raised instead of answering."""
    if isinstance(exc, transport_errors()):
        return connection_error(exc, api_method=api_method, url=url, secret=secret)
    if isinstance(exc, httpx.HTTPStatusError):
        # A response hook of the user's client raised (raise_for_status() is
        # a common habit): the answer came, and keeps its meaning.
        return hook_error(exc, api_method=api_method, url=url, secret=secret)
    if isinstance(exc, RuntimeError) and http_closed:
        # httpx refuses a request on a closed client before it leaves.
        return ClientClosedError(
            f"{api_method} to {url} was not sent: the http_client was closed",
            request_sent=False,
            api_method=api_method,
            url=url,
        )
    # An event hook or a transport of the user's client raised: the request
    # may have left. Typed, with its chain cleaned, as send_all records it.
    return unexpected_error(exc, api_method=api_method, secret=secret)


def attempt_timed_out(api_method: str, bound: float, url: str) -> APITimeoutError:
    """An attempt that outlived the bound its rate-limit place was asked for."""
    return APITimeoutError(
        f"{api_method} did not complete within {bound:g} s, its timeouts added up; "
        "it may have been delivered",
        request_sent=True,
        api_method=api_method,
        url=url,
    )


def past_deadline(
    api_method: str, deadline: float, progress: CallProgress, url: str
) -> APITimeoutError:
    """A call its deadline ended. An attempt cut off in flight may have been
    delivered; so may one that failed ambiguously before. Waiting for the rate
    limiter or a backoff sent nothing."""
    sent = progress.in_flight or progress.may_have_been_sent
    where = "during an attempt" if progress.in_flight else "while waiting"
    fate = "it may have been delivered" if sent else "it was not sent"
    return APITimeoutError(
        f"{api_method} did not complete within its deadline of {deadline:g} s ({where}); {fate}",
        request_sent=sent,
        api_method=api_method,
        url=url,
    )


def closed_during(api_method: str, progress: CallProgress, url: str) -> ClientClosedError:
    """A call its client (or pool) was closed under; it may have been
    delivered only if an earlier attempt may have been."""
    fate = (
        "an earlier attempt may have been delivered"
        if progress.may_have_been_sent
        else "it was not sent"
    )
    return ClientClosedError(
        f"{api_method}: the client was closed while the call waited; {fate}",
        request_sent=progress.may_have_been_sent,
        api_method=api_method,
        url=url,
    )


# What httpx raises when no answer came back, and (``transport_errors``) what
# httpx-aiohttp lets through unmapped from aiohttp (it maps only the errors it
# knows).
_HTTPX_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.RequestError,
    asyncio.TimeoutError,  # aiohttp's timeouts; builtin TimeoutError from 3.11 on
)


def transport_errors() -> tuple[type[BaseException], ...]:
    """What a transport raises when no answer came back: httpx's errors, and
    aiohttp's once aiohttp is loaded (before, none of its errors can exist)."""
    kinds = aiohttp_errors()
    if kinds is None:
        return _HTTPX_TRANSPORT_ERRORS
    return (*_HTTPX_TRANSPORT_ERRORS, kinds.client_error)


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
    ConnectionResetError,
    BrokenPipeError,
)
# aiohttp's own errors say where a failure happened, while httpx-aiohttp maps
# every aiohttp connection error, a reset after the request was written
# included, to httpx.ConnectTimeout. So where aiohttp's error is in the chain,
# the innermost one decides (``AiohttpErrors.not_sent``: the connection was
# never made).
_TELLING = (*_NOT_SENT, *_MAYBE_SENT)
_TIMEOUTS: tuple[type[BaseException], ...] = (
    httpx.TimeoutException,
    asyncio.TimeoutError,  # aiohttp's ServerTimeoutError is one too
    TimeoutError,
)
_MAX_CHAIN = 16

_BODY_EXCERPT = 300


def decode_body(content: bytes, secret: str, encoding: str = "utf-8") -> object:
    """The answer's JSON when it is JSON, else its text (``""`` when empty), with
    the token masked wherever a server or proxy echoed it."""
    if not content:
        return ""
    try:
        return scrub_value(json.loads(content), secret)
    except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
        return _shown_text(content, secret, encoding)


def _shown_text(content: bytes, secret: str, encoding: str) -> str:
    """The body as text, in the charset it declares, token masked; withheld
    whole when the token still shows through (a charset it did not declare)."""
    try:
        text = content.decode(encoding, "replace")
    except LookupError:  # a charset Python does not know
        text = content.decode("utf-8", "replace")
    shown = scrub(text, secret)
    if secret and secret in shown.replace("\x00", ""):
        return _WITHHELD
    return shown


_WITHHELD = "(withheld: it holds the token)"


def status_error(
    answer: httpx.Response, content: bytes, *, api_method: str, url: str, secret: str
) -> APIStatusError:
    """The typed error for a non-success answer whose body (read) is ``content``."""
    code = answer.status_code
    encoding = answer.charset_encoding or "utf-8"
    body = decode_body(content, secret, encoding)
    excerpt = _shown_text(content, secret, encoding).strip()
    if isinstance(body, (dict, list)) and _escapes_token(content, secret):
        # JSON can spell the token with escapes (\u0074...): show it decoded, masked.
        excerpt = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if len(excerpt) > _BODY_EXCERPT:
        excerpt = excerpt[:_BODY_EXCERPT] + "..."
    reason = answer.reason_phrase or "HTTP error"
    message = scrub(f"{api_method} answered {code} {reason}: {excerpt or '(empty body)'}", secret)
    state = not_ready_state(excerpt) if code == 400 else None
    if state is not None:
        from ._readiness import not_ready_advice  # a not-ready instance is rare

        message = f"{message}. {not_ready_advice(state)}"
    headers = httpx.Headers(
        [(name, scrub(value, secret)) for name, value in answer.headers.multi_items()]
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


def _escapes_token(content: bytes, secret: str) -> bool:
    """Whether decoded JSON holds the token where its raw text does not show it."""
    if not secret or secret in content.decode("utf-8", "replace"):
        return False
    try:
        decoded = json.dumps(json.loads(content), ensure_ascii=False)
    except (ValueError, RecursionError):
        return False
    return secret in decoded


def hook_error(
    exc: httpx.HTTPStatusError, *, api_method: str, url: str, secret: str
) -> GreenStatusError:
    """The typed error for an answer a response hook of the user's client
    raised on (``raise_for_status()``): what the answer's status means, as if
    no hook had been there (its body was closed unread). A hook that raises on
    a success answer is a failure greenstatus cannot place."""
    answer = exc.response
    if answer.is_success:
        return unexpected_error(exc, api_method=api_method, secret=secret)
    error = status_error(answer, b"", api_method=api_method, url=url, secret=secret)
    error.__cause__ = scrub_exception(exc, secret)
    return error


def unexpected_error(exc: BaseException, *, api_method: str, secret: str) -> UnexpectedError:
    """The typed error for a failure no rule here foresees: an event hook or a
    transport of the user's client raised, or a bug. The request may have left."""
    detail = scrub(f"{type(exc).__name__}: {safe_str(exc, '') or '(no message)'}", secret)
    error = UnexpectedError(
        f"{api_method} failed unexpectedly ({detail}); it may have been delivered",
        api_method=api_method,
    )
    error.__cause__ = scrub_exception(exc, secret)
    return error


def connection_error(
    exc: BaseException, *, api_method: str, url: str, secret: str
) -> APIConnectionError:
    """The typed error for a request that got no HTTP answer.

    ``request_sent`` is ``False`` only when the failure certainly happened before
    the request could leave; anything else may have reached GREEN-API.
    """
    chain = _chain(exc)
    request_sent = _may_have_been_sent(chain)
    # The failure nearest its source says what went wrong; the innermost link,
    # usually the operating system's or TLS's own error, says why.
    kinds = aiohttp_errors()
    telling = _TELLING if kinds is None else (*_TELLING, kinds.client_error)
    source = next((link for link in reversed(chain) if isinstance(link, telling)), exc)
    timed_out = isinstance(source, _TIMEOUTS)
    kind = APITimeoutError if timed_out else APIConnectionError
    root = _root_cause(exc)
    why = scrub(safe_str(root, ""), secret)
    detail = f"{type(root).__name__}: {why}" if why else type(root).__name__
    fate = "it may have been delivered" if request_sent else "it was not sent"
    error = kind(
        f"{api_method} to {url} {_what_happened(source, timed_out=timed_out, sent=request_sent)}"
        f" ({detail}); {fate}",
        request_sent=request_sent,
        api_method=api_method,
        url=url,
    )
    error.__cause__ = scrub_exception(exc, secret)
    return error


def _may_have_been_sent(chain: list[BaseException]) -> bool:
    kinds = aiohttp_errors()
    if kinds is not None:
        theirs = [link for link in chain if isinstance(link, kinds.client_error)]
        if theirs:
            return not isinstance(theirs[-1], kinds.not_sent)
    if any(isinstance(link, _MAYBE_SENT) for link in chain):
        return True
    return not any(isinstance(link, _NOT_SENT) for link in chain)


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error that says something: the operating system's or TLS's
    own, not a cancellation that carried a timeout nor a group around it."""
    # httpcore raises its errors "from None": the root cause is still there.
    for link in reversed(_chain(exc, suppressed_too=True)):
        # trio reports failed connection attempts as a group of them.
        while isinstance(getattr(link, "exceptions", None), tuple) and link.exceptions:  # type: ignore[attr-defined]
            link = link.exceptions[0]  # type: ignore[attr-defined]
        if isinstance(link, Exception) and safe_str(link, ""):
            return link
    return exc


def _what_happened(source: BaseException, *, timed_out: bool, sent: bool) -> str:
    """The failure in the same words whichever transport raised it."""
    if isinstance(source, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(source, httpx.WriteTimeout):
        return "timed out writing the request"
    kinds = aiohttp_errors()
    if isinstance(source, httpx.ReadTimeout) or (
        kinds is not None and isinstance(source, kinds.socket_timeout)
    ):
        return "timed out waiting for the answer"
    if timed_out:
        return "timed out" if sent else "timed out connecting"
    return "lost the connection before the answer" if sent else "could not connect"


def _chain(exc: BaseException, *, suppressed_too: bool = False) -> list[BaseException]:
    """``exc`` and what it was raised from, outermost first; with ``suppressed_too``,
    also the context an error hid with ``raise ... from None``."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain and len(chain) < _MAX_CHAIN:
        chain.append(link)
        hidden = link.__suppress_context__ and not suppressed_too
        link = link.__cause__ or (None if hidden else link.__context__)
    return chain
