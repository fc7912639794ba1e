"""The one request pipeline: every call to GREEN-API of a client goes through
``Pipeline.call``, and only here are requests to GREEN-API sent.

A call runs, within its deadline and within a scope that closing the client
cancels while it waits: the link check it asks for, then attempts. Each
attempt takes a rate-limit place (held no longer than the attempt can last),
sends one request through the client's ``httpx.AsyncClient``, reads the answer
within its bound, and hands what happened to ``_outcome``, which decides what
it means. The retry policy decides whether another attempt follows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Generic, TypeVar

import anyio
import attrs
import httpx

from ._answer import read_answer
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    ClientClosedError,
    GreenStatusError,
)
from ._hooks import run_hook
from ._instance import Instance
from ._links import CheckedLink, LinkKind, judge
from ._methods import ApiMethod
from ._options import ClientOptions, check_retry
from ._outcome import (
    CallProgress,
    attempt_timed_out,
    closed_during,
    exchange_failure,
    past_deadline,
    result_of,
    transport_errors,
)
from ._pool import Session
from ._rate_places import NO_PLACE, AttemptPlace
from ._ratelimit import RateRequest
from ._redaction import Secret, forget_locals
from ._requests import Status, TextStatus, VoiceStatus
from ._results import SentStatus, parse_sent
from ._retry import NoRetry, RetryPolicy, RetrySafety, retry_safety
from ._upload import UploadBody, upload_read_timeout

__all__ = ["Pipeline"]

logger = logging.getLogger("greenstatus")

T = TypeVar("T")

_JSON_CONTENT = {"Content-Type": "application/json"}
_NO_RETRY = NoRetry()
# How long a place of an attempt with no timeout counts, should its process die.
_UNBOUNDED_ATTEMPT = 300.0


@attrs.frozen
class _Call(Generic[T]):
    """One call: what to send, how to read its answer, how often to try."""

    method: ApiMethod
    parse: Callable[[object], T]
    policy: RetryPolicy
    body: bytes | UploadBody | None
    params: Mapping[str, str] | None
    link: tuple[str, LinkKind] | None
    """The link to check first, and the kind of status it is for."""
    prepare: Callable[[], Awaitable[object]] | None = None
    """Makes the JSON body first, within the call's deadline and close scope
    (a status's audience step); ``body`` is ``None`` until then."""
    path: str | None = None
    """A segment after the token (deleteNotification's receiptId)."""
    progress: CallProgress = attrs.field(factory=CallProgress)


@attrs.frozen(eq=False)
class Pipeline:
    """Sends the calls of one client of one instance."""

    instance: Instance
    session: Session
    options: ClientOptions

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout every call runs under."""
        given = self.options.timeout
        return given if given is not None else self.session.pool.http.timeout

    async def send_status(
        self,
        status: Status,
        retry: RetryPolicy | None,
        *,
        prepare: Callable[[], Awaitable[Status]] | None = None,
    ) -> SentStatus:
        """Send one status, its link checked first when the client checks links
        (a link an upload of this client made is direct: never checked).
        ``prepare`` gives the status as it is sent (its audience step), run
        first within the call's deadline and close scope."""
        link: tuple[str, LinkKind] | None = None
        if (
            self.options.check_links
            and not isinstance(status, TextStatus)
            and not self.session.pool.links.was_uploaded(status.url_file)
        ):
            link = (status.url_file, "voice" if isinstance(status, VoiceStatus) else "media")
        if prepare is None:
            return await self.call(
                status.api_method, parse_sent, retry, json_body=status.to_payload(), link=link
            )

        async def payload() -> object:
            return (await prepare()).to_payload()

        return await self.call(status.api_method, parse_sent, retry, link=link, prepare=payload)

    async def call(
        self,
        method: ApiMethod,
        parse: Callable[[object], T],
        retry: RetryPolicy | None,
        *,
        json_body: object = None,
        params: Mapping[str, str] | None = None,
        upload: UploadBody | None = None,
        link: tuple[str, LinkKind] | None = None,
        prepare: Callable[[], Awaitable[object]] | None = None,
        path: str | None = None,
    ) -> T:
        """One call: the ``link`` check when asked for, then the attempts, all
        within the deadline, and within a scope that closing the client cancels
        while it waits."""
        self.session.check_open()
        self.session.pool.check_event_loop()
        policy = self.options.retry if retry is None else check_retry(retry)
        body: bytes | UploadBody | None
        if upload is not None:
            body = upload
            if not upload.retryable:
                policy = _NO_RETRY  # an iterable cannot be read twice
        else:
            body = None if json_body is None else _encode_json(json_body)  # once, not per attempt
        call = _Call(method, parse, policy, body, params, link, prepare, path)
        return await self.scoped(method, lambda: self._attempts(call), call.progress)

    async def scoped(
        self, method: ApiMethod, work: Callable[[], Awaitable[T]], progress: CallProgress
    ) -> T:
        """``work`` done for a call of ``method``: within the deadline, and
        within a scope that closing the client cancels while it waits (not
        while ``progress`` says a request is in flight)."""
        calls = self.session.pool.calls
        url = self.instance.masked_urls[method.name]
        deadline = self.options.deadline
        with anyio.CancelScope() as closing:
            calls[closing] = (self.session, progress)
            try:
                if deadline is None:
                    return await work()
                with anyio.move_on_after(deadline) as scope:
                    return await work()
                assert scope.cancelled_caught
                raise past_deadline(method.name, deadline, progress, url)
            except GreenStatusError as error:
                # The frames it passed through held answers and requests.
                forget_locals(error.__traceback__)
                raise
            finally:
                del calls[closing]
        assert closing.cancelled_caught
        raise closed_during(method.name, progress, url)

    def url_of(self, method: ApiMethod) -> str:
        """``method``'s URL, the token masked: for errors."""
        return self.instance.masked_urls[method.name]

    async def pause(self, seconds: float, method: ApiMethod) -> None:
        """Wait ``seconds`` between the calls of a watcher of ``method``, in a
        scope that closing the client ends, as ``ClientClosedError``."""
        progress = CallProgress()
        url = self.instance.masked_urls[method.name]
        if self.session.is_closed:
            raise closed_during(method.name, progress, url)
        with anyio.CancelScope() as closing:
            self.session.pool.calls[closing] = (self.session, progress)
            try:
                await self.session.pool.clock.sleep(seconds)
            finally:
                del self.session.pool.calls[closing]
        if closing.cancelled_caught or self.session.is_closed:
            raise closed_during(method.name, progress, url)

    async def check_link(self, url_file: str, kind: LinkKind) -> CheckedLink:
        """Ask ``url_file``'s host whether a ``kind`` status from it will show
        (``AsyncStatusClient.check_link``); through the client's transports,
        with none of its credentials (``_links``)."""
        self.session.check_open()
        self.session.pool.check_event_loop()
        try:
            facts = await self.session.pool.links.check(
                self.session.pool.http,
                url_file,
                kind,
                token=self.instance.token,
                bounds=self.timeout,
                hop_timeout=self.options.timeout,
                api_url=self.instance.api_url,
            )
        except RuntimeError:  # httpx's refusal of a closed client, between hops
            if not self.session.is_closed:
                raise
            facts = None
        if facts is None or (facts.failure is not None and self.session.is_closed):
            # Closed under the check: that, not the link, is why it ended.
            raise ClientClosedError(
                f"the check of {url_file!r} was cut short: the client was closed",
                request_sent=False,
                api_method="check_link",
                url=url_file,
            )
        return judge(facts, kind)

    async def _attempts(self, call: _Call[T]) -> T:
        method, progress = call.method, call.progress
        url = self.instance.masked_urls[method.name]
        if call.prepare is not None:  # first, within the deadline and close scope
            call = attrs.evolve(call, body=_encode_json(await call.prepare()), prepare=None)
        if call.link is not None:  # within the deadline, like the attempts
            try:
                await self.check_link(*call.link)
            except ClientClosedError:
                # Closed under the link check (check_link says so): the send's
                # own words for it.
                raise closed_during(method.name, progress, url) from None
        attempt = 0
        while True:
            attempt += 1
            # A place in flight first (a request waiting there was not sent),
            # then the rate-limit place, held from just before the request.
            async with (
                self.session.pool.gate(method.host, self.instance),
                self._place(method) as bound,
            ):
                if self.session.is_closed:
                    raise closed_during(method.name, progress, url)
                progress.in_flight = True
                try:
                    if bound is None:
                        return await self._attempt(call)
                    with anyio.move_on_after(bound) as scope:
                        return await self._attempt(call)
                    assert scope.cancelled_caught
                    raise attempt_timed_out(method.name, bound, url)
                except GreenStatusError as error:
                    # The attempt ended (a cancellation leaves it marked in flight).
                    progress.in_flight = False
                    progress.may_have_been_sent |= retry_safety(error) is RetrySafety.AMBIGUOUS
                    delay = (
                        None if self.session.is_closed else call.policy.next_delay(attempt, error)
                    )
                    if delay is None:
                        raise  # given up, or the client or pool is closed: no retry
                    failed = error
            # Out of both places: the user's on_retry hook and the backoff hold
            # up no other request.
            delay = max(0.0, float(delay))
            await self._report_retry(method, attempt, failed, delay)
            await self.session.pool.clock.sleep(delay)

    def _place(self, method: ApiMethod) -> AttemptPlace:
        """A rate-limit place for one attempt, held for at most the bound it
        gives (a limiter shared by processes lets a place go after it), and
        given back whatever ends the attempt; its bound is ``None`` when the
        method has no limit."""
        limit = self.session.pool.limits.get(method.name)
        if limit is None:
            return NO_PLACE
        request = RateRequest(self.instance.id_instance, method.name, limit, self._attempt_bound())
        return AttemptPlace(self.session.pool.limiter, request)

    def _attempt_bound(self) -> float:
        """The longest one attempt can take: its timeouts added up (httpx's
        bound each read and write, not a server that trickles its answer),
        within the deadline; ``_UNBOUNDED_ATTEMPT`` when a timeout is off."""
        timeout = self.timeout
        parts = (timeout.connect, timeout.write, timeout.read, timeout.pool)
        bound = _UNBOUNDED_ATTEMPT if None in parts else sum(p for p in parts if p is not None)
        deadline = self.options.deadline
        return bound if deadline is None else min(bound, deadline)

    async def _report_retry(
        self, method: ApiMethod, attempt: int, error: GreenStatusError, delay: float
    ) -> None:
        on_retry = self.options.on_retry
        # An on_retry hook is the application's own report of each retry: the
        # log then says it once more only at DEBUG.
        logger.log(
            logging.WARNING if on_retry is None else logging.DEBUG,
            "%s attempt %d failed (%s); retrying in %.2f s",
            method.name,
            attempt,
            _reason(error),
            delay,
        )
        if on_retry is not None:
            try:
                await run_hook(on_retry(attempt, error, delay))
            except Exception:
                # The caller's report failed, not the call: it goes on, as
                # send_all's sends go on past a failing on_result.
                logger.exception(
                    "on_retry(%d, %s, ...) raised; the retry goes on", attempt, type(error).__name__
                )

    async def _attempt(self, call: _Call[T]) -> T:
        """Send one request and hand what happened to ``_outcome``.

        No frame of this one holds the request in a local: its URL holds the
        token, and error tools record the locals of every frame an error passed
        through. It is built where it is sent.
        """
        method, body = call.method, call.body
        http = self.session.pool.http
        url = self.instance.masked_urls[method.name]
        error: BaseException
        try:
            # Never a redirect: a status POSTed again to wherever a 3xx points
            # could be queued twice, and GREEN-API's methods do not move.
            if isinstance(body, UploadBody):
                # Opened before it is sent: the upload's scope is set then.
                response = await body.send(http, Secret(self._request(call, body.open())))
            else:
                response = await http.send(
                    self._request(call, body), follow_redirects=False, stream=True
                )
            try:
                content, whole = await read_answer(response, method.answer_max)
            finally:
                await response.aclose()
        except Exception as exc:
            problem = body.problem if isinstance(body, UploadBody) else None
            if problem is not None and (exc is problem or isinstance(exc, transport_errors())):
                # The body's own source or check failed (the transport with it):
                # that is the error, the caller's own as it is.
                error = problem
            else:
                error = exchange_failure(
                    exc,
                    api_method=method.name,
                    url=url,
                    secret=self.instance.token.reveal(),
                    http_closed=http.is_closed,
                )
        else:
            logger.debug("%s answered %d", method.name, response.status_code)
            return result_of(
                response,
                content,
                whole,
                call.parse,
                api_method=method.name,
                answer_max=method.answer_max,
                url=url,
                secret=self.instance.token.reveal(),
            )
        # Raised here, outside the except block, so the unmasked transport error is
        # not left in __context__; each error chains a scrubbed copy instead.
        raise error

    def _request(
        self, call: _Call[T], content: bytes | AsyncIterable[bytes] | None
    ) -> httpx.Request:
        """The request of one attempt around ``content``, with the client's
        defaults merged in."""
        given = self.options.timeout
        timeout: httpx.Timeout | httpx._client.UseClientDefault = (
            given if given is not None else httpx.USE_CLIENT_DEFAULT
        )
        body = call.body
        headers: Mapping[str, str] | None
        if isinstance(body, UploadBody):
            headers = body.headers
            base = self.timeout
            timeout = httpx.Timeout(
                connect=base.connect,
                read=upload_read_timeout(base.read, body.size),
                write=base.write,
                pool=base.pool,
            )
        else:
            headers = _JSON_CONTENT if body is not None else None
        url = self.instance.urls.reveal()[call.method.name]
        return self.session.pool.http.build_request(
            call.method.http_method,
            url if call.path is None else url.join(f"{url.path}/{call.path}"),
            params=call.params,
            content=content,
            headers=headers,
            timeout=timeout,
        )


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
