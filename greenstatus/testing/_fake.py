"""FakeGreenAPI: a stateful, in-memory model of GREEN-API's status methods.

The model itself is synchronous and transport-free: ``handle`` takes what arrived
on the wire and returns what to answer. ``transport()`` and ``serve()`` plug it
into httpx in-process or into a real HTTP server on loopback.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import ssl
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Literal
from urllib.parse import quote, unquote

import attrs
import httpx

from .._methods import (
    ALL_METHODS,
    DELETE_STATUS,
    DOCUMENTED_RATE_LIMITS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_SETTINGS,
    GET_STATE_INSTANCE,
    GET_STATUS_STATISTIC,
    SEND_MEDIA_STATUS,
    SEND_TEXT_STATUS,
    SEND_VOICE_STATUS,
    UPLOAD_FILE,
    ApiMethod,
)
from .._redaction import MASK
from .._upload import CONTENT_TYPES

__all__ = [
    "DOCUMENTED_RATE_LIMITS",
    "FakeFile",
    "FakeGreenAPI",
    "FakeReply",
    "FakeStatus",
    "RecordedRequest",
]

StatusKind = Literal["text", "voice", "media"]

# GREEN-API serves its methods at the root of its host, and nowhere else.
_PATH = re.compile(r"/waInstance(?P<id>[^/]*)/(?P<method>[^/]+)/(?P<token>[^/]+)/?")
_METHODS: dict[str, ApiMethod] = {method.name: method for method in ALL_METHODS}
# What GREEN-API answers, with 400, to calls while the instance is in these states.
_NOT_READY_ANSWERS = {
    "notAuthorized": "Instance account not authorized",
    "starting": "Instance in starting process try later",
}
_KINDS: dict[str, StatusKind] = {
    SEND_TEXT_STATUS.name: "text",
    SEND_VOICE_STATUS.name: "voice",
    SEND_MEDIA_STATUS.name: "media",
}
_FONTS = ("SERIF", "SANS_SERIF", "NORICAN_REGULAR", "BRYNDAN_WRITE", "OSWALD_HEAVY")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_UPLOAD_MAX = 100 * 1024 * 1024
_VIDEO = ("mp4", "mov", "m4v", "3gp", "avi", "mkv", "webm")
_MIME = CONTENT_TYPES


@attrs.frozen(kw_only=True)
class FakeFile:
    """A file the fake's file host serves at ``/files/...``."""

    content: bytes
    content_type: str | None
    """``Content-Type`` served; ``None`` serves none."""
    disposition: str | None = None
    """``Content-Disposition`` served, e.g. ``"attachment; filename=a.mp4"``."""
    status_code: int = 200
    head: bool = True
    """Answer HEAD; ``False`` answers it 405, as some hosts do."""
    ranges: bool = True
    """Answer ``Range: bytes=0-0`` with 206 and ``Content-Range``."""
    size: int | None = None
    """The size to declare instead of ``len(content)``: a huge file, unallocated."""
    redirect: str | None = None
    """Answer 302 to this URL instead."""
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class FakeStatus:
    """A status the fake accepted: what was sent, and the id it was given."""

    id_message: str
    kind: StatusKind
    payload: Mapping[str, object]
    id_instance: str
    timestamp: int


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request the fake received, as it arrived (the token is not kept)."""

    http_method: str
    path: str
    """The URL path with the token segment replaced by ``***``."""
    api_method: str | None
    id_instance: str | None
    token_ok: bool
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    received_at: float
    """When it arrived, by the fake's ``clock``."""
    json: object = None
    """The decoded JSON body, or ``None`` when it was empty or not JSON."""


@attrs.frozen
class FakeReply:
    """What the fake answers: a status, headers and a body, or ``drop``."""

    status_code: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes = b""
    drop: bool = False
    """Close the connection without answering (the request was read)."""
    reset: bool = False
    """With ``drop``: reset the connection (TCP RST) instead of closing it."""
    delay: float = 0.0
    """Seconds to wait before answering (or dropping), on top of ``latency``."""
    processed: bool = False
    """The request is handled first (a send is queued), then this is answered
    instead: a gateway failing after its upstream did the work."""


@attrs.frozen
class _Fault:
    reply: FakeReply


class _Refused(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class FakeGreenAPI:
    """A stateful model of GREEN-API's seven status methods and uploadFile.

    It checks the instance id (403) and token (401), checks bodies as the API
    documents them (400 with a message), queues statuses and lists them, serves
    statistics, deletes, keeps uploads, and records every request. Faults can be
    injected: ``fail_next``, ``drop_next``, ``latency`` and per-method
    ``rate_limits`` (429 past them).

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
        contacts: tuple[str, ...] = (),
        rate_limits: Mapping[str, int] | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.id_instance = id_instance
        self.token = api_token_instance
        self.contacts = contacts
        """Who a status with no ``participants`` reaches, for statistics."""
        self.rate_limits: Mapping[str, int] | None = rate_limits
        """Requests per second per method and instance; ``DOCUMENTED_RATE_LIMITS``
        enforces GREEN-API's own. ``None``: no limit."""
        self.latency = latency
        """Seconds to wait before answering each request."""
        self.statuses: list[FakeStatus] = []
        self.requests: list[RecordedRequest] = []
        self.incoming: list[dict[str, object]] = []
        """Raw items getIncomingStatuses returns; append your own."""
        self.uploads: dict[str, tuple[str, bytes]] = {}
        """uploadFile's stored files: urlFile -> (content type, bytes)."""
        self.files: dict[str, FakeFile] = {}
        """The file host: path (``/files/...``) -> the file served there."""
        self.file_requests: list[RecordedRequest] = []
        """Requests to the file host (link checks), as they arrived."""
        self.file_base_url = "http://files.fake-green-api.invalid"
        """Where hosted files live: ``serve()`` sets its own URL while it serves."""
        self.deleted: list[str] = []
        self.state = "authorized"
        """What getStateInstance answers. In ``"notAuthorized"`` and ``"starting"``
        every other method answers 400 as GREEN-API does; any string works."""
        self.settings: dict[str, object] = {
            "wid": "79001234567@c.us",
            "countryInstance": "",
            "typeAccount": "",
            "webhookUrl": "",
            "webhookUrlToken": "",
            "delaySendMessagesMilliseconds": 500,
            "markIncomingMessagesReaded": "no",
            "outgoingWebhook": "yes",
            "outgoingMessageWebhook": "yes",
            "outgoingAPIMessageWebhook": "yes",
            "incomingWebhook": "yes",
            "stateWebhook": "no",
        }
        """What getSettings answers. With ``outgoingWebhook`` "no",
        getStatusStatistic and getOutgoingStatuses answer empty lists, as
        GREEN-API's do."""
        self._clock = clock
        self._instances: dict[str, str] = {id_instance: api_token_instance}
        self._faults: deque[_Fault] = deque()
        self._chaos: tuple[float, tuple[FakeReply, ...], random.Random] | None = None
        self._ids = itertools.count(1)
        self._accepted: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FakeGreenAPI instances={sorted(self._instances)} statuses={len(self.statuses)}>"

    def add_instance(self, id_instance: str, api_token_instance: str) -> None:
        """Serve one more instance, with its own token."""
        with self._lock:
            self._instances[id_instance] = api_token_instance

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
        return self._host(
            name,
            FakeFile(
                content=content,
                content_type=content_type,
                disposition=disposition,
                status_code=status_code,
                head=head,
                ranges=ranges,
                size=size,
                headers=dict(headers or {}),
            ),
        )

    def host_redirect(self, name: str, location: str) -> str:
        """Answer 302 to ``location``; returns the redirecting URL."""
        return self._host(name, FakeFile(content=b"", content_type=None, redirect=location))

    def _host(self, name: str, file: FakeFile) -> str:
        path = f"/files/{uuid.uuid4().hex}/{name}"
        with self._lock:
            self.files[path] = file
        return self.file_base_url + path

    def _serve_file(
        self, http_method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> FakeReply:
        self.file_requests.append(
            RecordedRequest(
                http_method=http_method,
                path=path,
                api_method=None,
                id_instance=None,
                token_ok=False,
                query=dict(query),
                headers=dict(headers),
                body=b"",
                received_at=self._clock(),
            )
        )
        file = self.files.get(path)
        if file is None:
            return FakeReply(404, {"Content-Type": "text/plain"}, b"not found")
        if file.redirect is not None:
            return FakeReply(302, {"Location": file.redirect})
        if http_method not in ("GET", "HEAD") or (http_method == "HEAD" and not file.head):
            return FakeReply(405, {"Allow": "GET" if not file.head else "GET, HEAD"})
        served = dict(file.headers)
        if file.content_type is not None:
            served["Content-Type"] = file.content_type
        if file.disposition is not None:
            served["Content-Disposition"] = file.disposition
        if file.status_code != 200:
            return FakeReply(file.status_code, served, b"no file for you")
        size = len(file.content) if file.size is None else file.size
        if http_method == "HEAD":
            # aiohttp keeps a declared Content-Length on a HEAD answer.
            return FakeReply(200, {**served, "Content-Length": str(size)}, b"")
        if file.ranges and headers.get("range") == "bytes=0-0" and size:
            served["Content-Range"] = f"bytes 0-0/{size}"
            return FakeReply(206, served, file.content[:1])
        return FakeReply(200, served, file.content)

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
        headers = {"Content-Type": "application/json"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if isinstance(body, bytes):
            content = body
        elif isinstance(body, str):
            content = body.encode()
            headers["Content-Type"] = "text/plain; charset=utf-8"
        else:
            content = _json(body if body is not None else {"message": f"fault {status_code}"})
        reply = FakeReply(status_code, headers, content, processed=processed)
        with self._lock:
            self._faults.extend(_Fault(reply) for _ in range(times))

    def drop_next(self, *, times: int = 1, reset: bool = False, processed: bool = False) -> None:
        """Read the next ``times`` requests, then close the connection unanswered:
        an orderly close, or with ``reset=True`` a TCP reset (RST). With
        ``processed=True`` each request is handled (a send queued) first."""
        reply = FakeReply(drop=True, reset=reset, processed=processed)
        with self._lock:
            self._faults.extend(_Fault(reply) for _ in range(times))

    # -- plugging in ----------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        """An in-process httpx transport (no sockets) answering as this fake."""
        from ._transport import FakeTransport

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
        from ._server import serve

        async with serve(self, host, port, ssl_context) as url:
            before, self.file_base_url = self.file_base_url, url
            try:
                yield url
            finally:
                self.file_base_url = before

    # -- the model --------------------------------------------------------------------

    def handle(
        self,
        http_method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> FakeReply:
        """What GREEN-API would answer to this request. ``headers`` keys are lower case."""
        if path.startswith("/files/"):
            with self._lock:
                return self._serve_file(http_method, path, query, headers)
        match = _PATH.fullmatch(path)
        method = _METHODS.get(match["method"]) if match else None
        id_instance = match["id"] if match else None
        with self._lock:
            expected_token = self._instances.get(id_instance or "")
            token_ok = bool(match) and expected_token == (match["token"] if match else None)
            decoded = _decode(body)
            self.requests.append(
                RecordedRequest(
                    http_method=http_method,
                    path=(
                        path[: match.start("token")] + MASK + path[match.end("token") :]
                        if match
                        else path
                    ),
                    api_method=method.name if method else None,
                    id_instance=id_instance,
                    token_ok=token_ok,
                    query=dict(query),
                    headers=dict(headers),
                    body=body,
                    received_at=self._clock(),
                    json=decoded,
                )
            )
            fault = self._faults.popleft().reply if self._faults else self._chaos_fault()
            if fault is not None and not fault.processed:
                return fault
            try:
                if method is None or method.http_method != http_method:
                    return _refusal(404, "Not Found")
                if expected_token is None or id_instance is None:
                    return _refusal(403, "Forbidden")
                if not token_ok:
                    return _refusal(401, "Unauthorized")
                self._check_rate(id_instance, method)
                self._check_ready(method)
                if method is UPLOAD_FILE:
                    answer = self._upload(id_instance, headers, body)
                else:
                    answer = self._call(method, id_instance, query, headers, body, decoded)
            except _Refused as refused:
                answer = _refusal(refused.status_code, str(refused))
            return fault if fault is not None else answer

    def chaos(self, rate: float, faults: Sequence[FakeReply], *, seed: int | None = None) -> None:
        """From now on, answer each request with one of ``faults``, picked at
        random, with probability ``rate`` (``0`` ends it); ``seed`` repeats a run.

        Example: ``fake.chaos(0.05, [FakeReply(503), FakeReply(drop=True)], seed=1)``.
        """
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        with self._lock:
            self._chaos = (rate, tuple(faults), random.Random(seed))  # noqa: S311 - not security

    def _chaos_fault(self) -> FakeReply | None:
        if self._chaos is None:
            return None
        rate, faults, chance = self._chaos
        if not faults or chance.random() >= rate:
            return None
        return chance.choice(faults)

    def _check_ready(self, method: ApiMethod) -> None:
        not_ready = _NOT_READY_ANSWERS.get(self.state)
        if not_ready is not None and method not in (GET_STATE_INSTANCE, GET_SETTINGS):
            raise _Refused(400, not_ready)

    def _check_rate(self, id_instance: str, method: ApiMethod) -> None:
        limit = (self.rate_limits or {}).get(method.name)
        if limit is None:
            return
        now = self._clock()
        accepted = self._accepted[(id_instance, method.name)]
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= limit:
            raise _Refused(429, "Too Many Requests")
        accepted.append(now)

    def _call(
        self,
        method: ApiMethod,
        id_instance: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        decoded: object,
    ) -> FakeReply:
        if method.http_method == "POST":
            if "application/json" not in headers.get("content-type", ""):
                raise _Refused(400, "Content-Type must be application/json")
            if not isinstance(decoded, dict):
                raise _Refused(400, "Validation failed. Details: body must be a JSON object")
            payload: dict[str, object] = decoded
        if method is GET_STATE_INSTANCE:
            return _ok({"stateInstance": self.state})
        if method is GET_SETTINGS:
            return _ok(self.settings)
        if method.name in _KINDS:
            _validate_send(method, payload)
            return _ok({"idMessage": self._accept(method, id_instance, payload)})
        if method is DELETE_STATUS:
            return self._delete(id_instance, payload)
        recorded = self.settings.get("outgoingWebhook") == "yes"
        if method is GET_STATUS_STATISTIC:
            statistic = self._statistic(id_instance, query)
            return _ok(statistic if recorded else [])
        minutes = _minutes(query)
        if method is GET_OUTGOING_STATUSES:
            return _ok(self._outgoing(id_instance, minutes) if recorded else [])
        assert method is GET_INCOMING_STATUSES
        since = self._clock() - minutes * 60
        return _ok([item for item in self.incoming if _timestamp(item) >= since])

    def _accept(self, method: ApiMethod, id_instance: str, payload: dict[str, object]) -> str:
        id_message = f"3EB0{next(self._ids):016X}"
        self.statuses.append(
            FakeStatus(
                id_message=id_message,
                kind=_KINDS[method.name],
                payload=payload,
                id_instance=id_instance,
                timestamp=int(self._clock()),
            )
        )
        return id_message

    def _find(self, id_instance: str, id_message: object) -> FakeStatus | None:
        for status in self.statuses:
            if status.id_instance == id_instance and status.id_message == id_message:
                return status
        return None

    def _delete(self, id_instance: str, payload: dict[str, object]) -> FakeReply:
        id_message = payload.get("idMessage")
        if not isinstance(id_message, str) or not id_message:
            raise _Refused(400, "Validation failed. Details: 'idMessage' is required")
        status = self._find(id_instance, id_message)
        if status is None:
            raise _Refused(400, f"status {id_message} not found")
        self.statuses.remove(status)
        self.deleted.append(id_message)
        return FakeReply(200)

    def _statistic(self, id_instance: str, query: Mapping[str, str]) -> list[dict[str, object]]:
        id_message = query.get("idMessage")
        if not id_message:
            raise _Refused(400, "Validation failed. Details: 'idMessage' is required")
        status = self._find(id_instance, id_message)
        if status is None:
            return []
        participants = status.payload.get("participants") or self.contacts
        assert isinstance(participants, (list, tuple))
        return [
            {"timestamp": status.timestamp, "participant": participant, "status": "sent"}
            for participant in participants
        ]

    def _outgoing(self, id_instance: str, minutes: int) -> list[dict[str, object]]:
        since = self._clock() - minutes * 60
        return [
            _outgoing_item(status)
            for status in self.statuses
            if status.id_instance == id_instance and status.timestamp >= since
        ]

    def _upload(self, id_instance: str, headers: Mapping[str, str], body: bytes) -> FakeReply:
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if not content_type:
            raise _Refused(400, "Content-Type with the file's MIME type is required")
        if len(body) > _UPLOAD_MAX:
            raise _Refused(500, "file is larger than 100 MB")
        if not body:
            raise _Refused(400, "the file is empty")
        given = unquote(headers.get("ga-filename", ""))
        stem, dot, extension = given.rpartition(".")
        if not (dot and stem):
            # GREEN-API names the file by its type; an undetectable one is .bin.
            extension = _EXTENSION_OF.get(content_type, "bin")
            given = f"{uuid.uuid4().hex}.{extension}"
        path = f"/files/{id_instance}/{uuid.uuid4().hex}/{given}"
        url = self.file_base_url + quote(path)  # a link holds its name percent-encoded
        self.files[path] = FakeFile(
            content=body, content_type=_MIME.get(extension.lower(), "application/octet-stream")
        )
        self.uploads[url] = (content_type, body)
        return _ok({"urlFile": url})


def _validate_send(method: ApiMethod, payload: dict[str, object]) -> None:
    def fail(detail: str) -> _Refused:
        return _Refused(400, f"Validation failed. Details: {detail}")

    def text(key: str, *, required: bool, max_len: int | None = None) -> None:
        value = payload.get(key)
        if value is None:
            if required:
                raise fail(f"'{key}' is required")
            return
        if not isinstance(value, str) or (required and not value):
            raise fail(f"'{key}' must be a non-empty string")
        if max_len is not None and len(value) > max_len:
            raise fail(f"'{key}' must be at most {max_len} characters")

    if method is SEND_TEXT_STATUS:
        text("message", required=True, max_len=500)
        font = payload.get("font")
        if font is not None and font not in _FONTS:
            raise fail(f"'font' must be one of {', '.join(_FONTS)}")
    else:
        text("urlFile", required=True)
        text("fileName", required=True)
        file_name = str(payload["fileName"])
        if "." not in file_name.strip("."):
            raise fail("'fileName' must have an extension")
    if method is SEND_MEDIA_STATUS:
        text("caption", required=False, max_len=1024)
    color = payload.get("backgroundColor")
    if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
        raise fail("'backgroundColor' must be a colour like #228B22")
    participants = payload.get("participants")
    if participants is not None and not (
        isinstance(participants, list) and all(isinstance(p, str) for p in participants)
    ):
        raise fail("'participants' must be an array of strings")


def _outgoing_item(status: FakeStatus) -> dict[str, object]:
    item: dict[str, object] = {
        "type": "outgoing",
        "idMessage": status.id_message,
        "timestamp": status.timestamp,
        "chatId": "status@broadcast",
        "statusMessage": "sent",
        "sendByApi": True,
    }
    payload = status.payload
    participants = payload.get("participants") or []
    assert isinstance(participants, list)
    if status.kind == "text":
        item["typeMessage"] = "extendedTextMessage"
        item["textMessage"] = payload["message"]
        item["extendedTextMessage"] = {
            "text": payload["message"],
            "backgroundColor": payload.get("backgroundColor", "#000000"),
            "font": payload.get("font", "SERIF"),
            "participants": list(participants),
        }
        return item
    file_name = str(payload["fileName"])
    extension = file_name.rpartition(".")[2].lower()
    if status.kind == "voice":
        item["typeMessage"] = "audioMessage"
    else:
        item["typeMessage"] = "videoMessage" if extension in _VIDEO else "imageMessage"
    item.update(
        participants=list(participants),
        downloadUrl=payload["urlFile"],
        fileName=file_name,
        caption=payload.get("caption", ""),
        mimeType=_MIME.get(extension, "application/octet-stream"),
    )
    return item


_EXTENSION_OF = {mime: extension for extension, mime in reversed(list(_MIME.items()))}


def _minutes(query: Mapping[str, str]) -> int:
    raw = query.get("minutes")
    if raw is None:
        return 1440
    if not raw.isdigit() or int(raw) < 1:
        raise _Refused(400, "Validation failed. Details: 'minutes' must be a positive integer")
    return int(raw)


def _timestamp(item: Mapping[str, object]) -> float:
    value = item.get("timestamp")
    return float(value) if isinstance(value, (int, float)) else 0.0


def _decode(body: bytes) -> object:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _refusal(status_code: int, message: str) -> FakeReply:
    return FakeReply(status_code, {"Content-Type": "application/json"}, _json({"message": message}))


def _ok(value: object) -> FakeReply:
    return FakeReply(200, {"Content-Type": "application/json"}, _json(value))
