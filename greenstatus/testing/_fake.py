"""FakeGreenAPI: the public face of the fake, made of its parts.

The model of GREEN-API's methods (``_model``), the file host (``_files``),
fault injection (``_faults``) and the account's events (``_events``) each live
in a module of their own; ``handle`` routes what arrived on the wire among
them, under one lock. The methods that drive events are a part of their own
(``_fake_events``). ``transport()`` (``_transport``) and ``serve()``
(``_server``) plug it into httpx in-process or into a real HTTP server on
loopback.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

import httpx

from .._contacts import Contact
from ._events import StatusEvents
from ._fake_events import FakeEvents
from ._faults import Faults
from ._files import FILES_PREFIX, FakeFile, FileHost
from ._model import FakeStatus, StatusModel
from ._replies import FakeReply, RecordedRequest
from ._transport import FakeTransport

__all__ = ["FakeGreenAPI"]


class FakeGreenAPI(FakeEvents):
    """A stateful model of GREEN-API's seven status methods, uploadFile,
    getContacts, getStateInstance, getSettings, and the notification queue
    (receiveNotification, deleteNotification) with its webhooks.

    It checks the instance id (403) and token (401), checks bodies as the API
    documents them (400 with a message), queues statuses and lists them, serves
    statistics, deletes, keeps uploads, and records every request. Faults can be
    injected: ``fail_next``, ``drop_next``, ``empty_contacts_next``, ``latency``
    and per-method ``rate_limits`` (429 past them).

    ``contacts`` is the instance's contact list (shared by every instance the
    fake serves), which getContacts answers in order. Each item is a
    ``greenstatus.Contact``, a mapping in GREEN-API's wire form
    (``{"id": ..., "name": ..., "contactName": ..., "type": ...}``; ``name`` and
    ``contactName`` may be absent or ``None``, ``type`` defaults to ``"user"``,
    ``"group"`` for a ``@g.us`` id; other keys are served as given) or a bare
    chat id: ``"79001234567@c.us"`` stands for a person saved in the phone book
    under their number (``contact_name`` ``"79001234567"``), ``"...@g.us"`` for
    a group.

    Statistics follow GREEN-API's rule of who a status reaches: only user
    contacts with a ``contactName`` (more than white space), the first 1024 of
    them in list order (a chat id listed twice counts at its first place). A
    status with no ``participants`` reaches all of those; one with
    ``participants`` reaches the participants that are among them (matched by
    chat id, a ``@c.us`` one by its number alone). getStatusStatistic lists one
    ``sent`` row for each, named as the contact list names it. Who a status
    reached is decided when it is sent, by the contacts of that moment. With no
    contacts at all the fake has no list to apply the rule to: a status reaches
    its ``participants`` as they were sent, and no one else. getOutgoingStatuses
    lists a status's ``participants`` as they were sent, the shape GREEN-API
    documents (green-api/issues#1129 reports they come back empty: do not let
    your code depend on them).

    Time moves on the fake's ``clock``: recipients receive and read statuses
    (``deliver``, ``read``, ``schedule``), contacts post theirs
    (``post_incoming``), and each event queues the notification GREEN-API
    would send, which receiveNotification serves and ``send_webhooks`` POSTs.

    For example, in process (no sockets), on the client's own pool:

    ```python
    from greenstatus import AsyncStatusClient
    from greenstatus.testing import FakeGreenAPI

    fake = FakeGreenAPI()
    async with AsyncStatusClient(
        fake.id_instance, fake.token, transport=fake.transport()
    ) as client:
        await client.send_text_status("hi")
    assert [status.kind for status in fake.statuses] == ["text"]
    ```
    """

    def __init__(
        self,
        id_instance: str = "1101000001",
        api_token_instance: str = "fake-token-0123456789abcdef",  # noqa: S107 - a fake's
        *,
        contacts: Sequence[Contact | Mapping[str, object] | str] = (),
        rate_limits: Mapping[str, int] | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.id_instance = id_instance
        self.token = api_token_instance
        self.latency = latency
        """Seconds to wait before answering each request."""
        self._host = FileHost(clock)
        self._model = StatusModel(
            id_instance,
            api_token_instance,
            contacts=contacts,
            rate_limits=rate_limits,
            clock=clock,
            files=self._host,
        )
        self._faults = Faults()
        self._events = StatusEvents(self._model, clock)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<FakeGreenAPI instances={sorted(self._model.instances)} "
            f"statuses={len(self.statuses)}>"
        )

    def add_instance(self, id_instance: str, api_token_instance: str) -> None:
        """Serve one more instance, with its own token."""
        with self._lock:
            self._model.instances[id_instance] = api_token_instance

    # -- the model's state ------------------------------------------------------------

    @property
    def contacts(self) -> tuple[Contact, ...]:
        """The contact list getContacts answers and statistics follow, as
        ``Contact``s whose ``raw`` is the item served. Set it with the same
        forms as ``contacts=``; an invalid item raises ``TypeError`` or
        ``ValueError`` naming its index, and leaves the list as it was."""
        return self._model.book.contacts

    @contacts.setter
    def contacts(self, value: Sequence[Contact | Mapping[str, object] | str]) -> None:
        with self._lock:
            self._model.book.contacts = value

    @property
    def rate_limits(self) -> Mapping[str, int] | None:
        """Requests per second per method and instance; ``DOCUMENTED_RATE_LIMITS``
        enforces GREEN-API's own. ``None``: no limit."""
        return self._model.rate_limits

    @rate_limits.setter
    def rate_limits(self, value: Mapping[str, int] | None) -> None:
        self._model.rate_limits = value

    @property
    def statuses(self) -> list[FakeStatus]:
        return self._model.statuses

    @statuses.setter
    def statuses(self, value: list[FakeStatus]) -> None:
        self._model.statuses = value

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._model.requests

    @requests.setter
    def requests(self, value: list[RecordedRequest]) -> None:
        self._model.requests = value

    @property
    def incoming(self) -> list[dict[str, object]]:
        """Raw items getIncomingStatuses returns: ``post_incoming`` appends
        them in GREEN-API's shape; append your own as you like."""
        return self._model.incoming

    @incoming.setter
    def incoming(self, value: list[dict[str, object]]) -> None:
        self._model.incoming = value

    @property
    def uploads(self) -> dict[str, tuple[str, bytes]]:
        """uploadFile's stored files: urlFile -> (content type, bytes)."""
        return self._model.uploads

    @uploads.setter
    def uploads(self, value: dict[str, tuple[str, bytes]]) -> None:
        self._model.uploads = value

    @property
    def files(self) -> dict[str, FakeFile]:
        """The file host: path (``/files/...``) -> the file served there."""
        return self._host.files

    @files.setter
    def files(self, value: dict[str, FakeFile]) -> None:
        self._host.files = value

    @property
    def file_requests(self) -> list[RecordedRequest]:
        """Requests to the file host (link checks), as they arrived."""
        return self._host.requests

    @file_requests.setter
    def file_requests(self, value: list[RecordedRequest]) -> None:
        self._host.requests = value

    @property
    def file_base_url(self) -> str:
        """Where hosted files live: ``serve()`` sets its own URL while it serves."""
        return self._host.base_url

    @file_base_url.setter
    def file_base_url(self, value: str) -> None:
        self._host.base_url = value

    @property
    def deleted(self) -> list[str]:
        return self._model.deleted

    @deleted.setter
    def deleted(self, value: list[str]) -> None:
        self._model.deleted = value

    @property
    def state(self) -> str:
        """What getStateInstance answers. In ``"notAuthorized"`` and ``"starting"``
        every other method answers 400 as GREEN-API does; any string works."""
        return self._model.state

    @state.setter
    def state(self, value: str) -> None:
        self._model.state = value

    @property
    def settings(self) -> dict[str, object]:
        """What getSettings answers. With ``outgoingWebhook`` "no",
        getStatusStatistic and getOutgoingStatuses answer empty lists, as
        GREEN-API's do, and no ``outgoingMessageStatus`` is queued; with
        ``incomingWebhook`` "no", no ``incomingMessageReceived``. While
        ``webhookUrl`` is set, receiveNotification answers ``null`` and
        ``send_webhooks`` POSTs the queue there."""
        return self._model.settings

    @settings.setter
    def settings(self, value: dict[str, object]) -> None:
        self._model.settings = value

    # -- the file host --------------------------------------------------------------

    def host_file(
        self,
        name: str,
        content: bytes,
        *,
        content_type: str | None,
        disposition: str | None = None,
        status_code: int = 200,
        head: bool = True,
        ranges: bool = True,
        size: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve ``content`` as ``name`` with the content type and headers given;
        returns its URL under ``file_base_url`` (inside ``serve()``, the server's)."""
        file = FakeFile(
            content=content,
            content_type=content_type,
            disposition=disposition,
            status_code=status_code,
            head=head,
            ranges=ranges,
            size=size,
            headers=dict(headers or {}),
        )
        with self._lock:
            return self._host.host(name, file)

    def host_redirect(self, name: str, location: str) -> str:
        """Answer 302 to ``location``; returns the redirecting URL."""
        with self._lock:
            return self._host.host(
                name, FakeFile(content=b"", content_type=None, redirect=location)
            )

    # -- fault injection ------------------------------------------------------------

    def fail_next(
        self,
        status_code: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: object = None,
        processed: bool = False,
    ) -> None:
        """Answer the next ``times`` requests with ``status_code``.

        ``body`` is sent as JSON (a ``str`` or ``bytes`` as is); ``retry_after``
        becomes a ``Retry-After`` header. With ``processed=True`` the request is
        handled first (a send is queued), as by a gateway failing afterwards.
        """
        with self._lock:
            self._faults.fail(
                status_code, times=times, retry_after=retry_after, body=body, processed=processed
            )

    def drop_next(self, *, times: int = 1, reset: bool = False, processed: bool = False) -> None:
        """Read the next ``times`` requests, then close the connection unanswered:
        an orderly close, or with ``reset=True`` a TCP reset (RST). With
        ``processed=True`` each request is handled (a send queued) first."""
        with self._lock:
            self._faults.drop(times=times, reset=reset, processed=processed)

    def empty_contacts_next(self, *, times: int = 1) -> None:
        """Answer the next ``times`` getContacts with an empty array, then the
        contact list again: GREEN-API's documented transient failure ("if an
        empty data array is received, repeat the method call").

        Only answers that would have listed the contacts count: a refused
        request (401, 403, 429, 400, a fault) leaves them queued. Calls add up;
        statistics keep following the contact list meanwhile.
        """
        with self._lock:
            self._model.book.empty_next(times)

    # -- plugging in ----------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process httpx transport (no sockets) answering as this fake."""
        return FakeTransport(self)

    @asynccontextmanager
    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> AsyncIterator[str]:
        """Serve this fake over real HTTP on loopback; yields its base URL.

        The same URL serves as ``api_url`` and ``media_url``. With a server-side
        ``ssl_context`` it serves HTTPS (an ``https://`` URL).
        """
        from ._server import serve  # aiohttp's server, imported only to serve

        async with serve(self, host, port, ssl_context) as url:
            before, self.file_base_url = self.file_base_url, url
            try:
                yield url
            finally:
                self.file_base_url = before

    # -- answering ----------------------------------------------------------------------

    def handle(
        self,
        http_method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> FakeReply:
        """What GREEN-API would answer to this request. ``headers`` keys are lower case."""
        with self._lock:
            self._events.catch_up()
            if path.startswith(FILES_PREFIX):
                return self._host.serve(http_method, path, query, headers)
            call = self._model.record(http_method, path, query, headers, body)
            # Faults apply before anything else; a "processed" one after the
            # model has handled the request.
            fault = self._faults.next()
            if fault is not None and not fault.processed:
                return fault
            answer = self._model.answer(call)
            return fault if fault is not None else answer

    def chaos(self, rate: float, faults: Sequence[FakeReply], *, seed: int | None = None) -> None:
        """From now on, answer each request with one of ``faults``, picked at
        random, with probability ``rate`` (``0`` ends it); ``seed`` repeats a run.

        Example: ``fake.chaos(0.05, [FakeReply(503), FakeReply(drop=True)], seed=1)``.
        """
        with self._lock:
            self._faults.chaos(rate, faults, seed)
