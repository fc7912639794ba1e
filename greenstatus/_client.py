"""AsyncStatusClient: one GREEN-API instance, one shared HTTP connection pool.

The public client: construction, lifecycle, and the public methods, each a few
lines that check their arguments and hand one call to the pipeline
(``_pipeline.py``). Options are defined in ``_options.py``, the instance's
URLs in ``_instance.py``, what a client shares with those derived from it in
``_pool.py``, ``send_all`` in ``_batch.py``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, NoReturn

import attrs
import httpx

from ._batch import send_all
from ._clock import Clock
from ._exceptions import (
    BadRequestError,
    GreenStatusError,
    InvalidStatusError,
)
from ._http import DEFAULT_TIMEOUT
from ._instance import DEFAULT_API_URL, DEFAULT_MEDIA_URL, EnvironmentSettings, Instance
from ._links import CheckedLink, LinkKind
from ._methods import (
    DELETE_STATUS,
    DOCUMENTED_RATE_LIMITS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_SETTINGS,
    GET_STATE_INSTANCE,
    GET_STATUS_STATISTIC,
    UPLOAD_FILE,
)
from ._options import (
    DEFAULT_MAX_CONCURRENCY,
    ClientOptions,
    OnResult,
    OnRetry,
    PoolOptions,
    check_concurrency,
    check_hook,
    check_retry,
)
from ._pipeline import Pipeline
from ._pool import Pool, Session
from ._ratelimit import RateLimiter
from ._readiness import (
    InstanceSettings,
    InstanceState,
    Readiness,
    assess,
    parse_settings,
    parse_state,
)
from ._redaction import Secret, install_log_filter
from ._requests import (
    Font,
    MediaStatus,
    Status,
    TextStatus,
    VoiceStatus,
    built_for_caller,
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
from ._retry import RetryPolicy
from ._upload import (
    UPLOAD_PLACEHOLDER,
    FileSource,
    UploadedFile,
    checked_path,
    file_name_of,
    parse_upload,
    prepare_upload,
)
from ._validators import whole_number_at_least

__all__ = ["AsyncStatusClient", "OnResult", "OnRetry"]

_STATUS_TYPES = (TextStatus, VoiceStatus, MediaStatus)


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


_NOT_GIVEN = _NotGiven()


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
        instance = Instance.create(id_instance, given_token, api_url, media_url)
        options = ClientOptions(
            max_concurrency=max_concurrency,
            timeout=timeout,
            deadline=deadline,
            retry=retry,
            on_retry=on_retry,
            check_links=check_links,
        )
        pool = Pool.create(
            PoolOptions(
                clock=clock,
                rate_limits=rate_limits,
                rate_limiter=rate_limiter,
                http_client=http_client,
                transport=transport,
            ),
            options.timeout,
        )
        if pool.owned:
            # The timeout is set on greenstatus's own client itself.
            options = attrs.evolve(options, timeout=None)
        self._adopt(instance, pool, options, owns_pool=pool.owned)
        install_log_filter()

    def _adopt(
        self, instance: Instance, pool: Pool, options: ClientOptions, *, owns_pool: bool
    ) -> None:
        self._instance = instance
        self._pool = pool
        self._options = options
        self._owns_pool = owns_pool
        self._session = Session(pool)
        self._pipeline = Pipeline(instance, self._session, options)

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
        env = EnvironmentSettings.read(os.environ if environ is None else environ)
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
        given = {
            "retry": retry,
            "timeout": timeout,
            "deadline": deadline,
            "on_retry": on_retry,
            "max_concurrency": max_concurrency,
            "check_links": check_links,
        }
        changes: dict[str, Any] = {
            name: value for name, value in given.items() if value is not _NOT_GIVEN
        }
        if changes.get("timeout", _NOT_GIVEN) is None and self._pool.owned:
            # On greenstatus's own client None is its default; on a user's,
            # the user client's own timeout.
            changes["timeout"] = DEFAULT_TIMEOUT
        # The same instance and pool (so the same rate limiter), other options,
        # and a life of its own.
        derived = object.__new__(type(self))
        derived._adopt(
            self._instance, self._pool, attrs.evolve(self._options, **changes), owns_pool=False
        )
        return derived

    @property
    def id_instance(self) -> str:
        return self._instance.id_instance

    @property
    def api_url(self) -> str:
        return self._instance.api_url

    @property
    def media_url(self) -> str:
        return self._instance.media_url

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` every request of this client goes through:
        your ``http_client``, or the one greenstatus created."""
        return self._pool.http

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout every call of this client runs under."""
        return self._pipeline.timeout

    @property
    def check_links(self) -> bool:
        """Voice and media sends check their link first (see
        [`check_link`][greenstatus.AsyncStatusClient.check_link])."""
        return self._options.check_links

    @property
    def is_closed(self) -> bool:
        """Closed: this client, the one it was derived from, or its ``http_client``."""
        return self._session.is_closed

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError(
            "an AsyncStatusClient cannot be pickled or copied: it holds a connection pool "
            "and the API token. Create one in each process from your configuration "
            "(AsyncStatusClient.from_env(), for one)"
        )

    def __repr__(self) -> str:
        if "_session" not in self.__dict__:
            # Half made: its constructor raised, and an error tool shows the
            # constructor's frame (``self`` among its locals).
            return "<AsyncStatusClient (not constructed)>"
        state = "closed" if self.is_closed else "open"
        return (
            f"<AsyncStatusClient id_instance={self._instance.id_instance!r} "
            f"api_url={self._instance.api_url!r} state={state}>"
        )

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> AsyncStatusClient:
        self._session.check_open()
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
        await self._session.close(owns_pool=self._owns_pool)

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
            self._options.check_links
            and not isinstance(status, TextStatus)
            and not self._pool.links.was_uploaded(status.url_file)
        ):
            kind: LinkKind = "voice" if isinstance(status, VoiceStatus) else "media"
            before = functools.partial(self._pipeline.check_link, status.url_file, kind)

        return await self._pipeline.call(
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
        check_hook("on_result", on_result)
        limit = (
            self._options.max_concurrency
            if max_concurrency is None
            else check_concurrency("max_concurrency", max_concurrency)
        )
        self._session.check_open()  # a closed client refuses before anything starts
        self._pool.check_event_loop()
        if self._pool.max_in_flight is not None:
            # More sends in flight than the own pool has connections would only
            # queue in the transport, which costs more than waiting here.
            limit = min(limit, self._pool.max_in_flight)
        return await send_all(
            self,
            requests,
            limit=limit,
            on_result=on_result,
            retry=retry,
            session=self._session,
            instance=self._instance,
        )

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
        await self._pipeline.call(
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
        return await self._pipeline.check_link(url_file, kind)

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
        self._session.check_open()
        upload = await prepare_upload(file, file_name, content_type)
        url_file = await self._pipeline.call(UPLOAD_FILE, parse_upload, retry, upload=upload)
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
            url_file=UPLOAD_PLACEHOLDER,
            file_name=file_name_of(path) if file_name is None else file_name,
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
            url_file=UPLOAD_PLACEHOLDER,
            file_name=file_name_of(path) if file_name is None else file_name,
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
        return await self._pipeline.call(
            GET_STATUS_STATISTIC,
            parse_statistic,
            retry,
            params={"idMessage": _check_id_message(id_message)},
        )

    async def get_incoming_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[IncomingStatus]:
        """Statuses contacts posted in the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._pipeline.call(
            GET_INCOMING_STATUSES, parse_incoming, retry, params=_minutes(minutes)
        )

    async def get_outgoing_statuses(
        self, minutes: int | None = None, *, retry: RetryPolicy | None = None
    ) -> list[OutgoingStatus]:
        """The account's own statuses of the last ``minutes`` (GREEN-API's default: 1440)."""
        return await self._pipeline.call(
            GET_OUTGOING_STATUSES, parse_outgoing, retry, params=_minutes(minutes)
        )

    # -- the instance ----------------------------------------------------------------

    async def get_state_instance(self, *, retry: RetryPolicy | None = None) -> InstanceState:
        """The instance's state (getStateInstance): ``InstanceState.AUTHORIZED``
        when it can send. A state GREEN-API adds later comes back as is."""
        return await self._pipeline.call(GET_STATE_INSTANCE, parse_state, retry)

    async def get_settings(self, *, retry: RetryPolicy | None = None) -> InstanceSettings:
        """The instance's settings (getSettings) that matter to statuses."""
        return await self._pipeline.call(GET_SETTINGS, parse_settings, retry)

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
                retry=_UntilNotReady(self._options.retry if retry is None else check_retry(retry))
            )
        except BadRequestError as error:
            if not error.instance_not_ready:
                raise
            settings = None  # a starting instance may not answer with its settings yet
        return assess(state, settings)


def _ignore_body(body: object) -> None:
    return None


def _minutes(minutes: int | None) -> dict[str, str] | None:
    if minutes is None:
        return None
    checked = whole_number_at_least("minutes", minutes, 1, expected="a positive whole number")
    return {"minutes": str(checked)}


def _check_id_message(id_message: str) -> str:
    if not isinstance(id_message, str) or not id_message.strip():
        raise ValueError(f"id_message must be a non-empty str, got {id_message!r}")
    return id_message


@attrs.frozen
class _UntilNotReady:
    """A retry policy as ``policy``, except that an instance not ready is final."""

    policy: RetryPolicy

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        if isinstance(error, BadRequestError) and error.instance_not_ready:
            return None
        return self.policy.next_delay(attempt, error)
