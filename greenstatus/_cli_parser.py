"""The command line's arguments: every subcommand, its options and the command
it runs, and the options common to all of them."""

from __future__ import annotations

import argparse
import importlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

from ._methods import DEFAULT_INCOMING_INTERVAL, DEFAULT_STATISTIC_INTERVAL
from ._requests import Font, MediaStatus, TextStatus, VoiceStatus
from ._retry import ExponentialBackoff
from ._version import __version__

__all__ = ["build_parser"]

Run = Callable[[argparse.Namespace, Any], Awaitable[int]]


def _run_later(where: str) -> Run:
    """A command's function (``module:function``), imported when the command
    runs: ``--help``, ``--version`` and each command load only their own."""
    module, _, function = where.partition(":")

    async def run(args: argparse.Namespace, out: Any) -> int:
        found: Run = getattr(importlib.import_module(f"greenstatus.{module}"), function)
        return await found(args, out)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenstatus",
        description="Send and read WhatsApp statuses through GREEN-API.",
        epilog="Credentials: GREEN_API_ID_INSTANCE, GREEN_API_TOKEN, GREEN_API_URL and "
        "GREEN_API_MEDIA_URL, or --id-instance, --token-file, --api-url and --media-url.",
    )
    parser.add_argument("--version", action="version", version=f"greenstatus {__version__}")
    _add_common(parser, argparse_default=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: str, help_text: str, *, network: bool = True) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, argparse_default=False)
        # network: the command calls GREEN-API (or fetches a link) over TLS.
        sub.set_defaults(run=_run_later(run), network=network)
        return sub

    text = command("send-text", "_cli_send:send", "send a text status")
    text.set_defaults(kind=TextStatus)
    text.add_argument("message")
    text.add_argument("--background-color", metavar="HEX")
    text.add_argument("--font", choices=[font.name for font in Font])
    _add_participants(text)

    file_help = "a direct link to the file, or a local file to upload first"
    name_help = "the file's name with its extension; by default the link's or the file's own"
    voice = command("send-voice", "_cli_send:send", "send a voice status (.mp3 or .wav)")
    voice.set_defaults(kind=VoiceStatus)
    voice.add_argument("url_file", metavar="URL_FILE|PATH", help=file_help)
    voice.add_argument("--file-name", metavar="NAME", help=name_help)
    voice.add_argument("--background-color", metavar="HEX")
    voice.add_argument(
        "--prepare",
        action="store_true",
        help="convert a local file first to an MP3 a voice status plays (ogg, m4a, flac...; "
        "needs greenstatus[media])",
    )
    _add_participants(voice)
    _add_check_links(voice)

    media = command("send-media", "_cli_send:send", "send a picture or video status")
    media.set_defaults(kind=MediaStatus)
    media.add_argument("url_file", metavar="URL_FILE|PATH", help=file_help)
    media.add_argument("--file-name", metavar="NAME", help=name_help)
    media.add_argument("--caption", metavar="TEXT")
    media.add_argument(
        "--prepare",
        action="store_true",
        help="convert a local file first to a JPEG or an H.264 MP4 a status shows (webp, heic, "
        "gif, webm...; needs greenstatus[media])",
    )
    media.add_argument(
        "--fit",
        choices=("9:16",),
        help="with --prepare: pad to the vertical frame statuses are shown in",
    )
    _add_participants(media)
    _add_check_links(media)

    link = command("check-link", "_cli_send:check_link", "check that a link will show as a status")
    link.add_argument("url_file", metavar="URL_FILE")
    link.add_argument("--kind", choices=("voice", "media"), required=True)
    command("doctor", "_cli_doctor:doctor", "check that the instance can post statuses people see")
    command(
        "audience",
        "_cli_audience:audience",
        "who a status reaches: all contacts, or the participants given",
    ).add_argument(
        "participants",
        nargs="*",
        metavar="PARTICIPANT",
        help="chat ids or phone numbers, country code first; none: all contacts",
    )

    command("delete", "_cli_statuses:delete", "delete a status").add_argument(
        "id_message", metavar="ID_MESSAGE"
    )
    command("stats", "_cli_statuses:stats", "who a status reached").add_argument(
        "id_message", metavar="ID_MESSAGE"
    )
    watching = command(
        "watch",
        "_cli_watch:watch",
        "who receives and reads a status, live, until all have read it or --until",
    )
    watching.add_argument("id_message", metavar="ID_MESSAGE")
    watching.add_argument(
        "--until",
        type=_seconds,
        metavar="SECONDS",
        help="stop this many seconds from now; by default 24 hours after the status is first "
        "seen (a status shows that long)",
    )
    watching.add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help=f"seconds between two polls of getStatusStatistic; default "
        f"{DEFAULT_STATISTIC_INTERVAL:g} (1 request per second at most)",
    )
    lists: dict[str, argparse.ArgumentParser] = {}
    for name, run, what in (
        ("incoming", "_cli_statuses:incoming", "statuses your contacts posted"),
        ("outgoing", "_cli_statuses:outgoing", "statuses this account posted"),
    ):
        lists[name] = command(name, run, what)
        lists[name].add_argument("--minutes", type=int, metavar="N")
    lists["incoming"].add_argument(
        "--follow",
        action="store_true",
        help="then print each status posted after the list, as it comes, until Ctrl-C",
    )
    lists["incoming"].add_argument(
        "--interval",
        type=_seconds,
        metavar="SECONDS",
        help=f"with --follow: seconds between two polls of getIncomingStatuses; default "
        f"{DEFAULT_INCOMING_INTERVAL:g}",
    )

    batch = command("send-batch", "_cli_batch:send_batch", "send statuses from a JSON Lines file")
    batch.add_argument("file", metavar="FILE|-")
    _add_check_links(batch)
    _add_check_audience(batch)
    command(
        "demo",
        "_cli_demo:demo",
        "send to an offline fake GREEN-API on loopback and show it",
        network=False,
    )
    return parser


def _add_common(parser: argparse.ArgumentParser, *, argparse_default: bool) -> None:
    # On subcommands the defaults are SUPPRESS, so an option given before the
    # subcommand is not reset by the subcommand's own default.
    def default(value: object) -> object:
        return value if argparse_default else argparse.SUPPRESS

    group = parser.add_argument_group("common options")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="machine-readable output"
    )
    group.add_argument("--id-instance", default=default(None), metavar="ID")
    group.add_argument("--api-url", default=default(None), metavar="URL")
    group.add_argument("--media-url", default=default(None), metavar="URL")
    group.add_argument(
        "--token-file", default=default(None), metavar="PATH", help="file holding the API token"
    )
    # No %(default)s in help texts: on subcommands the default is SUPPRESS.
    group.add_argument(
        "--max-attempts",
        type=_attempts,
        default=default(ExponentialBackoff().max_attempts),
        metavar="N",
        help="attempts per request, the first included (failures that may have been "
        f"delivered are never repeated); default {ExponentialBackoff().max_attempts}",
    )


def _add_participants(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group()
    who.add_argument(
        "--participant",
        action="append",
        default=[],
        metavar="ID",
        help="a chat id or phone number to send to (repeat it for more); none: all contacts",
    )
    who.add_argument(
        "--all-contacts",
        action="store_true",
        help="send to every contact a status reaches, named one by one (one getContacts first)",
    )
    _add_check_audience(parser)


def _add_check_audience(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-audience",
        action="store_true",
        help="check the participants against the contacts first (one getContacts), and refuse "
        "one a status would not reach",
    )


def _add_check_links(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-links",
        action="store_true",
        help="check each link first, and refuse one whose status would never appear",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _attempts(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value
