"""What the fake records and answers: one request as it arrived, one reply,
and the JSON answers GREEN-API gives."""

from __future__ import annotations

import json
from collections.abc import Mapping

import attrs

__all__ = [
    "FakeReply",
    "RecordedRequest",
    "Refused",
    "decode_json",
    "json_bytes",
    "ok",
    "refusal",
]


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


class Refused(Exception):
    """A request GREEN-API refuses: answered ``status_code`` with ``{"message": ...}``."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code

    def reply(self) -> FakeReply:
        return refusal(self.status_code, str(self))


def decode_json(body: bytes) -> object:
    """The JSON ``body`` holds, or ``None`` when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def refusal(status_code: int, message: str) -> FakeReply:
    return FakeReply(
        status_code, {"Content-Type": "application/json"}, json_bytes({"message": message})
    )


def ok(value: object) -> FakeReply:
    return FakeReply(200, {"Content-Type": "application/json"}, json_bytes(value))
