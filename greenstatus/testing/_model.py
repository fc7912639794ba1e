"""The model of GREEN-API's status methods: instances and their tokens, the
methods' rules, the statuses queued, lists, statistics, deletes and uploads.

It answers as GREEN-API does, so it checks what GREEN-API checks, which is not
what greenstatus checks before sending: where the two rules are the same
GREEN-API rule, the value is shared (``MESSAGE_MAX``, ``CAPTION_MAX``, ``Font``);
elsewhere the fake keeps its own, and says why.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from typing import Literal
from urllib.parse import unquote

import attrs

from .._file_names import CONTENT_TYPES
from .._methods import (
    ALL_METHODS,
    DELETE_STATUS,
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
from .._requests import CAPTION_MAX, MESSAGE_MAX, Font
from ._files import FileHost
from ._replies import FakeReply, RecordedRequest, Refused, decode_json, ok, refusal

__all__ = ["FakeStatus", "StatusKind", "StatusModel"]

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
_FONTS = tuple(font.value for font in Font)
# The pattern greenstatus's own colour check uses too; that one is a private
# detail of its request module (which may move), so the fake keeps its copy.
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_UPLOAD_MAX = 100 * 1024 * 1024
_VIDEO = ("mp4", "mov", "m4v", "3gp", "avi", "mkv", "webm")
_EXTENSION_OF = {mime: extension for extension, mime in reversed(list(CONTENT_TYPES.items()))}


@attrs.frozen(kw_only=True)
class FakeStatus:
    """A status the fake accepted: what was sent, and the id it was given."""

    id_message: str
    kind: StatusKind
    payload: Mapping[str, object]
    id_instance: str
    timestamp: int


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


class StatusModel:
    """GREEN-API's seven status methods and uploadFile, in memory. Not
    thread-safe: ``FakeGreenAPI`` calls it under its lock."""

    def __init__(
        self,
        id_instance: str,
        api_token_instance: str,
        *,
        contacts: tuple[str, ...],
        rate_limits: Mapping[str, int] | None,
        clock: Callable[[], float],
        files: FileHost,
    ) -> None:
        self.contacts = contacts
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

    def record(
        self,
        http_method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Call:
        """Route a request, and keep it in ``requests`` with its token masked."""
        match = _PATH.fullmatch(path)
        method = _METHODS.get(match["method"]) if match else None
        id_instance = match["id"] if match else None
        expected_token = self.instances.get(id_instance or "")
        token_ok = bool(match) and expected_token == (match["token"] if match else None)
        decoded = decode_json(body)
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
        )

    def answer(self, call: _Call) -> FakeReply:
        """What GREEN-API answers to ``call``."""
        method, id_instance = call.method, call.id_instance
        try:
            if method is None or method.http_method != call.http_method:
                return refusal(404, "Not Found")
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
        if method.name in _KINDS:
            _validate_send(method, payload)
            return ok({"idMessage": self._accept(method, id_instance, payload)})
        if method is DELETE_STATUS:
            return self._delete(id_instance, payload)
        recorded = self.settings.get("outgoingWebhook") == "yes"
        if method is GET_STATUS_STATISTIC:
            statistic = self._statistic(id_instance, call.query)
            return ok(statistic if recorded else [])
        minutes = _minutes(call.query)
        if method is GET_OUTGOING_STATUSES:
            return ok(self._outgoing(id_instance, minutes) if recorded else [])
        assert method is GET_INCOMING_STATUSES
        since = self._clock() - minutes * 60
        return ok([item for item in self.incoming if _timestamp(item) >= since])

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
            raise Refused(400, "Validation failed. Details: 'idMessage' is required")
        status = self._find(id_instance, id_message)
        if status is None:
            raise Refused(400, f"status {id_message} not found")
        self.statuses.remove(status)
        self.deleted.append(id_message)
        return FakeReply(200)

    def _statistic(self, id_instance: str, query: Mapping[str, str]) -> list[dict[str, object]]:
        id_message = query.get("idMessage")
        if not id_message:
            raise Refused(400, "Validation failed. Details: 'idMessage' is required")
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


def _validate_send(method: ApiMethod, payload: dict[str, object]) -> None:
    def fail(detail: str) -> Refused:
        return Refused(400, f"Validation failed. Details: {detail}")

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
        text("message", required=True, max_len=MESSAGE_MAX)
        font = payload.get("font")
        if font is not None and font not in _FONTS:
            raise fail(f"'font' must be one of {', '.join(_FONTS)}")
    else:
        text("urlFile", required=True)
        text("fileName", required=True)
        # GREEN-API asks for an extension, any; greenstatus's own check is
        # stricter (the extensions a phone shows as a status), so not shared.
        file_name = str(payload["fileName"])
        if "." not in file_name.strip("."):
            raise fail("'fileName' must have an extension")
    if method is SEND_MEDIA_STATUS:
        text("caption", required=False, max_len=CAPTION_MAX)
    color = payload.get("backgroundColor")
    if color is not None and not (isinstance(color, str) and _COLOR.fullmatch(color)):
        raise fail("'backgroundColor' must be a colour like #228B22")
    # GREEN-API documents an array of strings; greenstatus checks and
    # normalises each chat id before sending, a rule of its own, so not shared.
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
        mimeType=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    return item


def _minutes(query: Mapping[str, str]) -> int:
    raw = query.get("minutes")
    if raw is None:
        return 1440
    if not raw.isdigit() or int(raw) < 1:
        raise Refused(400, "Validation failed. Details: 'minutes' must be a positive integer")
    return int(raw)


def _timestamp(item: Mapping[str, object]) -> float:
    value = item.get("timestamp")
    return float(value) if isinstance(value, (int, float)) else 0.0
