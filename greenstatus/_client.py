"""AsyncStatusClient: one GREEN-API instance, one shared HTTP connection pool.

The public client's construction, ``with_options`` and lifecycle. Its methods
are written in the parts it inherits (``_status_methods.py``,
``_file_methods.py``, ``_instance_methods.py``), each handing one call to the
pipeline (``_pipeline.py``). Options are defined in ``_options.py``, the
instance's URLs in ``_instance.py``, what a client shares with those derived
from it in ``_pool.py``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, NoReturn

import attrs
import httpx

from ._clock import Clock
from ._contact_methods import ContactMethods
from ._file_methods import FileMethods
from ._hooks import OnResult, OnRetry
from ._http import DEFAULT_TIMEOUT
from ._instance import DEFAULT_API_URL, DEFAULT_MEDIA_URL, EnvironmentSettings, Instance
from ._instance_methods import InstanceMethods
from ._methods import (
    DOCUMENTED_RATE_LIMITS,
)
from ._notification_methods import NotificationMethods
from ._options import DEFAULT_MAX_CONCURRENCY, ClientOptions, PoolOptions, check_in_order
from ._pipeline import Pipeline
from ._pool import Pool, Session
from ._ratelimit import RateLimiter
from ._redaction import Secret, install_log_filter
from ._retry import RetryPolicy
from ._watch_methods import WatchMethods

__all__ = ["AsyncStatusClient", "OnResult", "OnRetry"]


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


_NOT_GIVEN = _NotGiven()


class AsyncStatusClient(
    FileMethods, WatchMethods, NotificationMethods, InstanceMethods, ContactMethods
):
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
        check_audience: before a status with ``participants`` is sent, refuse
            each participant it would not reach (``AudienceError``), from the
            instance's contacts, fetched once and remembered for 5 minutes.
        max_in_flight: the most requests of this client in flight at once
            through its HTTP client. ``"auto"``, the default, caps only httpx's
            own transport (httpcore's pool, which sends fewer per second the
            more are in flight): at what sends the most, measured as it goes,
            up to 64; greenstatus's own client on asyncio and
            httpx-aiohttp's transport are not capped. A number caps any
            transport at it; ``None`` caps nothing. Clients on one
            ``http_client`` with the same setting share the cap, and
            ``send_all`` runs no more sends at once than it.
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
        check_audience: bool = False,
        max_in_flight: int | Literal["auto"] | None = "auto",
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
            check_audience=check_audience,
        )
        pool = Pool.create(
            PoolOptions(
                clock=clock,
                rate_limits=rate_limits,
                rate_limiter=rate_limiter,
                http_client=http_client,
                transport=transport,
                max_in_flight=max_in_flight,
            ),
            options.timeout,
        )
        if pool.owned:
            # The timeout is set on greenstatus's own client itself.
            options = attrs.evolve(options, timeout=None)
        # The first client of greenstatus's own pool closes it.
        self._adopt(instance, pool, options, closes_pool=pool.owned)
        install_log_filter()

    def _adopt(
        self, instance: Instance, pool: Pool, options: ClientOptions, *, closes_pool: bool
    ) -> None:
        self._instance = instance
        self._pool = pool
        self._options = options
        self._session = Session(pool, closes_pool=closes_pool)
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
        check_audience: bool = False,
        max_in_flight: int | Literal["auto"] | None = "auto",
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
            check_audience=check_audience,
            max_in_flight=max_in_flight,
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
        check_audience: bool | _NotGiven = _NOT_GIVEN,
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
            "check_audience": check_audience,
        }
        changes: dict[str, Any] = {
            name: value for name, value in given.items() if value is not _NOT_GIVEN
        }
        if changes.get("timeout", _NOT_GIVEN) is None and self._pool.owned:
            # On greenstatus's own client None is its default; on a user's,
            # the user client's own timeout.
            changes["timeout"] = DEFAULT_TIMEOUT
        # The same instance and pool (so the same rate limiter), other options
        # (checked in the order this method has always checked them), and a
        # life of its own.
        options = attrs.evolve(self._options, **check_in_order(changes))
        derived = object.__new__(type(self))
        derived._adopt(self._instance, self._pool, options, closes_pool=False)
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
        cancellation: one waiting (for the rate limiter, a retry, a link check,
        a place under ``max_in_flight`` or a pooled connection) raises
        [`ClientClosedError`][greenstatus.ClientClosedError] with
        ``request_sent=False`` unless an earlier attempt may have been
        delivered; a request on the wire ends as the closed connection makes
        it end (on your own ``http_client``, which stays open, as it would have).
        """
        await self._session.close()
