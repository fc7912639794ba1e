"""AsyncStatusClient: one GREEN-API instance, one shared HTTP connection pool."""

from __future__ import annotations

import enum
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TypeVar, cast
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel
import httpx

from ._clock import Clock, SystemClock
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    GreenStatusError,
    ResponseValidationError,
)
from ._methods import (
    DELETE_STATUS,
    DOCUMENTED_RATE_LIMITS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_STATUS_STATISTIC,
    STATUS_METHODS,
    ApiMethod,
    Host,
)
from ._outcome import TRANSPORT_ERRORS, Answer, connection_error, status_error
from ._ratelimit import RateLimiter
from ._redaction import install_log_filter, mask_urls, scrub
from ._requests import Font, MediaStatus, Status, TextStatus, VoiceStatus
from ._results import (
    IncomingStatus,
    OutgoingStatus,
    SendResult,
    SentStatus,
    StatusRecipient,
    parse_incoming,
    parse_outgoing,
    parse_sent,
    parse_statistic,
)
from ._retry import ExponentialBackoff, RetryPolicy
from ._transport import ClientSender, Sender, create_own_sender
from ._version import __version__

__all__ = ["DEFAULT_TIMEOUT", "AsyncStatusClient", "OnRetry"]

logger = logging.getLogger("greenstatus")

DEFAULT_API_URL = "https://api.green-api.com"
DEFAULT_MEDIA_URL = "https://media.green-api.com"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""A send only enqueues the status, so seconds are plenty; connecting gets less."""
DEFAULT_MAX_CONCURRENCY = 16
# The own client talks to one instance's host, which GREEN-API holds to a few
# dozen requests per second: more parallel TLS connections than this only cost.
# Calls beyond it wait their turn in the pool, first come, first served.
_OWN_POOL_SIZE = 64

T = TypeVar("T")

_STATUS_TYPES = (TextStatus, VoiceStatus, MediaStatus)
_ID_INSTANCE = re.compile(r"\d{1,20}")
# The token is one URL path segment: anything that would end or escape it is refused.
_TOKEN_FORBIDDEN = re.compile(r"[\s/?#%]")


OnRetry = Callable[[int, GreenStatusError, float], object]
"""``on_retry(attempt, error, delay)``: called before each wait to retry."""


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class AsyncStatusClient:
    """An async client for the status methods of one GREEN-API instance.

    Create one per instance and share it; it keeps one HTTP connection pool. Pass
    ``http_client`` to share your own ``httpx.AsyncClient`` between many instances:
    greenstatus then never enters or closes it.

    Example::

        async with AsyncStatusClient("1101000001", token, api_url=api_url) as client:
            sent = await client.send(TextStatus(message="hi"))
    """

    def __init__(
        self,
        id_instance: str,
        api_token_instance: str,
        *,
        api_url: str = DEFAULT_API_URL,
        media_url: str = DEFAULT_MEDIA_URL,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        rate_limits: Mapping[str, int | None] | None = DOCUMENTED_RATE_LIMITS,
        clock: Clock | None = None,
    ) -> None:
        self._id_instance = _check_id_instance(id_instance)
        self._token = _check_token(api_token_instance)
        self._api_url = _check_base_url("api_url", api_url)
        self._media_url = _check_base_url("media_url", media_url)
        self._max_concurrency = _check_concurrency("max_concurrency", max_concurrency)
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
            )
        self._user_http = http_client
        given = _check_timeout(timeout) if timeout is not None else None
        self._own_timeout = given if given is not None else DEFAULT_TIMEOUT
        # A user's client keeps its own timeout unless one is asked for here.
        self._call_timeout = given if http_client is not None else None
        self._sender: Sender | None = (
            None
            if http_client is None
            else ClientSender(http_client, timeout=self._call_timeout, owned=False)
        )
        self._state = _State.UNOPENED
        self._retry = _check_retry(retry) if retry is not None else ExponentialBackoff()
        if on_retry is not None and not callable(on_retry):
            raise TypeError("on_retry must be callable as on_retry(attempt, error, delay)")
        self._on_retry = on_retry
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._limiter = RateLimiter(_check_rate_limits(rate_limits), self._clock)
        hosts = {Host.API: self._api_url, Host.MEDIA: self._media_url}
        urls = {
            method.name: f"{hosts[method.host]}/waInstance{self._id_instance}/"
            f"{method.name}/{self._token}"
            for method in STATUS_METHODS
        }
        self._urls = urls
        self._masked_urls = {name: mask_urls(url) for name, url in urls.items()}
        install_log_filter()

    @classmethod
    def from_env(
        cls,
        *,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        rate_limits: Mapping[str, int | None] | None = DOCUMENTED_RATE_LIMITS,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> AsyncStatusClient:
        """A client from ``GREEN_API_ID_INSTANCE``, ``GREEN_API_TOKEN`` and, when set,
        ``GREEN_API_URL`` and ``GREEN_API_MEDIA_URL``."""
        env = os.environ if environ is None else environ
        missing = [
            name for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN") if not env.get(name)
        ]
        if missing:
            raise ValueError(f"environment variable {' and '.join(missing)} is not set")
        return cls(
            env["GREEN_API_ID_INSTANCE"],
            env["GREEN_API_TOKEN"],
            api_url=env.get("GREEN_API_URL") or DEFAULT_API_URL,
            media_url=env.get("GREEN_API_MEDIA_URL") or DEFAULT_MEDIA_URL,
            http_client=http_client,
            timeout=timeout,
            max_concurrency=max_concurrency,
            retry=retry,
            on_retry=on_retry,
            rate_limits=rate_limits,
            clock=clock,
        )

    @property
    def id_instance(self) -> str:
        return self._id_instance

    @property
    def api_url(self) -> str:
        return self._api_url

    @property
    def media_url(self) -> str:
        return self._media_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout every call of this client runs under."""
        if self._call_timeout is not None:
            return self._call_timeout
        if self._user_http is not None:
            return self._user_http.timeout
        return self._own_timeout

    @property
    def is_closed(self) -> bool:
        return self._state is _State.CLOSED

    def __repr__(self) -> str:
        return (
            f"<AsyncStatusClient id_instance={self._id_instance!r} "
            f"api_url={self._api_url!r} state={self._state.value}>"
        )

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> AsyncStatusClient:
        self._open_sender()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool greenstatus opened (never a user's ``http_client``).

        The client refuses calls afterwards. Closing twice is harmless.
        """
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        sender, self._sender = self._sender, None
        if sender is not None:
            await sender.aclose()  # closes only what greenstatus opened

    def _open_sender(self) -> Sender:
        if self._state is _State.CLOSED:
            raise RuntimeError(
                "this AsyncStatusClient is closed; create a new one to make more calls"
            )
        if self._sender is None:
            # Made on first use, inside the running event loop.
            self._sender = create_own_sender(
                timeout=self._own_timeout, pool_size=_OWN_POOL_SIZE, headers=_OWN_HEADERS
            )
        self._state = _State.OPEN
        return self._sender

    # -- sending -----------------------------------------------------------------

    async def send(self, status: Status, *, retry: RetryPolicy | None = None) -> SentStatus:
        """Send one status; returns its id once GREEN-API has queued it."""
        if not isinstance(status, _STATUS_TYPES):
            raise TypeError(
                "status must be a TextStatus, VoiceStatus or MediaStatus, "
                f"got {type(status).__name__}"
            )
        return await self._call(status.api_method, parse_sent, retry, json_body=status.to_payload())

    async def send_all(
        self,
        statuses: Iterable[Status],
        *,
        max_concurrency: int | None = None,
        on_result: Callable[[int, SendResult], object] | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SendResult]:
        """Send many statuses concurrently; one result per status, in input order.

        A failed status becomes a result with ``error`` set and never stops the
        others. Cancelling the caller cancels every send still under way.
        ``on_result(index, result)`` is called as each send ends (for progress).
        """
        requests = list(statuses)
        for index, status in enumerate(requests):
            if not isinstance(status, _STATUS_TYPES):
                raise TypeError(
                    f"statuses[{index}] must be a TextStatus, VoiceStatus or MediaStatus, "
                    f"got {type(status).__name__}"
                )
        limit = (
            self._max_concurrency
            if max_concurrency is None
            else _check_concurrency("max_concurrency", max_concurrency)
        )
        self._open_sender()  # a closed client refuses before anything starts
        if self._user_http is None:
            # More sends in flight than the own pool has connections would only
            # queue in the transport, which costs more than waiting here.
            limit = min(limit, _OWN_POOL_SIZE)
        results: list[SendResult | None] = [None] * len(requests)
        queue = iter(enumerate(requests))

        async def worker() -> None:
            # Workers share one iterator, so statuses start in input order and at
            # most ``limit`` are in flight, without a task per status.
            for index, status in queue:
                try:
                    sent = await self.send(status, retry=retry)
                except GreenStatusError as error:
                    result = SendResult(status, error=error)
                else:
                    result = SendResult(status, id_message=sent.id_message)
                results[index] = result
                if on_result is not None:
                    on_result(index, result)
                # Let the event loop run other tasks between one status's answer
                # and the next one's request: under load, that halves the time
                # the loop is held at a stretch.
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as group:
            for _ in range(min(limit, len(requests))):
                group.start_soon(worker)
        # The group only ends normally once every worker has filled its slots.
        return cast("list[SendResult]", results)

    async def send_text_status(
        self,
        message: str,
        *,
        background_color: str | None = None,
        font: Font | str | None = None,
        participants: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a text status (see :class:`TextStatus`)."""
        return await self.send(
            TextStatus(
                message=message,
                background_color=background_color,
                font=font,
                participants=participants,
            ),
            retry=retry,
        )

    async def send_voice_status(
        self,
        url_file: str,
        file_name: str,
        *,
        background_color: str | None = None,
        participants: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a voice status (see :class:`VoiceStatus`)."""
        return await self.send(
            VoiceStatus(
                url_file=url_file,
                file_name=file_name,
                background_color=background_color,
                participants=participants,
            ),
            retry=retry,
        )

    async def send_media_status(
        self,
        url_file: str,
        file_name: str,
        *,
        caption: str | None = None,
        participants: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a picture or video status (see :class:`MediaStatus`)."""
        return await self.send(
            MediaStatus(
                url_file=url_file, file_name=file_name, caption=caption, participants=participants
            ),
            retry=retry,
        )

    async def delete_status(self, id_message: str, *, retry: RetryPolicy | None = None) -> None:
        """Delete one of the account's statuses."""
        await self._call(
            DELETE_STATUS,
            _ignore_body,
            retry,
            json_body={"idMessage": _check_id_message(id_message)},
        )

    # -- reading -----------------------------------------------------------------

    async def get_status_statistic(
        self, id_message: str, *, retry: RetryPolicy | None = None
    ) -> list[StatusRecipient]:
        """Who a status was sent to, and whether it was delivered or read."""
        return await self._call(
            GET_STATUS_STATISTIC,
            parse_statistic,
            retry,
            params={"idMessage": _check_id_message(id_message)},
        )

    async def get_incoming_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[IncomingStatus]:
        """Statuses contacts posted in the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._call(
            GET_INCOMING_STATUSES, parse_incoming, retry, params=_minutes(minutes)
        )

    async def get_outgoing_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[OutgoingStatus]:
        """The account's own statuses of the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._call(
            GET_OUTGOING_STATUSES, parse_outgoing, retry, params=_minutes(minutes)
        )

    # -- the one place a request is sent -------------------------------------------

    async def _call(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        retry: RetryPolicy | None,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
    ) -> T:
        policy = self._retry if retry is None else _check_retry(retry)
        content = None if json_body is None else _encode_json(json_body)  # once, not per attempt
        attempt = 0
        while True:
            attempt += 1
            slot = await self._limiter.acquire(method.name)
            try:
                return await self._attempt(method, parse, content, params)
            except GreenStatusError as error:
                delay = policy.next_delay(attempt, error)
                if delay is None:
                    raise
                delay = max(0.0, float(delay))
                logger.warning(
                    "%s attempt %d failed (%s); retrying in %.2f s",
                    method.name,
                    attempt,
                    _reason(error),
                    delay,
                )
                if self._on_retry is not None:
                    self._on_retry(attempt, error, delay)
            finally:
                slot.release()
            await self._clock.sleep(delay)

    async def _attempt(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> T:
        """Send one request and classify its outcome: the one place a request is sent."""
        sender = self._open_sender()
        url = self._masked_urls[method.name]
        error: GreenStatusError
        try:
            answer = await sender.send(method.http_method, self._urls[method.name], params, content)
        except TRANSPORT_ERRORS as exc:
            error = connection_error(exc, api_method=method.name, url=url, secret=self._token)
        else:
            logger.debug("%s answered %d", method.name, answer.status_code)
            if not answer.is_success:
                raise status_error(answer, api_method=method.name, url=url, secret=self._token)
            return self._parse(method, parse, answer, url)
        # Raised here, outside the except block, so the unmasked transport error is
        # not left in __context__; connection_error chains a scrubbed copy instead.
        raise error

    def _parse(
        self, method: ApiMethod, parse: Callable[[object], T], answer: Answer, url: str
    ) -> T:
        content = answer.content
        problem: str
        body: object = content.decode("utf-8", "replace")
        try:
            body = json.loads(content) if content else None
            return parse(body)
        except ValueError as exc:  # JSONDecodeError is a ValueError too
            problem = str(exc)
        raise ResponseValidationError(
            scrub(
                f"{method.name} answered {answer.status_code} with an unexpected body: {problem}",
                self._token,
            ),
            api_method=method.name,
            url=url,
            status_code=answer.status_code,
            body=body,
        )


_USER_AGENT = f"greenstatus/{__version__}"
_OWN_HEADERS = {"User-Agent": _USER_AGENT, "Accept": "application/json"}


def _encode_json(body: object) -> bytes:
    # Compact and UTF-8, as httpx's own json= encodes it, whatever httpx's version.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _reason(error: GreenStatusError) -> str:
    """Why an attempt failed, for the log: never the URL or the message."""
    if isinstance(error, APIStatusError):
        return f"{type(error).__name__} {error.status_code}"
    if isinstance(error, APIConnectionError):
        return f"{type(error).__name__}, request_sent={error.request_sent}"
    return type(error).__name__


def _check_retry(retry: RetryPolicy) -> RetryPolicy:
    if not callable(getattr(retry, "next_delay", None)):
        raise TypeError(f"retry must have next_delay(attempt, error), got {type(retry).__name__}")
    return retry


def _check_rate_limits(rate_limits: Mapping[str, int | None] | None) -> dict[str, int]:
    """GREEN-API's documented limits, with the given ones over them (None: no limit)."""
    if rate_limits is None:
        return {}
    merged = dict(DOCUMENTED_RATE_LIMITS)
    for name, limit in rate_limits.items():
        if name not in DOCUMENTED_RATE_LIMITS:
            known = ", ".join(DOCUMENTED_RATE_LIMITS)
            raise ValueError(f"rate_limits: {name!r} is not one of {known}")
        if limit is None:
            merged.pop(name)
        elif isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(
                f"rate_limits[{name!r}] must be a whole number of requests per second >= 1, "
                f"got {limit!r}"
            )
        else:
            merged[name] = limit
    return merged


def _ignore_body(body: object) -> None:
    return None


def _minutes(minutes: int | None) -> dict[str, str] | None:
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ValueError(f"minutes must be a positive whole number, got {minutes!r}")
    return {"minutes": str(minutes)}


def _check_id_message(id_message: str) -> str:
    if not isinstance(id_message, str) or not id_message.strip():
        raise ValueError(f"id_message must be a non-empty str, got {id_message!r}")
    return id_message


def _check_id_instance(id_instance: str | int) -> str:
    text = (
        str(id_instance)
        if isinstance(id_instance, int) and not isinstance(id_instance, bool)
        else id_instance
    )
    if not isinstance(text, str) or not _ID_INSTANCE.fullmatch(text):
        raise ValueError(f"id_instance must be the instance's digits, got {id_instance!r}")
    return text


def _check_token(token: str) -> str:
    # The value never goes into a message: it is the secret.
    if not isinstance(token, str) or not token:
        raise ValueError("api_token_instance must be a non-empty str")
    if _TOKEN_FORBIDDEN.search(token):
        raise ValueError(
            "api_token_instance contains white space, '/', '?', '#' or '%': "
            "it does not look like a GREEN-API token"
        )
    return token


def _check_base_url(name: str, url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not have a query or fragment, got {url!r}")
    return url.rstrip("/")


def _check_concurrency(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def _check_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"timeout must be a positive number of seconds or an httpx.Timeout, got {timeout!r}"
        )
    return httpx.Timeout(float(timeout))
