"""The model of GREEN-API's status methods: instances and their tokens, the
methods' rules, the statuses queued, lists, statistics, deletes and uploads,
and the notification queue's two methods.

It answers as GREEN-API does, so it checks what GREEN-API checks, which is not
what greenstatus checks before sending (``_validation``). The contact list,
getContacts and the rule of who a status reaches live in ``_contacts``; how far
a status got with each recipient in ``_recipients``; the queue in
``_notifications``; the events that move them in ``_events``.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import unquote

import attrs

from .._file_names import CONTENT_TYPES
from .._methods import (
    ALL_METHODS,
    DELETE_NOTIFICATION,
    DELETE_STATUS,
    GET_CONTACTS,
    GET_INCOMING_STATUSES,
    GET_OUTGOING_STATUSES,
    GET_SETTINGS,
    GET_STATE_INSTANCE,
    GET_STATUS_STATISTIC,
    RECEIVE_NOTIFICATION,
    SEND_MEDIA_STATUS,
    SEND_TEXT_STATUS,
    SEND_VOICE_STATUS,
    UPLOAD_FILE,
    ApiMethod,
)
from ._contacts import ContactBook, ContactInput
from ._fake_status import FakeStatus, StatusKind
from ._files import FileHost
from ._notifications import NotificationQueue, polling
from ._outgoing import outgoing_item
from ._recipients import RecipientRow, Recipients
from ._replies import FakeReply, RecordedRequest, Refused, decode_json, ok, refusal
from ._routing import route
from ._validation import minutes_of, validate_send

__all__ = ["FakeStatus", "StatusKind", "StatusModel"]

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
_UPLOAD_MAX = 100 * 1024 * 1024
_EXTENSION_OF = {mime: extension for extension, mime in reversed(list(CONTENT_TYPES.items()))}


@attrs.frozen(kw_only=True)
class _Call:
    """A request to the API, as routed: its method, instance and token check."""

    http_method: str
    method: ApiMethod | None
    id_instance: str | None
    known_instance: bool
    token_ok: bool
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    decoded: object
    receipt: str | None


class StatusModel:
    """GREEN-API's seven status methods, uploadFile, the instance's methods
    and the notification queue, in memory. Not thread-safe: ``FakeGreenAPI`` calls it under its
    lock."""

    def __init__(
        self,
        id_instance: str,
        api_token_instance: str,
        *,
        contacts: Iterable[ContactInput],
        rate_limits: Mapping[str, int] | None,
        clock: Callable[[], float],
        files: FileHost,
    ) -> None:
        self.book = ContactBook(contacts)
        self.rate_limits = rate_limits
        self.statuses: list[FakeStatus] = []
        self.requests: list[RecordedRequest] = []
        self.incoming: list[dict[str, object]] = []
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.deleted: list[str] = []
        self.state = "authorized"
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
        self.instances: dict[str, str] = {id_instance: api_token_instance}
        self._clock = clock
        self._files = files
        self._ids = itertools.count(1)
        self._accepted: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        # Whom each status reached, decided when it was accepted by the
        # contact list of that moment, and how far it got with each.
        self.recipients = Recipients()
        self.queue = NotificationQueue(clock)

    def record(
        self,
        http_method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Call:
        """Route a request, and keep it in ``requests`` with its token masked."""
        found = route(path)
        method = _METHODS.get(found.method_name) if found else None
        id_instance = found.id_instance if found else None
        expected_token = self.instances.get(id_instance or "")
        token_ok = found is not None and expected_token == found.token
        decoded = decode_json(body)
        self.requests.append(
            RecordedRequest(
                http_method=http_method,
                path=found.masked_path if found else path,
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
        return _Call(
            http_method=http_method,
            method=method,
            id_instance=id_instance,
            known_instance=expected_token is not None,
            token_ok=token_ok,
            query=query,
            headers=headers,
            body=body,
            decoded=decoded,
            receipt=found.receipt if found else None,
        )

    def answer(self, call: _Call) -> FakeReply:
        """What GREEN-API answers to ``call``."""
        method, id_instance = call.method, call.id_instance
        try:
            if method is None or method.http_method != call.http_method:
                return refusal(404, "Not Found")
            if (method is DELETE_NOTIFICATION) != (call.receipt is not None):
                return refusal(404, "Not Found")  # its receiptId is its own, and required
            if not call.known_instance or id_instance is None:
                return refusal(403, "Forbidden")
            if not call.token_ok:
                return refusal(401, "Unauthorized")
            self._check_rate(id_instance, method)
            self._check_ready(method)
            if method is UPLOAD_FILE:
                return self._upload(id_instance, call.headers, call.body)
            return self._call(method, id_instance, call)
        except Refused as refused:
            return refused.reply()

    def _check_ready(self, method: ApiMethod) -> None:
        not_ready = _NOT_READY_ANSWERS.get(self.state)
        if not_ready is not None and method not in (GET_STATE_INSTANCE, GET_SETTINGS):
            raise Refused(400, not_ready)

    def _check_rate(self, id_instance: str, method: ApiMethod) -> None:
        limit = (self.rate_limits or {}).get(method.name)
        if limit is None:
            return
        now = self._clock()
        accepted = self._accepted[(id_instance, method.name)]
        while accepted and accepted[0] <= now - 1.0:
            accepted.popleft()
        if len(accepted) >= limit:
            raise Refused(429, "Too Many Requests")
        accepted.append(now)

    def _call(self, method: ApiMethod, id_instance: str, call: _Call) -> FakeReply:
        if method.http_method == "POST":
            if "application/json" not in call.headers.get("content-type", ""):
                raise Refused(400, "Content-Type must be application/json")
            if not isinstance(call.decoded, dict):
                raise Refused(400, "Validation failed. Details: body must be a JSON object")
            payload: dict[str, object] = call.decoded
        if method is GET_STATE_INSTANCE:
            return ok({"stateInstance": self.state})
        if method is GET_SETTINGS:
            return ok(self.settings)
        if method is GET_CONTACTS:
            return ok(self.book.answer(call.query))
        if method is RECEIVE_NOTIFICATION:
            return ok(self.queue.receive(id_instance, call.query, polling=polling(self.settings)))
        if method is DELETE_NOTIFICATION:
            return ok(self.queue.delete(id_instance, call.receipt))
        if method.name in _KINDS:
            validate_send(method, payload)
            return ok({"idMessage": self._accept(method, id_instance, payload)})
        if method is DELETE_STATUS:
            return self._delete(id_instance, payload)
        recorded = self.settings.get("outgoingWebhook") == "yes"
        if method is GET_STATUS_STATISTIC:
            statistic = self._statistic(id_instance, call.query)
            return ok(statistic if recorded else [])
        minutes = minutes_of(call.query)
        if method is GET_OUTGOING_STATUSES:
            return ok(self._outgoing(id_instance, minutes) if recorded else [])
        assert method is GET_INCOMING_STATUSES
        since = self._clock() - minutes * 60
        return ok([item for item in self.incoming if _timestamp(item) >= since])

    def _accept(self, method: ApiMethod, id_instance: str, payload: dict[str, object]) -> str:
        id_message = f"3EB0{next(self._ids):016X}"
        status = FakeStatus(
            id_message=id_message,
            kind=_KINDS[method.name],
            payload=payload,
            id_instance=id_instance,
            timestamp=int(self._clock()),
        )
        self.statuses.append(status)
        self.recipients.record(status, self._reached_by(payload))
        return id_message

    def _reached_by(self, payload: Mapping[str, object]) -> list[str]:
        participants = payload.get("participants") or []
        if not isinstance(participants, (list, tuple)):  # a hand-made status's
            participants = []
        return self.book.reached_by([p for p in participants if isinstance(p, str)])

    def _find(self, id_instance: str, id_message: object) -> FakeStatus | None:
        for status in self.statuses:
            if status.id_instance == id_instance and status.id_message == id_message:
                return status
        return None

    def _delete(self, id_instance: str, payload: dict[str, object]) -> FakeReply:
        id_message = payload.get("idMessage")
        if not isinstance(id_message, str) or not id_message:
            raise Refused(400, "Validation failed. Details: 'idMessage' is required")
        status = self._find(id_instance, id_message)
        if status is None:
            raise Refused(400, f"status {id_message} not found")
        self.statuses.remove(status)
        self.recipients.forget(status)
        self.deleted.append(id_message)
        return FakeReply(200)

    def _statistic(self, id_instance: str, query: Mapping[str, str]) -> list[dict[str, object]]:
        id_message = query.get("idMessage")
        if not id_message:
            raise Refused(400, "Validation failed. Details: 'idMessage' is required")
        status = self._find(id_instance, id_message)
        if status is None:
            return []
        return [row.wire() for row in self.rows_of(status)]

    def rows_of(self, status: FakeStatus, *, keep: bool = False) -> list[RecipientRow]:
        """``status``'s statistic rows. One a test put in ``statuses`` itself
        follows the contacts of now, until kept (``keep``) to be moved."""
        return self.recipients.rows(status, lambda: self._reached_by(status.payload), keep=keep)

    def _outgoing(self, id_instance: str, minutes: int) -> list[dict[str, object]]:
        since = self._clock() - minutes * 60
        return [
            outgoing_item(status, self.rows_of(status))
            for status in self.statuses
            if status.id_instance == id_instance and status.timestamp >= since
        ]

    def _upload(self, id_instance: str, headers: Mapping[str, str], body: bytes) -> FakeReply:
        content_type = headers.get("content-type", "").split(";")[0].strip()
        if not content_type:
            raise Refused(400, "Content-Type with the file's MIME type is required")
        if len(body) > _UPLOAD_MAX:
            raise Refused(500, "file is larger than 100 MB")
        if not body:
            raise Refused(400, "the file is empty")
        given = unquote(headers.get("ga-filename", ""))
        stem, dot, _ = given.rpartition(".")
        if not (dot and stem):
            # GREEN-API names the file by its type; an undetectable one is .bin.
            given = f"{uuid.uuid4().hex}.{_EXTENSION_OF.get(content_type, 'bin')}"
        url = self._files.keep_upload(id_instance, given, body)
        self.uploads[url] = (content_type, body)
        return ok({"urlFile": url})


def _timestamp(item: Mapping[str, object]) -> float:
    value = item.get("timestamp")
    return float(value) if isinstance(value, (int, float)) else 0.0
