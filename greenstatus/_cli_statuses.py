"""The commands on statuses already posted: ``delete`` one, ``stats`` (who one
reached), and the lists ``incoming`` and ``outgoing``."""

from __future__ import annotations

import argparse

from ._cli_client import checked, client_from
from ._cli_output import EXIT_OK, Output, as_json

__all__ = ["delete", "incoming", "outgoing", "stats"]


async def delete(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args) as client:
        await checked(client.delete_status(args.id_message), "id_message")
    out.emit({"ok": True, "deleted": args.id_message}, f"deleted {args.id_message}")
    return EXIT_OK


async def stats(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args) as client:
        recipients = await checked(client.get_status_statistic(args.id_message), "id_message")
    out.table([as_json(r) for r in recipients], ("participant", "status", "timestamp"))
    return EXIT_OK


async def incoming(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args) as client:
        statuses = await checked(client.get_incoming_statuses(args.minutes), "minutes")
    columns = ("timestamp", "id_message", "type_message", "sender_id", "sender_name")
    out.table([as_json(s) for s in statuses], columns)
    return EXIT_OK


async def outgoing(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args) as client:
        statuses = await checked(client.get_outgoing_statuses(args.minutes), "minutes")
    columns = ("timestamp", "id_message", "type_message", "status_message", "file_name")
    out.table([as_json(s) for s in statuses], columns)
    return EXIT_OK
