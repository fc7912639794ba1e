"""getOutgoingStatuses' item for a status the fake accepted, shaped as
GREEN-API documents it: ``statusMessage`` is the furthest state the status
reached with any recipient, ``timestamp`` the time of the last action on it."""

from __future__ import annotations

from collections.abc import Sequence

from .._file_names import CONTENT_TYPES
from ._fake_status import FakeStatus
from ._recipients import RecipientRow, furthest

__all__ = ["outgoing_item"]

_VIDEO = ("mp4", "mov", "m4v", "3gp", "avi", "mkv", "webm")


def outgoing_item(status: FakeStatus, rows: Sequence[RecipientRow]) -> dict[str, object]:
    state, last_action = furthest(rows, status)
    item: dict[str, object] = {
        "type": "outgoing",
        "idMessage": status.id_message,
        "timestamp": last_action,
        "chatId": "status@broadcast",
        "statusMessage": state,
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
