"""The commands that send one status (``send-text``, ``send-voice``,
``send-media``: from a link, or a local file uploaded first) and the one that
checks a link before any send (``check-link``)."""

from __future__ import annotations

import argparse
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import attrs

from ._cli_client import client_from
from ._cli_output import EXIT_LINK_REFUSED, EXIT_OK, Output
from ._client import AsyncStatusClient
from ._exceptions import InvalidStatusError, LinkCheckError
from ._participants import ALL_CONTACTS, AllContacts
from ._requests import TextStatus, VoiceStatus
from ._results import SentStatus

__all__ = ["check_link", "send"]


async def send(args: argparse.Namespace, out: Output) -> int:
    """send-text, send-voice and send-media: the request class's own fields.
    A voice or media file that is not an http(s) link is a local file, uploaded first."""
    kind = args.kind
    local = kind is not TextStatus and urlsplit(args.url_file).scheme not in ("http", "https")
    if not local and getattr(args, "prepare", False):
        raise InvalidStatusError("url_file", "--prepare converts a local file: give a path")
    async with client_from(args) as client:
        if local:
            sent = await _send_file(client, args)
        else:
            if kind is not TextStatus and args.file_name is None:
                args.file_name = PurePosixPath(urlsplit(args.url_file).path).name
            names = [field.name for field in attrs.fields(kind) if field.name != "participants"]
            status = kind(
                **{name: getattr(args, name) for name in names}, participants=_participants(args)
            )
            sent = await client.send(status)
    out.emit({"ok": True, "id_message": sent.id_message}, f"sent {sent.id_message}")
    return EXIT_OK


def _participants(args: argparse.Namespace) -> list[str] | AllContacts:
    """``--all-contacts`` (expanded by the client when it sends), else the
    ``--participant`` options."""
    return ALL_CONTACTS if args.all_contacts else list(args.participant)


async def _send_file(client: AsyncStatusClient, args: argparse.Namespace) -> SentStatus:
    if args.kind is VoiceStatus:
        return await client.send_voice_file(
            args.url_file,
            background_color=args.background_color,
            participants=_participants(args),
            file_name=args.file_name,
            prepare=args.prepare,
        )
    return await client.send_media_file(
        args.url_file,
        caption=args.caption,
        participants=_participants(args),
        file_name=args.file_name,
        prepare=args.prepare,
        fit=args.fit if args.prepare else None,
    )


async def check_link(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args, credentials=False) as client:
        try:
            checked = await client.check_link(args.url_file, args.kind)
        except LinkCheckError as refused:
            out.error(refused)
            return EXIT_LINK_REFUSED
    size = f"{checked.size} bytes" if checked.size is not None else "size not given"
    moved = f", at {checked.final_url}" if checked.final_url != checked.url else ""
    out.emit(
        {"ok": True, **attrs.asdict(checked)},
        f"ok: {args.kind} status from a direct link ({checked.content_type}, {size}{moved})",
    )
    return EXIT_OK
