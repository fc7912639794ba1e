"""The commands on statuses already posted: ``delete`` one, ``stats`` (who one
reached), and the lists ``incoming`` (``--follow``: and what comes after it)
and ``outgoing``."""

from __future__ import annotations

import argparse
import time

from ._cli_client import checked, client_from
from ._cli_output import EXIT_OK, Output, UsageError, as_json
from ._cli_watch import follow_incoming

__all__ = ["delete", "incoming", "outgoing", "stats"]

# getIncomingStatuses' window when no ``minutes`` is given: a day.
_DEFAULT_MINUTES = 24 * 60


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
    """The list; with ``--follow``, then each status posted after it, until Ctrl-C."""
    if args.interval is not None and not args.follow:
        raise UsageError("--interval goes with --follow", "interval")
    columns = ("timestamp", "id_message", "type_message", "sender_id", "sender_name")
    async with client_from(args) as client:
        # The window the list covers, which the follow goes on from.
        since = max(1.0, time.time() - 60 * (args.minutes or _DEFAULT_MINUTES))
        statuses = await checked(client.get_incoming_statuses(args.minutes), "minutes")
        widths = out.table([as_json(s) for s in statuses], columns)
        if not args.follow:
            return EXIT_OK
        out.stdout.flush()
        return await follow_incoming(
            client,
            out,
            columns=columns,
            widths=widths,
            shown={status.id_message for status in statuses},
            since=since,
            interval=args.interval,
        )


async def outgoing(args: argparse.Namespace, out: Output) -> int:
    async with client_from(args) as client:
        statuses = await checked(client.get_outgoing_statuses(args.minutes), "minutes")
    columns = ("timestamp", "id_message", "type_message", "status_message", "file_name")
    out.table([as_json(s) for s in statuses], columns)
    return EXIT_OK
