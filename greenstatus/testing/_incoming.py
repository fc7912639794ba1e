"""A status a contact posted, as the fake serves it twice: an item of
getIncomingStatuses, and the ``incomingMessageReceived`` webhook body from
``status@broadcast`` that GREEN-API queues for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from .._contacts import Contact
from .._file_names import CONTENT_TYPES
from ._contacts import same_chat

__all__ = ["IncomingPost", "incoming_post"]

_BY_MAJOR_TYPE = {"image": "imageMessage", "video": "videoMessage", "audio": "audioMessage"}
_DEFAULT_MIME = {
    "imageMessage": "image/jpeg",
    "videoMessage": "video/mp4",
    "audioMessage": "audio/ogg",
}
_EXTENSION_OF = {mime: extension for extension, mime in reversed(list(CONTENT_TYPES.items()))}
# GREEN-API gives these a caption and a preview; a voice status has neither.
_PICTURED = ("imageMessage", "videoMessage")


@attrs.frozen(kw_only=True)
class IncomingPost:
    """One contact's status, its defaults filled in."""

    id_message: str
    sender: str
    timestamp: int
    type_message: str
    sender_name: str
    sender_contact_name: str
    text: str | None
    background_color: str
    font: str
    download_url: str
    caption: str | None
    file_name: str
    mime_type: str
    jpeg_thumbnail: str | None

    def item(self) -> dict[str, object]:
        """The item getIncomingStatuses lists."""
        item: dict[str, object] = {
            "type": "incoming",
            "idMessage": self.id_message,
            "timestamp": self.timestamp,
            "typeMessage": self.type_message,
            "chatId": self.sender,
            "senderId": self.sender,
            "senderName": self.sender_name,
            "senderContactName": self.sender_contact_name,
        }
        if self.text is not None:
            item["textMessage"] = self.text
            if self.type_message != "textMessage":
                item["extendedTextMessage"] = self._extended()
            return item
        item.update(self._file())
        return item

    def webhook(self, instance_data: Mapping[str, object]) -> dict[str, object]:
        """The ``incomingMessageReceived`` body queued for it."""
        message: dict[str, object] = {"typeMessage": self.type_message}
        if self.text is None:
            message["fileMessageData"] = {
                "caption": "",
                "jpegThumbnail": "",
                **self._file(),
            }
        elif self.type_message == "textMessage":
            message["textMessageData"] = {"textMessage": self.text}
        else:
            message["extendedTextMessageData"] = self._extended()
        return {
            "typeWebhook": "incomingMessageReceived",
            "instanceData": dict(instance_data),
            "timestamp": self.timestamp,
            "idMessage": self.id_message,
            "senderData": {
                "chatId": "status@broadcast",
                "chatName": self.sender_name,
                "sender": self.sender,
                "senderName": self.sender_name,
                "senderContactName": self.sender_contact_name,
            },
            "messageData": message,
        }

    def _extended(self) -> dict[str, object]:
        return {"text": self.text, "backgroundColor": self.background_color, "font": self.font}

    def _file(self) -> dict[str, object]:
        fields: dict[str, object] = {"downloadUrl": self.download_url}
        if self.caption is not None or self.type_message in _PICTURED:
            fields["caption"] = self.caption or ""
        fields["fileName"] = self.file_name
        if self.jpeg_thumbnail is not None or self.type_message in _PICTURED:
            fields["jpegThumbnail"] = self.jpeg_thumbnail or ""
        fields["mimeType"] = self.mime_type
        return fields


def incoming_post(
    id_message: str,
    sender: str,
    *,
    timestamp: int,
    contacts: Sequence[Contact],
    fields: Mapping[str, str | None],
) -> IncomingPost:
    """``post_incoming``'s arguments (``fields``, by their Python names) made
    into a post, or ``TypeError``/``ValueError`` saying what is wrong."""
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not isinstance(sender, str):
        raise TypeError(f"sender must be a chat id (str), not {type(sender).__name__}")
    if "@" not in sender or any(char.isspace() for char in sender):
        raise ValueError(f"sender must be a chat id like '79001234567@c.us', not {sender!r}")
    text, url = fields["text"], fields["download_url"]
    if (text is None) == (url is None):
        raise ValueError(
            "post_incoming takes text= (a text status) or download_url= (a picture, video "
            "or voice status): exactly one of them"
        )
    text_only, media_only = ("background_color", "font"), ("caption", "file_name", "mime_type")
    not_for = (*media_only, "jpeg_thumbnail") if url is None else text_only
    wrong = [name for name in not_for if fields[name] is not None]
    if wrong:
        kind = "a text status" if url is None else "a media status"
        raise ValueError(f"{', '.join(wrong)} do not apply to {kind}")
    # The sender's names, unless given, are those the contact list holds.
    contact = next((c for c in contacts if same_chat(c.chat_id, sender)), None)
    sender_name, contact_name = fields["sender_name"], fields["sender_contact_name"]
    if sender_name is None:
        sender_name = contact.name if contact else ""
    if contact_name is None:
        contact_name = contact.contact_name if contact else ""
    if url is None:
        type_message, mime_type, file_name = fields["type_message"] or "extendedTextMessage", "", ""
    else:
        type_message, mime_type, file_name = _media(id_message, fields)
    return IncomingPost(
        id_message=id_message,
        sender=sender,
        timestamp=timestamp,
        type_message=type_message,
        sender_name=sender_name,
        sender_contact_name=contact_name,
        text=text,
        background_color=fields["background_color"] or "#000000",
        font=fields["font"] or "SERIF",
        download_url=url or "",
        caption=fields["caption"],
        file_name=file_name,
        mime_type=mime_type,
        jpeg_thumbnail=fields["jpeg_thumbnail"],
    )


def _media(id_message: str, fields: Mapping[str, str | None]) -> tuple[str, str, str]:
    """A media status's ``typeMessage``, ``mimeType`` and ``fileName``, each
    as given or told by the others: the type by the MIME type's major part,
    the MIME type by the name's extension, the name (GREEN-API generates it)
    by the idMessage and the MIME type."""
    type_message, mime_type, file_name = (
        fields["type_message"],
        fields["mime_type"],
        fields["file_name"],
    )
    if mime_type is None and file_name is not None:
        mime_type = CONTENT_TYPES.get(file_name.rpartition(".")[2].lower())
    if type_message is None:
        major = (mime_type or "image/").partition("/")[0]
        type_message = _BY_MAJOR_TYPE.get(major, "documentMessage")
    if mime_type is None:
        mime_type = _DEFAULT_MIME.get(type_message, "application/octet-stream")
    if file_name is None:
        file_name = f"{id_message}.{_EXTENSION_OF.get(mime_type, 'bin')}"
    return type_message, mime_type, file_name
