"""AsyncStatusClient: one GREEN-API instance, one shared HTTP connection pool."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import NoReturn, TypeVar, cast
from urllib.parse import unquote, urlsplit

import anyio
import anyio.lowlevel
import attrs
import httpx

from ._clock import Clock, SystemClock
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClientClosedError,
    GreenStatusError,
    GreenStatusWarning,
    InvalidStatusError,
    LinkCheckError,
    ResponseValidationError,
    UnexpectedError,
)
from ._http import DEFAULT_LIMITS, DEFAULT_TIMEOUT, create_http_client
from ._links import CheckedLink, LinkChecker, LinkFacts, LinkKind, fetch_link_facts, judge
from ._methods import (
    ALL_METHODS,
    DELETE_STATUS,
    DOCUMENTED_RATE_LIMITS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_SETTINGS,
    GET_STATE_INSTANCE,
    GET_STATUS_STATISTIC,
    UPLOAD_FILE,
    ApiMethod,
    Host,
)
from ._outcome import (
    TRANSPORT_ERRORS,
    connection_error,
    hook_error,
    status_error,
    unexpected_error,
)
from ._public import why_not_public
from ._ratelimit import InProcessRateLimiter, RateLimiter, RatePlace, RateRequest
from ._readiness import (
    InstanceSettings,
    InstanceState,
    Readiness,
    assess,
    parse_settings,
    parse_state,
)
from ._redaction import (
    MASK,
    Secret,
    forget_locals,
    install_log_filter,
    scrub,
    scrub_exception,
    scrub_value,
)
from ._requests import (
    Font,
    MediaStatus,
    Status,
    TextStatus,
    VoiceStatus,
    built_for_caller,
    check_url_file,
)
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
from ._retry import ExponentialBackoff, NoRetry, RetryPolicy, RetrySafety, retry_safety
from ._upload import (
    FileSource,
    UploadBody,
    UploadedFile,
    checked_path,
    path_name,
    prepare_upload,
    upload_read_timeout,
)

__all__ = ["DEFAULT_TIMEOUT", "AsyncStatusClient", "OnResult", "OnRetry"]

logger = logging.getLogger("greenstatus")

DEFAULT_API_URL = "https://api.green-api.com"
DEFAULT_MEDIA_URL = "https://media.green-api.com"
DEFAULT_MAX_CONCURRENCY = 16

T = TypeVar("T")
H = TypeVar("H")

_STATUS_TYPES = (TextStatus, VoiceStatus, MediaStatus)
_ID_INSTANCE = re.compile(r"[0-9]{1,20}")  # ASCII digits: \d takes any script's
# GREEN-API's tokens are hex strings. greenstatus takes ASCII letters, digits,
# '-' and '_': a token is then always exactly one URL path segment (never '.'
# or '..', never escaped), and masking finds all of it.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BASE_URL_MAX = 2048
_JSON_CONTENT = {"Content-Type": "application/json"}
_NO_RETRY = NoRetry()


OnRetry = Callable[[int, GreenStatusError, float], Awaitable[None] | None]
"""``on_retry(attempt, error, delay)``: called before each wait to retry; a
coroutine function is awaited."""
OnResult = Callable[[int, SendResult], Awaitable[None] | None]
"""``on_result(index, result)``: called as each send of ``send_all`` ends; a
coroutine function is awaited."""


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


_NOT_GIVEN = _NotGiven()


@attrs.define
class _Progress:
    """Where one call stands, for the error its deadline raises."""

    in_flight: bool = False
    may_have_been_sent: bool = False


@attrs.define(eq=False)
class _Pool:
    """The HTTP client one ``AsyncStatusClient`` and those derived from it share."""

    http: httpx.AsyncClient
    owned: bool
    """greenstatus created it, so greenstatus closes it."""
    max_in_flight: int | None
    """Connections of greenstatus's own default pool; ``None`` when unknown."""
    closed: bool = False
    loop: object = None
    links: LinkChecker = attrs.field(factory=LinkChecker)
    """Links checked and uploaded: one record per pool, so per client."""
    calls: dict[anyio.CancelScope, tuple[object, _Progress]] = attrs.field(factory=dict)
    """The calls under way on this pool, each in a scope that closing its
    client (or the pool) cancels while it waits, with the client that made it."""
    """The event loop of the first call: pools and rate limiters belong to one."""


class AsyncStatusClient:
    """An async client for the status methods of one GREEN-API instance.

    Every request goes through one ``httpx.AsyncClient``: your ``http_client``,
    shared and never closed by greenstatus, or one greenstatus creates (see
    [`create_http_client`][greenstatus.create_http_client]), optionally on the
    ``transport`` you give. For example:

    ```python
    from greenstatus import AsyncStatusClient, TextStatus

    async with AsyncStatusClient.from_env() as client:  # or (id, token, api_url=)
        sent = await client.send(TextStatus(message="hi"))
    ```

    Args:
        id_instance: the instance's ``idInstance``, 1 to 20 ASCII digits.
        api_token_instance: its ``apiTokenInstance``: a secret, never shown in
            a log record, an error, a repr or a pickle.
        api_url: the ``apiUrl`` the console shows; ``https://api.green-api.com``
            by default.
        media_url: the ``mediaUrl``, where uploads go;
            ``https://media.green-api.com`` by default.
        http_client: your own ``httpx.AsyncClient``, used as it is and never
            closed by greenstatus; by default greenstatus creates its own.
        transport: an httpx transport for greenstatus's own client (tests pass
            ``FakeGreenAPI.transport()``); not together with ``http_client``.
        timeout: seconds or an ``httpx.Timeout`` for each HTTP exchange;
            ``None`` is greenstatus's ``httpx.Timeout(15.0, connect=5.0)``.
        deadline: seconds one call may take in all (rate-limit waits, every
            attempt and backoff); ``None`` is no deadline.
        max_concurrency: how many sends ``send_all`` runs at once, 16 by default.
        retry: a ``RetryPolicy``; ``None`` is ``ExponentialBackoff()``, which
            retries only what cannot have been delivered.
        on_retry: called as ``on_retry(attempt, error, delay)`` before each
            wait to retry; a coroutine function is awaited.
        rate_limits: requests per second per method name; GREEN-API's
            documented limits by default, ``None`` for none.
        clock: where waits happen; tests pass a ``FakeClock``.
        check_links: check each voice or media link before sending it, and
            refuse one whose status would never appear.
        rate_limiter: where the rate limits are counted: an
            ``InProcessRateLimiter`` of this client's by default, a shared one,
            or a ``RedisRateLimiter`` for many processes.
    """

    def __init__(
        self,
        id_instance: str,
        api_token_instance: str,
        *,
        api_url: str = DEFAULT_API_URL,
        media_url: str = DEFAULT_MEDIA_URL,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        deadline: float | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        rate_limits: Mapping[str, int | None] | None = DOCUMENTED_RATE_LIMITS,
        clock: Clock | None = None,
        check_links: bool = False,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        # Held so that vars(), reprs and pickles never carry it, and dropped
        # from this frame's locals, which an error tool records should any
        # check below raise.
        given_token: Secret[object] = Secret(api_token_instance)
        del api_token_instance
        self._id_instance = _check_id_instance(id_instance)
        self._token = _check_token(given_token)
        self._api_url = _check_base_url("api_url", api_url, self._token)
        self._media_url = _check_base_url("media_url", media_url, self._token)
        self._max_concurrency = _check_concurrency("max_concurrency", max_concurrency)
        given = _check_timeout(timeout) if timeout is not None else None
        self._deadline = _check_deadline(deadline)
        self._retry = _check_retry(retry) if retry is not None else ExponentialBackoff()
        self._on_retry = _check_hook("on_retry", on_retry)
        self._check_links = _check_flag("check_links", check_links)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._limits = _check_rate_limits(rate_limits)
        self._limiter: RateLimiter = (
            _check_rate_limiter(rate_limiter)
            if rate_limiter is not None
            else InProcessRateLimiter(self._clock)
        )
        if http_client is not None:
            if not isinstance(http_client, httpx.AsyncClient):
                raise TypeError(
                    f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
                )
            if transport is not None:
                raise ValueError(
                    "pass either http_client or transport, not both: a transport is for "
                    "the client greenstatus creates; configure your own client's yourself"
                )
            self._pool = _Pool(http_client, owned=False, max_in_flight=None)
            # A user's client keeps its own timeout unless one is asked for here.
            self._timeout = given
        else:
            if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
                raise TypeError(
                    f"transport must be an httpx.AsyncBaseTransport, got {type(transport).__name__}"
                )
            timeout_set = given if given is not None else DEFAULT_TIMEOUT
            # A pool of one instance's own: the shares that keep a stuck
            # instance from holding a shared pool would only hold this one back.
            http = create_http_client(
                timeout=timeout_set,
                transport=transport,
                max_connections_per_host=None,
                max_requests_per_instance=None,
            )
            own_pool = DEFAULT_LIMITS.max_connections if transport is None else None
            self._pool = _Pool(http, owned=True, max_in_flight=own_pool)
            self._timeout = None  # set on the client itself
        self._closed = False
        self._owns_pool = self._pool.owned
        hosts = {Host.API: self._api_url, Host.MEDIA: self._media_url}
        paths = {
            method.name: f"{hosts[method.host]}/waInstance{self._id_instance}/{method.name}/"
            for method in ALL_METHODS
        }
        # Parsed once (httpx then only copies them), and hidden: they hold the token.
        self._urls = Secret(
            {name: httpx.URL(path + self._token.reveal()) for name, path in paths.items()},
            shown="{...: <URL ***>}",
        )
        # Masked as built, not by reading the URL back: a gateway's api_url may
        # hold anything in its path.
        self._masked_urls = {name: path + MASK for name, path in paths.items()}
        install_log_filter()

    @classmethod
    def from_env(
        cls,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        deadline: float | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        rate_limits: Mapping[str, int | None] | None = DOCUMENTED_RATE_LIMITS,
        clock: Clock | None = None,
        check_links: bool = False,
        rate_limiter: RateLimiter | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> AsyncStatusClient:
        """A client from ``GREEN_API_ID_INSTANCE``, ``GREEN_API_TOKEN`` and, when set,
        ``GREEN_API_URL`` and ``GREEN_API_MEDIA_URL``."""
        # Read, then dropped: the environment's repr holds the token (and the
        # service's other secrets), and this frame's locals may be recorded.
        env = _EnvironmentSettings.read(os.environ if environ is None else environ)
        del environ
        return cls(
            env.id_instance,
            env.token.reveal(),
            api_url=env.api_url,
            media_url=env.media_url,
            http_client=http_client,
            transport=transport,
            timeout=timeout,
            deadline=deadline,
            max_concurrency=max_concurrency,
            retry=retry,
            on_retry=on_retry,
            rate_limits=rate_limits,
            clock=clock,
            check_links=check_links,
            rate_limiter=rate_limiter,
        )

    def with_options(
        self,
        *,
        retry: RetryPolicy | _NotGiven | None = _NOT_GIVEN,
        timeout: float | httpx.Timeout | _NotGiven | None = _NOT_GIVEN,
        deadline: float | _NotGiven | None = _NOT_GIVEN,
        on_retry: OnRetry | _NotGiven | None = _NOT_GIVEN,
        max_concurrency: int | _NotGiven = _NOT_GIVEN,
        check_links: bool | _NotGiven = _NOT_GIVEN,
    ) -> AsyncStatusClient:
        """A client for the same instance that shares this one's connection pool
        and rate limiter, with other options. What is not given is kept; ``None``
        means what it means to the constructor.

        The pool stays this client's: closing the derived client closes only it,
        and closing this one makes both refuse calls. For example:

        ```python
        from greenstatus import ExponentialBackoff

        patient = client.with_options(
            timeout=60, retry=ExponentialBackoff(max_attempts=8)
        )
        ```
        """
        # A copy of this client's state, not a pickle round trip: the pool and
        # the rate limiter are the same objects.
        derived = object.__new__(type(self))
        derived.__dict__.update(self.__dict__)
        derived._closed = False
        derived._owns_pool = False
        if not isinstance(retry, _NotGiven):
            derived._retry = _check_retry(retry) if retry is not None else ExponentialBackoff()
        if not isinstance(timeout, _NotGiven):
            # On greenstatus's own client None is its default; on a user's, the
            # user client's own timeout.
            derived._timeout = (
                _check_timeout(timeout)
                if timeout is not None
                else (DEFAULT_TIMEOUT if self._pool.owned else None)
            )
        if not isinstance(deadline, _NotGiven):
            derived._deadline = _check_deadline(deadline)
        if not isinstance(on_retry, _NotGiven):
            derived._on_retry = _check_hook("on_retry", on_retry)
        if not isinstance(max_concurrency, _NotGiven):
            derived._max_concurrency = _check_concurrency("max_concurrency", max_concurrency)
        if not isinstance(check_links, _NotGiven):
            derived._check_links = _check_flag("check_links", check_links)
        return derived

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
    def http_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` every request of this client goes through:
        your ``http_client``, or the one greenstatus created."""
        return self._pool.http

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout every call of this client runs under."""
        return self._timeout if self._timeout is not None else self._pool.http.timeout

    @property
    def check_links(self) -> bool:
        """Voice and media sends check their link first (see
        [`check_link`][greenstatus.AsyncStatusClient.check_link])."""
        return self._check_links

    @property
    def is_closed(self) -> bool:
        """Closed: this client, the one it was derived from, or its ``http_client``."""
        return self._closed or self._pool.closed or self._pool.http.is_closed

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an AsyncStatusClient cannot be pickled or copied: it holds a connection pool "
            "and the API token. Create one in each process from your configuration "
            "(AsyncStatusClient.from_env(), for one)"
        )

    def __repr__(self) -> str:
        if "_closed" not in self.__dict__:
            # Half made: its constructor raised, and an error tool shows the
            # constructor's frame (``self`` among its locals).
            return "<AsyncStatusClient (not constructed)>"
        state = "closed" if self.is_closed else "open"
        return (
            f"<AsyncStatusClient id_instance={self._id_instance!r} "
            f"api_url={self._api_url!r} state={state}>"
        )

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> AsyncStatusClient:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client greenstatus created (never a user's ``http_client``).

        The client refuses calls afterwards. Closing twice is harmless. A client
        from [`with_options`][greenstatus.AsyncStatusClient.with_options] closes only itself.

        Every call under way ends as a result or a typed error, never a bare
        cancellation: one waiting (for the rate limiter, a retry, a link check
        or a pooled connection) raises
        [`ClientClosedError`][greenstatus.ClientClosedError] with
        ``request_sent=False`` unless an earlier attempt may have been
        delivered; a request on the wire ends as the closed connection makes
        it end (on your own ``http_client``, which stays open, as it would have).
        """
        if self._closed:
            return
        self._closed = True
        if self._owns_pool and not self._pool.closed:
            self._pool.closed = True
            await self._pool.http.aclose()
        for scope, (owner, progress) in list(self._pool.calls.items()):
            # This client's calls, and every call on a pool closed with it
            # (those of clients derived with with_options).
            if (owner is self or self._pool.closed) and not progress.in_flight:
                scope.cancel()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                "this AsyncStatusClient is closed; create a new one to make more calls"
            )
        if self._pool.closed:
            raise RuntimeError(
                "the AsyncStatusClient this one was derived from (with_options) is closed, "
                "and its connection pool with it"
            )

    # -- sending -----------------------------------------------------------------

    async def send(self, status: Status, *, retry: RetryPolicy | None = None) -> SentStatus:
        """Send one status; returns its id once GREEN-API has queued it."""
        if not isinstance(status, _STATUS_TYPES):
            raise TypeError(
                "status must be a TextStatus, VoiceStatus or MediaStatus, "
                f"got {type(status).__name__}"
            )
        before: Callable[[], Awaitable[object]] | None = None
        if (
            self._check_links
            and not isinstance(status, TextStatus)
            and not self._pool.links.was_uploaded(status.url_file)
        ):
            url_file = status.url_file
            kind: LinkKind = "voice" if isinstance(status, VoiceStatus) else "media"

            def before() -> Awaitable[object]:
                return self.check_link(url_file, kind)

        return await self._call(
            status.api_method, parse_sent, retry, json_body=status.to_payload(), before=before
        )

    async def send_all(
        self,
        statuses: Iterable[Status],
        *,
        max_concurrency: int | None = None,
        on_result: OnResult | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[SendResult]:
        """Send many statuses concurrently; one result per status, in input order.

        A failed status becomes a result with ``error`` set and never stops the
        others. Cancelling the caller cancels every send still under way.
        ``on_result(index, result)`` is called as each send ends (for progress);
        a coroutine function is awaited.
        """
        requests = list(statuses)
        for index, status in enumerate(requests):
            if not isinstance(status, _STATUS_TYPES):
                raise TypeError(
                    f"statuses[{index}] must be a TextStatus, VoiceStatus or MediaStatus, "
                    f"got {type(status).__name__}"
                )
        _check_hook("on_result", on_result)
        limit = (
            self._max_concurrency
            if max_concurrency is None
            else _check_concurrency("max_concurrency", max_concurrency)
        )
        self._check_open()  # a closed client refuses before anything starts
        self._check_event_loop()
        if self._pool.max_in_flight is not None:
            # More sends in flight than the own pool has connections would only
            # queue in the transport, which costs more than waiting here.
            limit = min(limit, self._pool.max_in_flight)
        results: list[SendResult | None] = [None] * len(requests)
        queue = iter(enumerate(requests))

        async def worker() -> None:
            # Workers share one iterator, so statuses start in input order and at
            # most ``limit`` are in flight, without a task per status.
            for index, status in queue:
                try:
                    sent = await self._send_unless_closed(status, retry)
                except UnexpectedError as error:
                    # A bug or a raising hook: logged, as a traceback to report.
                    logger.exception("%s failed unexpectedly", status.api_method.name)
                    result = SendResult(status, error=error)
                except GreenStatusError as error:
                    result = SendResult(status, error=error)
                except Exception as bug:  # one status's bug must not sink the others
                    result = SendResult(status, error=self._unexpected(status, bug))
                else:
                    result = SendResult(status, id_message=sent.id_message)
                results[index] = result
                if on_result is not None:
                    try:
                        await _run_hook(on_result(index, result))
                    except Exception:
                        # The caller's hook failed: the sends are theirs all the same.
                        logger.exception("on_result(%d, ...) raised; the other sends go on", index)
                # Let the event loop run other tasks between one status's answer
                # and the next one's request: under load, that halves the time
                # the loop is held at a stretch.
                await anyio.lowlevel.checkpoint()

        async with anyio.create_task_group() as group:
            for _ in range(min(limit, len(requests))):
                group.start_soon(worker)
        # The group only ends normally once every worker has filled its slots.
        return cast("list[SendResult]", results)

    async def _send_unless_closed(self, status: Status, retry: RetryPolicy | None) -> SentStatus:
        """send_all's send: a status it had not started when the client (or
        its pool) was closed is reported as not sent, never refused as a bug."""
        if not self.is_closed:
            return await self.send(status, retry=retry)
        name = status.api_method.name
        raise ClientClosedError(
            f"{name} was not sent: the client was closed before it started",
            request_sent=False,
            api_method=name,
            url=self._masked_urls[name],
        )

    def _unexpected(self, status: Status, bug: Exception) -> UnexpectedError:
        """What send_all records for a failure it could not foresee; logged with
        its traceback (token masked), since it is a bug to report."""
        token = self._token.reveal()
        name = status.api_method.name
        detail = scrub(f"{type(bug).__name__}: {_safe_str(bug)}", token)
        logger.error(
            "%s failed unexpectedly (%s)", name, detail, exc_info=scrub_exception(bug, token)
        )
        error = UnexpectedError(
            f"{name} failed unexpectedly ({detail}); the status may have been delivered",
            api_method=name,
        )
        error.__cause__ = scrub_exception(bug, token)
        return error

    async def send_text_status(
        self,
        message: str,
        *,
        background_color: str | None = None,
        font: Font | str | None = None,
        participants: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a text status (see [`TextStatus`][greenstatus.TextStatus])."""
        with built_for_caller():
            status = TextStatus(
                message=message,
                background_color=background_color,
                font=font,
                participants=participants,
            )
        return await self.send(status, retry=retry)

    async def send_voice_status(
        self,
        url_file: str,
        file_name: str,
        *,
        background_color: str | None = None,
        participants: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Send a voice status (see [`VoiceStatus`][greenstatus.VoiceStatus])."""
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
        """Send a picture or video status (see [`MediaStatus`][greenstatus.MediaStatus])."""
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

    # -- files ---------------------------------------------------------------------

    async def check_link(self, url_file: str, kind: LinkKind) -> CheckedLink:
        """Check that a ``kind`` ("voice" or "media") status from ``url_file``
        will show, by asking the link's host what it serves.

        A HEAD request goes to the link (a one-byte ranged GET where HEAD is not
        answered 2xx), through the transports and event hooks of this client's
        ``httpx.AsyncClient`` but with none of its headers, cookies or auth,
        following the host's redirects hop by hop; GREEN-API's token never goes
        there. A link that leads off the public internet (an internal address,
        a local name) is refused before that address is asked, unless
        ``api_url`` is off it too. The link is
        refused with [`LinkCheckError`][greenstatus.LinkCheckError] when it does not answer 2xx, is
        served as ``application/octet-stream``, with no type, or with a type
        that does not fit the kind (audio for voice; image or video for media),
        as an attachment, or is over 100 MB. Nothing goes to GREEN-API.

        Each link is asked once per client: the answer is remembered (save a
        failure to reach the host, a 429 or a 5xx, which are asked again).
        """
        self._check_open()
        self._check_event_loop()
        if kind not in ("voice", "media"):
            raise InvalidStatusError("kind", f"must be 'voice' or 'media', got {kind!r}")
        check_url_file("url_file", url_file)
        if self._token.reveal() in url_file:
            raise InvalidStatusError(
                "url_file", "holds the API token; it would go to the link's host"
            )
        http, timeout = self._pool.links.client_for(self._pool.http), self._timeout
        # GREEN-API fetches links from where it runs: one on a host off the
        # public internet (a fake, a gateway of your own) may fetch them there.
        private_ok = why_not_public(httpx.URL(self._api_url).host) is not None
        # A HEAD and perhaps a GET, each connecting and reading within the timeout.
        bound = self.timeout
        limit = (
            2 * (bound.connect + bound.read)
            if bound.connect is not None and bound.read is not None
            else None
        )

        async def fetch(url: str) -> LinkFacts:
            logger.debug("checking link %s", url)
            return await fetch_link_facts(http, url, timeout, limit, private_ok=private_ok)

        try:
            facts = await self._pool.links.facts(url_file, fetch)
        except RuntimeError:  # httpx's refusal of a closed client, between hops
            if not self.is_closed:
                raise
            facts = None
        if facts is None or (facts.failure is not None and self.is_closed):
            # Closed under the check: that, not the link, is why it ended.
            raise ClientClosedError(
                f"the check of {url_file!r} was cut short: the client was closed",
                request_sent=False,
                api_method="check_link",
                url=url_file,
            )
        return judge(facts, kind)

    async def upload_file(
        self,
        file: FileSource,
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> UploadedFile:
        """Upload a file to GREEN-API's file host; its ``url_file`` is a direct
        link (kept 15 days) for
        [`send_voice_status`][greenstatus.AsyncStatusClient.send_voice_status] or
        [`send_media_status`][greenstatus.AsyncStatusClient.send_media_status].

        ``file`` is a path (streamed from disk, never read whole), ``bytes``,
        or an async iterable of bytes. The raw file is the body of a POST to
        ``{media_url}/waInstance{id}/uploadFile/{token}``, with ``Content-Type``
        from the name's extension unless ``content_type`` is given, and the name
        (a path's own name unless ``file_name`` is given) in ``GA-Filename``.

        A file over 100 MB, empty, missing or unreadable is an
        [`InvalidStatusError`][greenstatus.InvalidStatusError] naming ``file``, before a
        byte is sent.
        An upload from a path or bytes is retried as the retry policy says,
        even after an ambiguous failure: a second upload only makes a second
        link. An upload from an iterable is never retried. A file whose size,
        modification time or identity changes while it is read is refused
        (an ``InvalidStatusError`` naming ``file``) before its last bytes go
        out, so no link is made of it.
        """
        self._check_open()
        upload = await prepare_upload(file, file_name, content_type)
        url_file = await self._call(UPLOAD_FILE, parse_upload, retry, upload=upload)
        self._pool.links.uploaded(url_file)
        return UploadedFile(
            url_file=url_file,
            file_name=upload.file_name,
            content_type=upload.content_type,
            size=upload.sent if upload.size is None else upload.size,
        )

    async def send_voice_file(
        self,
        path: str | os.PathLike[str],
        *,
        background_color: str | None = None,
        participants: Iterable[str] = (),
        file_name: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Upload a local .mp3 or .wav file, then send it as a voice status.

        Everything is checked first, as [`VoiceStatus`][greenstatus.VoiceStatus] checks it (the
        file's extension, ``background_color``, ``participants``), and the file
        itself (it exists, is readable, is at most 100 MB): a bad argument
        uploads nothing, and a problem of the file names ``path``. A file that
        changes while it is uploaded is refused, and no status is sent.
        ``file_name`` is the name sent, the path's own by default.
        """
        status = VoiceStatus(
            url_file=_UPLOAD_PLACEHOLDER,
            file_name=_name_of(path) if file_name is None else file_name,
            background_color=background_color,
            participants=participants,
        )
        return await self._send_uploaded(status, path, retry)

    async def send_media_file(
        self,
        path: str | os.PathLike[str],
        *,
        caption: str | None = None,
        participants: Iterable[str] = (),
        file_name: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> SentStatus:
        """Upload a local picture or video, then send it as a media status.

        Checked first as [`MediaStatus`][greenstatus.MediaStatus] checks it (extension, caption,
        participants), and the file itself: a bad argument uploads nothing,
        and a problem of the file names ``path``. A file that changes while it
        is uploaded is refused, and no status is sent. ``file_name`` is the
        name sent, the path's own by default.
        """
        status = MediaStatus(
            url_file=_UPLOAD_PLACEHOLDER,
            file_name=_name_of(path) if file_name is None else file_name,
            caption=caption,
            participants=participants,
        )
        return await self._send_uploaded(status, path, retry)

    async def _send_uploaded(
        self,
        status: VoiceStatus | MediaStatus,
        path: str | os.PathLike[str],
        retry: RetryPolicy | None,
    ) -> SentStatus:
        """Upload ``path`` under the checked status's file name, then send the link.

        A problem of the file itself (missing, unreadable, too large, changed
        while it was read) names ``path``, the argument the caller passed."""
        checked = checked_path(path, "path")  # a bytes path is never taken for bytes
        try:
            uploaded = await self.upload_file(checked, file_name=status.file_name, retry=retry)
        except InvalidStatusError as error:
            if type(error) is InvalidStatusError and error.field == "file":
                error.field = "path"
                error.args = (f"path: {error.problem}",)
            raise
        return await self.send(attrs.evolve(status, url_file=uploaded.url_file), retry=retry)

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

    # -- the instance ----------------------------------------------------------------

    async def get_state_instance(self, *, retry: RetryPolicy | None = None) -> InstanceState:
        """The instance's state (getStateInstance): ``InstanceState.AUTHORIZED``
        when it can send. A state GREEN-API adds later comes back as is."""
        return await self._call(GET_STATE_INSTANCE, parse_state, retry)

    async def get_settings(self, *, retry: RetryPolicy | None = None) -> InstanceSettings:
        """The instance's settings (getSettings) that matter to statuses."""
        return await self._call(GET_SETTINGS, parse_settings, retry)

    async def check_ready(self, *, retry: RetryPolicy | None = None) -> Readiness:
        """Whether statuses sent now will be seen, and what is in the way.

        Asks getStateInstance, then getSettings, each within its rate limit
        (1 request/s). The result says whether the instance can send
        (``can_send``), whether statistics and outgoing statuses will be
        recorded (``statistics_available``), and lists each problem with a hint.
        Errors of the calls themselves (a wrong token: 401) are raised.
        """
        state = await self.get_state_instance(retry=retry)
        try:
            # A not-ready instance may refuse its settings too: no use asking again.
            settings: InstanceSettings | None = await self.get_settings(
                retry=_UntilNotReady(self._retry if retry is None else _check_retry(retry))
            )
        except BadRequestError as error:
            if not error.instance_not_ready:
                raise
            settings = None  # a starting instance may not answer with its settings yet
        return assess(state, settings)

    # -- the one place a request is sent -------------------------------------------

    async def _call(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        retry: RetryPolicy | None,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        upload: UploadBody | None = None,
        before: Callable[[], Awaitable[object]] | None = None,
    ) -> T:
        """One call: ``before`` (a link check), then the attempts, all within
        the deadline, and within a scope that aclose() cancels while it waits."""
        self._check_open()
        self._check_event_loop()
        policy = self._retry if retry is None else _check_retry(retry)
        body: bytes | UploadBody | None
        if upload is not None:
            body = upload
            if not upload.retryable:
                policy = _NO_RETRY  # an iterable cannot be read twice
        else:
            body = None if json_body is None else _encode_json(json_body)  # once, not per attempt
        progress = _Progress()
        with anyio.CancelScope() as closing:
            self._pool.calls[closing] = (self, progress)
            try:
                if self._deadline is None:
                    return await self._attempts(
                        method, parse, policy, body, params, progress, before
                    )
                with anyio.move_on_after(self._deadline) as scope:
                    return await self._attempts(
                        method, parse, policy, body, params, progress, before
                    )
                assert scope.cancelled_caught
                raise self._past_deadline(method, progress)
            except GreenStatusError as error:
                # The frames it passed through held answers and requests.
                forget_locals(error.__traceback__)
                raise
            finally:
                del self._pool.calls[closing]
        assert closing.cancelled_caught
        raise self._closed_during(method, progress)

    def _closed_during(self, method: ApiMethod, progress: _Progress) -> ClientClosedError:
        """The error of a call its client (or pool) was closed under; it may
        have been delivered only if an earlier attempt may have been."""
        fate = (
            "an earlier attempt may have been delivered"
            if progress.may_have_been_sent
            else "it was not sent"
        )
        return ClientClosedError(
            f"{method.name}: the client was closed while the call waited; {fate}",
            request_sent=progress.may_have_been_sent,
            api_method=method.name,
            url=self._masked_urls[method.name],
        )

    async def _attempts(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        policy: RetryPolicy,
        body: bytes | UploadBody | None,
        params: Mapping[str, str] | None,
        progress: _Progress,
        before: Callable[[], Awaitable[object]] | None,
    ) -> T:
        if before is not None:  # within the deadline, like the attempts
            try:
                await before()
            except (ClientClosedError, LinkCheckError, RuntimeError):
                if not self.is_closed:
                    raise
                # The client or its http_client was closed under the link check:
                # that, not the link, is why it ended.
                raise self._closed_during(method, progress) from None
        limit = self._limits.get(method.name)
        # The longest one attempt may take: asked for with each place, and kept.
        hold = self._attempt_bound() if limit is not None else 0.0
        attempt = 0
        while True:
            attempt += 1
            place = (
                await self._limiter.acquire(
                    RateRequest(self._id_instance, method.name, limit, hold)
                )
                if limit is not None
                else None
            )
            if self.is_closed:
                if place is not None:
                    await _release(place, method)
                raise self._closed_during(method, progress)
            progress.in_flight = True
            try:
                if place is None:
                    return await self._attempt(method, parse, body, params)
                return await self._attempt_within(hold, method, parse, body, params)
            except GreenStatusError as error:
                # The attempt ended (a cancellation leaves it marked in flight).
                progress.in_flight = False
                progress.may_have_been_sent |= retry_safety(error) is RetrySafety.AMBIGUOUS
                if self.is_closed:
                    raise  # no retry on a closed client or pool
                delay = policy.next_delay(attempt, error)
                if delay is None:
                    raise
                delay = max(0.0, float(delay))
                # An on_retry hook is the application's own report of each
                # retry: the log then says it once more only at DEBUG.
                logger.log(
                    logging.WARNING if self._on_retry is None else logging.DEBUG,
                    "%s attempt %d failed (%s); retrying in %.2f s",
                    method.name,
                    attempt,
                    _reason(error),
                    delay,
                )
                if self._on_retry is not None:
                    await _run_hook(self._on_retry(attempt, error, delay))
            finally:
                if place is not None:
                    await _release(place, method)
            await self._clock.sleep(delay)

    async def _attempt_within(
        self,
        bound: float,
        method: ApiMethod,
        parse: Callable[[object], T],
        body: bytes | UploadBody | None,
        params: Mapping[str, str] | None,
    ) -> T:
        """An attempt that holds a rate-limit place ends within the bound its
        place was asked for (httpx's timeouts bound each read and write, not a
        server that trickles its answer): a limiter shared by processes lets
        the place go after that bound."""
        with anyio.move_on_after(bound) as scope:
            return await self._attempt(method, parse, body, params)
        assert scope.cancelled_caught
        raise APITimeoutError(
            f"{method.name} did not complete within {bound:g} s, its timeouts added up; "
            "it may have been delivered",
            request_sent=True,
            api_method=method.name,
            url=self._masked_urls[method.name],
        )

    def _attempt_bound(self) -> float:
        """The longest one attempt can take: its timeouts added up, within the
        deadline; ``_UNBOUNDED_ATTEMPT`` when a timeout is off."""
        timeout = self.timeout
        parts = (timeout.connect, timeout.write, timeout.read, timeout.pool)
        bound = _UNBOUNDED_ATTEMPT if None in parts else sum(p for p in parts if p is not None)
        return bound if self._deadline is None else min(bound, self._deadline)

    def _past_deadline(self, method: ApiMethod, progress: _Progress) -> APITimeoutError:
        # An attempt cut off in flight may have been delivered; so may one that
        # failed ambiguously before. Waiting for the rate limiter or a backoff
        # sent nothing.
        sent = progress.in_flight or progress.may_have_been_sent
        where = "during an attempt" if progress.in_flight else "while waiting"
        fate = "it may have been delivered" if sent else "it was not sent"
        return APITimeoutError(
            f"{method.name} did not complete within its deadline of {self._deadline:g} s "
            f"({where}); {fate}",
            request_sent=sent,
            api_method=method.name,
            url=self._masked_urls[method.name],
        )

    def _check_event_loop(self) -> None:
        loop = _running_loop()
        if self._pool.loop is None:
            self._pool.loop = loop
        elif loop is not self._pool.loop:
            raise RuntimeError(
                "this AsyncStatusClient was first used in another event loop, and its "
                "connection pool and rate limiter belong to that loop: create one client "
                "per event loop (per asyncio.run() or trio.run(), per test)"
            )

    async def _attempt(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        body: bytes | UploadBody | None,
        params: Mapping[str, str] | None,
    ) -> T:
        """Send one request and classify its outcome: the one place a request is sent.

        No frame of this one holds the request in a local: its URL holds the
        token, and error tools record the locals of every frame an error passed
        through. It is built where it is sent.
        """
        http = self._pool.http
        url = self._masked_urls[method.name]
        error: BaseException
        try:
            if isinstance(body, UploadBody):
                response = await self._send_upload(http, method, body, params)
            else:
                # Never a redirect: a status POSTed again to wherever a 3xx
                # points could be queued twice, and GREEN-API's methods do not move.
                response = await http.send(
                    self._request(http, method, body, params), follow_redirects=False, stream=True
                )
            try:
                answer, whole = await _read_bounded(response, method.answer_max)
            finally:
                await response.aclose()
        except Exception as exc:
            problem = body.problem if isinstance(body, UploadBody) else None
            if problem is not None and (exc is problem or isinstance(exc, TRANSPORT_ERRORS)):
                # The body's own source or check failed (the transport with it):
                # that is the error, the caller's own as it is.
                error = problem
            else:
                error = self._failure(exc, method)
        else:
            logger.debug("%s answered %d", method.name, response.status_code)
            if not response.is_success:
                # An error answer keeps its meaning, its body cut at the bound.
                raise status_error(
                    response, answer, api_method=method.name, url=url, secret=self._token.reveal()
                )
            if not whole:
                raise ResponseValidationError(
                    f"{method.name} answered {response.status_code} with a body over "
                    f"{method.answer_max} bytes, more than the API documents; it was not read",
                    api_method=method.name,
                    url=url,
                    status_code=response.status_code,
                    body="",
                )
            return self._parse(method, parse, response, answer, url)
        # Raised here, outside the except block, so the unmasked transport error is
        # not left in __context__; each error chains a scrubbed copy instead.
        raise error

    def _failure(self, exc: Exception, method: ApiMethod) -> GreenStatusError:
        """The typed error for an exchange that raised instead of answering."""
        url = self._masked_urls[method.name]
        if isinstance(exc, TRANSPORT_ERRORS):
            return connection_error(
                exc, api_method=method.name, url=url, secret=self._token.reveal()
            )
        if isinstance(exc, httpx.HTTPStatusError):
            # A response hook of the user's client raised (raise_for_status() is
            # a common habit): the answer came, and keeps its meaning. httpx
            # closed its body unread.
            return hook_error(exc, api_method=method.name, url=url, secret=self._token.reveal())
        if isinstance(exc, RuntimeError) and self._pool.http.is_closed:
            # httpx refuses a request on a closed client before it leaves.
            return ClientClosedError(
                f"{method.name} to {url} was not sent: the http_client was closed",
                request_sent=False,
                api_method=method.name,
                url=url,
            )
        # An event hook or a transport of the user's client raised: the request
        # may have left. Typed, with its chain cleaned, as send_all records it.
        return unexpected_error(exc, api_method=method.name, secret=self._token.reveal())

    def _request(
        self,
        http: httpx.AsyncClient,
        method: ApiMethod,
        body: bytes | UploadBody | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Request:
        """The request of one attempt, with the client's defaults merged in."""
        timeout: httpx.Timeout | httpx._client.UseClientDefault = (
            self._timeout if self._timeout is not None else httpx.USE_CLIENT_DEFAULT
        )
        content: bytes | AsyncIterable[bytes] | None
        headers: Mapping[str, str] | None
        if isinstance(body, UploadBody):
            content, headers = body.open(), body.headers
            base = self.timeout
            timeout = httpx.Timeout(
                connect=base.connect,
                read=upload_read_timeout(base.read, body.size),
                write=base.write,
                pool=base.pool,
            )
        else:
            content, headers = body, (_JSON_CONTENT if body is not None else None)
        return http.build_request(
            method.http_method,
            self._urls.reveal()[method.name],
            params=params,
            content=content,
            headers=headers,
            timeout=timeout,
        )

    async def _send_upload(
        self,
        http: httpx.AsyncClient,
        method: ApiMethod,
        body: UploadBody,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        """Send an upload; a body that fails its own checks cancels it (``abort``),
        and its problem is raised instead of what the transport made of that."""
        response: httpx.Response | None = None
        try:
            with anyio.CancelScope() as scope:
                body.scope = scope
                response = await http.send(
                    self._request(http, method, body, params), follow_redirects=False, stream=True
                )
        except Exception:
            if body.problem is None:
                raise
        finally:
            body.scope = None
            await body.aclose()  # its file is closed, whatever became of the request
        if body.problem is not None:
            if response is not None:
                await response.aclose()
            raise body.problem
        assert response is not None  # the scope is only cancelled by abort()
        return response

    def _parse(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        answer: httpx.Response,
        content: bytes,
        url: str,
    ) -> T:
        text = content.decode("utf-8", "replace")
        problem: str
        body: object = text
        try:
            body = json.loads(content) if content else None
            return parse(body)
        except ValueError as exc:  # JSONDecodeError is a ValueError too
            problem = str(exc)
        except RecursionError:  # JSON nested deeper than Python reads or walks
            problem = "it is nested too deeply to read"
            body = text
        try:
            shown = scrub_value(body, self._token.reveal())
        except RecursionError:
            shown = scrub(text, self._token.reveal())
        raise ResponseValidationError(
            scrub(
                f"{method.name} answered {answer.status_code} with an unexpected body: {problem}",
                self._token.reveal(),
            ),
            api_method=method.name,
            url=url,
            status_code=answer.status_code,
            body=shown,
        )


async def _read_bounded(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the answer (decoded, so a compressed one counts
    as it expands), and whether that was all of it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and response.is_success:
        return b"", False  # not worth a byte of reading
    chunks: list[bytes] = []
    size = 0
    # httpx's aiter_bytes is an async generator (typed as an iterator).
    chunks_of = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
    async with contextlib.aclosing(chunks_of) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                chunks.append(chunk[: limit - (size - len(chunk))])
                return b"".join(chunks), False
            chunks.append(chunk)
    return b"".join(chunks), True


def _running_loop() -> object:
    """The running event loop: asyncio's loop object, or trio's run token."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        return trio.lowlevel.current_trio_token()
    raise RuntimeError("greenstatus runs inside an asyncio or trio event loop")


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not hide the failure
        return "<unprintable>"


def _encode_json(body: object) -> bytes:
    # Compact and UTF-8, as httpx's own json= encodes it, whatever httpx's version.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


# How long a place of an attempt with no timeout counts, should its process die.
_UNBOUNDED_ATTEMPT = 300.0


async def _release(place: RatePlace, method: ApiMethod) -> None:
    """Give a place back, whatever cancels the attempt. A limiter that cannot
    (its Redis is gone) is logged: the place then expires by itself."""
    with anyio.CancelScope(shield=True):
        try:
            await place.release()
        except Exception as error:
            logger.warning(
                "%s: the rate limiter could not release a place (%s); it expires by itself",
                method.name,
                type(error).__name__,
            )


def _check_rate_limiter(limiter: RateLimiter) -> RateLimiter:
    if not callable(getattr(limiter, "acquire", None)):
        raise TypeError(
            f"rate_limiter must have an async acquire(request), got {type(limiter).__name__}"
        )
    return limiter


async def _run_hook(outcome: Awaitable[None] | None) -> None:
    """A hook's call: what a coroutine function returns is awaited, never dropped."""
    if inspect.isawaitable(outcome):
        await outcome


def _check_hook(name: str, hook: H) -> H:
    if hook is not None and not callable(hook):
        raise TypeError(f"{name} must be callable, got {type(hook).__name__}")
    return hook


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


# Stands for the link while a status built from a local file is checked.
_UPLOAD_PLACEHOLDER = "https://upload.invalid/pending"


def _name_of(path: object) -> str:
    """The file name ``send_*_file``'s ``path`` gives; a path that gives none is
    an error naming ``path``, the argument passed, not ``file_name``."""
    text = checked_path(path, "path")
    # One stat, before the status is checked: a directory is named as such, not
    # as a file name without an extension.
    if os.path.isdir(text):
        raise InvalidStatusError("path", f"{text!r} is a directory, not a file")
    return path_name(text, "path")


def parse_upload(body: object) -> str:
    """``{"urlFile": "..."}`` of uploadFile: an absolute http(s) URL, with what
    a URL may not hold raw (a space in the file's name...) percent-encoded, so
    that it is a valid ``url_file``."""
    url = body.get("urlFile") if isinstance(body, dict) else None
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"urlFile is {url!r}, expected an http(s) URL")
    try:
        return check_url_file("urlFile", str(httpx.URL(url)))
    except (httpx.InvalidURL, InvalidStatusError) as error:
        raise ValueError(f"urlFile is not a usable link ({error})") from None


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


def _check_token(token: Secret[object]) -> Secret[str]:
    # The value never goes into a message, nor into a local of this frame: it
    # is the secret.
    if not isinstance(token.reveal(), str) or not token.reveal():
        raise ValueError("api_token_instance must be a non-empty str")
    if not _TOKEN.fullmatch(cast("str", token.reveal())):
        raise ValueError(
            "api_token_instance does not look like a GREEN-API token: it must be 1 to 256 "
            "ASCII letters, digits, '-' or '_' (copy apiTokenInstance from the console)"
        )
    return cast("Secret[str]", token)


@attrs.frozen
class _EnvironmentSettings:
    """What ``from_env`` reads, the token held as a secret."""

    id_instance: str
    token: Secret[str]
    api_url: str
    media_url: str

    @classmethod
    def read(cls, env: Mapping[str, str]) -> _EnvironmentSettings:
        missing = [
            name for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN") if not env.get(name)
        ]
        if len(missing) == 1:
            raise ValueError(f"environment variable {missing[0]} is not set")
        if missing:
            raise ValueError(f"environment variables {' and '.join(missing)} are not set")
        return cls(
            id_instance=env["GREEN_API_ID_INSTANCE"],
            token=Secret(env["GREEN_API_TOKEN"]),
            api_url=env.get("GREEN_API_URL") or DEFAULT_API_URL,
            media_url=env.get("GREEN_API_MEDIA_URL") or DEFAULT_MEDIA_URL,
        )


def _check_base_url(name: str, url: str, token: Secret[str]) -> str:
    """An ``api_url`` or ``media_url``: an absolute http(s) URL to which the
    method paths are appended. A message never echoes a password or the token."""
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a str, got {type(url).__name__}")
    expected = _EXPECTED_FORM[name]
    if _USERINFO.search(_authority(url)):
        # Either credentials (greenstatus would send them to every request's
        # host) or a host hidden after them (api.green-api.com@evil.example).
        raise ValueError(
            f"{name} must not hold a user name or password (user:password@host): GREEN-API "
            f"authenticates by the token in the path. Expected the form {expected}"
        )
    # What a message may repeat of the URL: nothing where a password may hide
    # (an '@' in any spelling), the token masked elsewhere.
    shown = (
        "(not shown: it may hold a password)"
        if _USERINFO.search(url)
        else scrub(url, token.reveal())
    )
    if len(url) > _BASE_URL_MAX or not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError(
            f"{name} must be a URL of at most {_BASE_URL_MAX} printable characters "
            f"without white space, got {shown[:100]!r}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise ValueError(
            f"{name} is not a valid URL (its host or port cannot be read), got {shown!r}. "
            f"Expected the form {expected}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {shown!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not have a query or fragment, got {shown!r}")
    if _INSTANCE_SEGMENT.search(unquote(parts.path)):
        raise ValueError(
            f"{name} must be the instance's base URL, without /waInstance<id> (greenstatus "
            f"adds it, with the method and the token): expected the form {expected}, "
            f"got {shown!r}"
        )
    if parts.scheme == "http" and why_not_public(parts.hostname) is None:
        warnings.warn(
            f"{name} {shown!r} is plain http to a public host: the API token, in every "
            "request's path, would cross the network unencrypted. Use https://",
            GreenStatusWarning,
            stacklevel=3,
        )
    return url.rstrip("/")


# An '@' as browsers and NFKC normalisation read one, written plain, full
# width, small, or percent-encoded.
_USERINFO = re.compile(r"[@\uff20\ufe6b]|%40", re.IGNORECASE)


def _authority(url: str) -> str:
    """Where a user name and password would be: from ``//`` (or the start) to
    the path, query or fragment."""
    after = url.split("//", 1)[1] if "//" in url else url
    return re.split(r"[/?#\\]", after, maxsplit=1)[0]


# A method URL's instance segment, pasted as the base URL.
_INSTANCE_SEGMENT = re.compile(r"/waInstance[0-9]+(?:/|$)", re.IGNORECASE)
_EXPECTED_FORM = {
    "api_url": "https://1101.api.greenapi.com (the apiUrl of your console)",
    "media_url": "https://1101.media.greenapi.com (the mediaUrl of your console)",
}


@attrs.frozen
class _UntilNotReady:
    """A retry policy as ``policy``, except that an instance not ready is final."""

    policy: RetryPolicy

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        if isinstance(error, BadRequestError) and error.instance_not_ready:
            return None
        return self.policy.next_delay(attempt, error)


def _check_flag(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def _check_concurrency(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


def _check_deadline(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not deadline > 0:
        raise ValueError(f"deadline must be a positive number of seconds, got {deadline!r}")
    return float(deadline)


def _check_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(
            f"timeout must be a positive number of seconds or an httpx.Timeout, got {timeout!r}"
        )
    return httpx.Timeout(float(timeout))
