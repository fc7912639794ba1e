"""The ``greenstatus`` command line: send, delete and read statuses from a shell.

Exit codes, one per kind of failure and the same for every subcommand: 0
success, 1 GREEN-API or the network failed (or the instance cannot send), 2 bad
usage or invalid input, 3 a link check refused a link.
The API token comes from ``GREEN_API_TOKEN`` or ``--token-file``, never a flag,
and is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO
from urllib.parse import urlsplit

import anyio
import attrs

from ._client import AsyncStatusClient
from ._exceptions import (
    APIStatusError,
    BadRequestError,
    GreenStatusError,
    InvalidStatusError,
    LinkCheckError,
)
from ._instance import DEFAULT_API_URL, DEFAULT_MEDIA_URL
from ._readiness import ReadinessProblem
from ._requests import Font, MediaStatus, Status, TextStatus, VoiceStatus
from ._results import SendResult, SentStatus
from ._retry import ExponentialBackoff
from ._version import __version__

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
"""GREEN-API answered an error or could not be reached, or the instance cannot send."""
EXIT_USAGE = 2
"""Bad usage or invalid input, found before anything was sent."""
EXIT_LINK_REFUSED = 3
"""A link check refused a link: its status would never appear (nothing was sent)."""
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it

_KINDS: dict[str, type[TextStatus] | type[VoiceStatus] | type[MediaStatus]] = {
    "text": TextStatus,
    "voice": VoiceStatus,
    "media": MediaStatus,
}


class UsageError(Exception):
    """Bad usage or configuration: exit code 2. ``field`` names the argument
    to blame, where one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    out = _Output(as_json=args.json, stdout=sys.stdout, stderr=sys.stderr)
    # The command line is an application: it shows greenstatus's warnings (a
    # retry, a plain-http URL) on stderr, as the library leaves to applications.
    with _warnings_on(sys.stderr):
        return _run(args, out)


@contextlib.contextmanager
def _warnings_on(stream: TextIO) -> Iterator[None]:
    logger = logging.getLogger("greenstatus")
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _run(args: argparse.Namespace, out: _Output) -> int:
    try:
        code: int = anyio.run(args.run, args, out)
        out.stdout.flush()
    except (UsageError, GreenStatusError) as error:
        out.error(error, hint=_hint(error, args))
        return exit_code(error)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (greenstatus outgoing | head): end quietly, with
        # the status a shell gives a process ended by SIGPIPE. Python would try
        # to flush stdout again at exit, so it points at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


# -- arguments ---------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenstatus",
        description="Send and read WhatsApp statuses through GREEN-API.",
        epilog="Credentials: GREEN_API_ID_INSTANCE, GREEN_API_TOKEN, GREEN_API_URL and "
        "GREEN_API_MEDIA_URL, or --id-instance, --token-file, --api-url and --media-url.",
    )
    parser.add_argument("--version", action="version", version=f"greenstatus {__version__}")
    _add_common(parser, argparse_default=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[..., Awaitable[int]], help_text: str) -> Any:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, argparse_default=False)
        sub.set_defaults(run=run)
        return sub

    text = command("send-text", _send, "send a text status")
    text.set_defaults(kind=TextStatus)
    text.add_argument("message")
    text.add_argument("--background-color", metavar="HEX")
    text.add_argument("--font", choices=[font.name for font in Font])
    text.add_argument("--participant", action="append", default=[], metavar="ID")

    file_help = "a direct link to the file, or a local file to upload first"
    name_help = "the file's name with its extension; by default the link's or the file's own"
    voice = command("send-voice", _send, "send a voice status (.mp3 or .wav)")
    voice.set_defaults(kind=VoiceStatus)
    voice.add_argument("url_file", metavar="URL_FILE|PATH", help=file_help)
    voice.add_argument("--file-name", metavar="NAME", help=name_help)
    voice.add_argument("--background-color", metavar="HEX")
    voice.add_argument("--participant", action="append", default=[], metavar="ID")
    _add_check_links(voice)

    media = command("send-media", _send, "send a picture or video status")
    media.set_defaults(kind=MediaStatus)
    media.add_argument("url_file", metavar="URL_FILE|PATH", help=file_help)
    media.add_argument("--file-name", metavar="NAME", help=name_help)
    media.add_argument("--caption", metavar="TEXT")
    media.add_argument("--participant", action="append", default=[], metavar="ID")
    _add_check_links(media)

    link = command("check-link", _check_link, "check that a link will show as a status")
    link.add_argument("url_file", metavar="URL_FILE")
    link.add_argument("--kind", choices=("voice", "media"), required=True)
    command("doctor", _doctor, "check that the instance can post statuses people see")

    command("delete", _delete, "delete a status").add_argument("id_message", metavar="ID_MESSAGE")
    command("stats", _stats, "who a status reached").add_argument(
        "id_message", metavar="ID_MESSAGE"
    )
    for name, run, what in (
        ("incoming", _incoming, "statuses your contacts posted"),
        ("outgoing", _outgoing, "statuses this account posted"),
    ):
        command(name, run, what).add_argument("--minutes", type=int, metavar="N")

    batch = command("send-batch", _send_batch, "send statuses from a JSON Lines file")
    batch.add_argument("file", metavar="FILE|-")
    _add_check_links(batch)
    command("demo", _demo, "send to an offline fake GREEN-API on loopback and show it")
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


def _add_check_links(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-links",
        action="store_true",
        help="check each link first, and refuse one whose status would never appear",
    )


def _attempts(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _client(args: argparse.Namespace, *, credentials: bool = True) -> AsyncStatusClient:
    """A client from the options and the environment. Without ``credentials``
    (a link check, which never calls GREEN-API) none are read."""
    env = os.environ
    if not credentials:
        # A stand-in token no link can hold: the check refuses links holding the token.
        # The API URL still counts: links on its host pass as GREEN-API's own do.
        api_url = args.api_url or env.get("GREEN_API_URL") or DEFAULT_API_URL
        try:
            return AsyncStatusClient("0", secrets.token_hex(16), api_url=api_url)
        except ValueError as error:
            raise UsageError(str(error), "api_url") from None
    id_instance = args.id_instance or env.get("GREEN_API_ID_INSTANCE")
    if not id_instance:
        raise UsageError("no instance id: set GREEN_API_ID_INSTANCE or pass --id-instance")
    if args.token_file:
        try:
            token = _decode(Path(args.token_file).read_bytes(), "--token-file").strip()
        except OSError as error:
            raise UsageError(f"cannot read --token-file: {error.strerror}") from None
    else:
        token = env.get("GREEN_API_TOKEN", "")
    if not token:
        raise UsageError("no API token: set GREEN_API_TOKEN or pass --token-file")
    try:
        return AsyncStatusClient(
            id_instance,
            token,
            api_url=args.api_url or env.get("GREEN_API_URL") or DEFAULT_API_URL,
            media_url=args.media_url or env.get("GREEN_API_MEDIA_URL") or DEFAULT_MEDIA_URL,
            retry=ExponentialBackoff(max_attempts=args.max_attempts),
            check_links=getattr(args, "check_links", False),
        )
    except ValueError as error:
        raise UsageError(str(error)) from None


# -- output ------------------------------------------------------------------------


@attrs.define
class _Output:
    as_json: bool
    stdout: TextIO
    stderr: TextIO

    def emit(self, data: object, text: str) -> None:
        print(json.dumps(data, ensure_ascii=False) if self.as_json else text, file=self.stdout)

    def table(self, rows: list[dict[str, object]], columns: Sequence[str]) -> None:
        if self.as_json:
            print(json.dumps(rows, ensure_ascii=False), file=self.stdout)
            return
        if not rows:
            print("(none)", file=self.stdout)
            return
        cells = [[_cell(row.get(column)) for column in columns] for row in rows]
        widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
        for line in [list(columns), *cells]:
            text = "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True))
            print(text.rstrip(), file=self.stdout)

    def error(self, error: BaseException, hint: str | None = None) -> None:
        if self.as_json:
            data = _error_json(error)
            if hint:
                data["hint"] = hint
            print(json.dumps(data, ensure_ascii=False), file=self.stdout)
        print(f"greenstatus: error: {error}", file=self.stderr)
        if hint:
            print(f"greenstatus: hint: {hint}", file=self.stderr)


def exit_code(error: BaseException) -> int:
    """The exit code of a failure, by its kind, whichever command met it."""
    if isinstance(error, LinkCheckError):
        return EXIT_LINK_REFUSED
    if isinstance(error, (UsageError, InvalidStatusError)):
        return EXIT_USAGE
    return EXIT_FAILED


def _hint(error: BaseException, args: argparse.Namespace) -> str | None:
    """What to check, for the API errors whose cause is in the configuration."""
    if not isinstance(error, APIStatusError):
        return None
    token_from = (
        f"--token-file {args.token_file}"
        if getattr(args, "token_file", None)
        else "GREEN_API_TOKEN"
    )
    instance_from = (
        "--id-instance" if getattr(args, "id_instance", None) else "GREEN_API_ID_INSTANCE"
    )
    url_from = "--api-url" if getattr(args, "api_url", None) else "GREEN_API_URL"
    hints = {
        401: f"the API token (from {token_from}) is wrong: copy apiTokenInstance from the "
        "GREEN-API console",
        403: f"check the instance id (from {instance_from}); the status methods are in beta, "
        "so GREEN-API support must also have given this instance access to them",
        404: f"check the API URL (from {url_from}): use the apiUrl the GREEN-API console shows",
        429: "over the instance's rate limit: wait and send again, or raise --max-attempts",
        466: "the plan's quota is used up: see the console, or upgrade the plan",
    }
    if isinstance(error, BadRequestError) and error.instance_not_ready:
        return "run `greenstatus doctor` for what to do about the instance's state"
    return hints.get(error.status_code)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _error_json(error: BaseException) -> dict[str, object]:
    data: dict[str, object] = {"ok": False, "error": type(error).__name__, "message": str(error)}
    if isinstance(error, APIStatusError):
        data["status_code"] = error.status_code
    field = getattr(error, "field", None)  # InvalidStatusError's, or a UsageError's
    if isinstance(field, str):
        data["field"] = field
    return data


def _as_json(result: object) -> dict[str, object]:
    data = attrs.asdict(result, filter=lambda attribute, _: attribute.name != "raw")  # type: ignore[arg-type]
    raw = getattr(result, "raw", None)
    if raw is not None:
        data["raw"] = dict(raw)
    return data


# -- commands ----------------------------------------------------------------------


async def _send(args: argparse.Namespace, out: _Output) -> int:
    """send-text, send-voice and send-media: the request class's own fields.
    A voice or media file that is not an http(s) link is a local file, uploaded first."""
    kind = args.kind
    local = kind is not TextStatus and urlsplit(args.url_file).scheme not in ("http", "https")
    async with _client(args) as client:
        if local:
            sent = await _send_file(client, args)
        else:
            if kind is not TextStatus and args.file_name is None:
                args.file_name = PurePosixPath(urlsplit(args.url_file).path).name
            names = [field.name for field in attrs.fields(kind) if field.name != "participants"]
            status = kind(
                **{name: getattr(args, name) for name in names}, participants=args.participant
            )
            sent = await client.send(status)
    out.emit({"ok": True, "id_message": sent.id_message}, f"sent {sent.id_message}")
    return EXIT_OK


async def _send_file(client: AsyncStatusClient, args: argparse.Namespace) -> SentStatus:
    if args.kind is VoiceStatus:
        return await client.send_voice_file(
            args.url_file,
            background_color=args.background_color,
            participants=args.participant,
            file_name=args.file_name,
        )
    return await client.send_media_file(
        args.url_file, caption=args.caption, participants=args.participant, file_name=args.file_name
    )


async def _check_link(args: argparse.Namespace, out: _Output) -> int:
    async with _client(args, credentials=False) as client:
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


async def _doctor(args: argparse.Namespace, out: _Output) -> int:
    """The instance's readiness as a checklist; exit 1 when something blocks sending."""
    async with _client(args) as client:
        try:
            readiness = await client.check_ready()
        except GreenStatusError as error:
            # As every command reports a failure: the error and its hint.
            out.error(error, hint=_hint(error, args))
            return exit_code(error)
    lines = [f"greenstatus doctor: instance {client.id_instance} at {client.api_url}"]
    state = readiness.state
    problems = {problem.code: problem for problem in readiness.problems}
    lines.append(_check_line(problems.get("state"), f"state: {state.value}"))
    settings = readiness.settings
    if settings is None:
        lines.append("[?] settings: not readable while the instance is in this state")
    else:
        lines.append(
            _check_line(
                problems.get("outgoing_webhook"),
                "outgoingWebhook: on (statistics and outgoing statuses are recorded)",
            )
        )
        if settings.delay_send_messages_ms is not None:
            lines.append(
                f"[i] queue: {settings.delay_send_messages_ms} ms between two sends "
                "(delaySendMessagesMilliseconds)"
            )
    verdict = "ready to send" if readiness.can_send else "statuses cannot be sent now"
    lines.append(
        verdict if readiness.ok or not readiness.can_send else f"{verdict}, with a warning"
    )
    out.emit(
        {
            "ok": readiness.can_send,
            "can_send": readiness.can_send,
            "state": state.value,
            "statistics_available": readiness.statistics_available,
            "problems": [attrs.asdict(problem) for problem in readiness.problems],
        },
        "\n".join(lines),
    )
    return EXIT_OK if readiness.can_send else EXIT_FAILED


def _check_line(problem: ReadinessProblem | None, passed: str) -> str:
    if problem is None:
        return f"[ok] {passed}"
    mark = "[x]" if problem.blocks_sending else "[!]"
    return f"{mark} {problem.message}\n    fix: {problem.hint}"


async def _delete(args: argparse.Namespace, out: _Output) -> int:
    async with _client(args) as client:
        await _checked(client.delete_status(args.id_message), "id_message")
    out.emit({"ok": True, "deleted": args.id_message}, f"deleted {args.id_message}")
    return EXIT_OK


async def _stats(args: argparse.Namespace, out: _Output) -> int:
    async with _client(args) as client:
        recipients = await _checked(client.get_status_statistic(args.id_message), "id_message")
    out.table([_as_json(r) for r in recipients], ("participant", "status", "timestamp"))
    return EXIT_OK


async def _incoming(args: argparse.Namespace, out: _Output) -> int:
    async with _client(args) as client:
        statuses = await _checked(client.get_incoming_statuses(args.minutes), "minutes")
    columns = ("timestamp", "id_message", "type_message", "sender_id", "sender_name")
    out.table([_as_json(s) for s in statuses], columns)
    return EXIT_OK


async def _outgoing(args: argparse.Namespace, out: _Output) -> int:
    async with _client(args) as client:
        statuses = await _checked(client.get_outgoing_statuses(args.minutes), "minutes")
    columns = ("timestamp", "id_message", "type_message", "status_message", "file_name")
    out.table([_as_json(s) for s in statuses], columns)
    return EXIT_OK


async def _checked(call: Awaitable[Any], field: str) -> Any:
    # Argument errors of the client's methods (ValueError) are usage errors,
    # of the one argument the command passes on.
    try:
        return await call
    except GreenStatusError:
        raise
    except ValueError as error:
        raise UsageError(str(error), field) from None


# -- send-batch ----------------------------------------------------------------------


@attrs.frozen
class _Line:
    number: int
    status: Status | None = None
    problem: InvalidStatusError | str | None = None
    """What is wrong with the line: a field's error, or (not a JSON object) words."""


def _parse_line(number: int, text: str) -> _Line:
    try:
        item = json.loads(text)
    except ValueError as error:
        return _Line(number, problem=f"not JSON: {error}")
    if not isinstance(item, dict):
        return _Line(number, problem="not a JSON object")
    kind_name = item.pop("type", None)
    kind = _KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        return _Line(
            number, problem=InvalidStatusError("type", "must be one of text, voice, media")
        )
    fields = attrs.fields(kind)
    unknown = sorted(set(item) - {field.name for field in fields})
    if unknown:
        return _Line(
            number, problem=InvalidStatusError(unknown[0], f"not a field of a {kind.__name__}")
        )
    missing = [f.name for f in fields if f.default is attrs.NOTHING and f.name not in item]
    if missing:
        return _Line(
            number, problem=InvalidStatusError(missing[0], f"is required in a {kind.__name__}")
        )
    try:
        return _Line(number, status=kind(**item))
    except InvalidStatusError as error:
        return _Line(number, problem=error)
    except TypeError as error:  # a value of a type no field takes, caught by no check
        return _Line(number, problem=str(error).replace("__init__()", kind.__name__))


def _read_lines(source: str) -> list[str]:
    name = "standard input" if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {name}: {error.strerror}") from None
    return _decode(data, name).splitlines()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{name} is not UTF-8 text (line {line}, byte {error.start}: "
            f"{data[error.start : error.start + 1]!r})"
        ) from None


async def _send_batch(args: argparse.Namespace, out: _Output) -> int:
    lines = [
        _parse_line(number, text)
        for number, text in enumerate(_read_lines(args.file), start=1)
        if text.strip()  # blank lines separate, they are not statuses
    ]
    valid = [line for line in lines if line.status is not None]
    progress = _Progress(len(valid), out.stderr)
    results: dict[int, SendResult] = {}
    if valid:
        async with _client(args) as client:
            sent = await client.send_all(
                [line.status for line in valid if line.status is not None],
                on_result=lambda index, result: progress.advance(),
            )
        progress.finish()
        results = {line.number: result for line, result in zip(valid, sent, strict=True)}
    codes: set[int] = set()
    failed: list[int] = []
    for line in lines:
        result = results.get(line.number)
        if result is not None and result.ok:
            out.emit(
                {"line": line.number, "ok": True, "id_message": result.id_message},
                f"line {line.number}: sent {result.id_message}",
            )
            continue
        failed.append(line.number)
        problem = result.error if result is not None else line.problem
        if isinstance(problem, str):
            codes.add(EXIT_USAGE)
            data: dict[str, object] = {"ok": False, "error": "InvalidStatusError"}
            message = problem
        else:
            assert problem is not None  # a line is sent, or has a problem
            codes.add(exit_code(problem))
            data, message = _error_json(problem), str(problem)
        out.emit(
            {"line": line.number, **data, "message": message},
            f"line {line.number}: error: {message}",
        )
    if failed:
        # Standard error hears of every failure, as for every command: a cron
        # job that logs standard output still mails this.
        numbers = ("line " if len(failed) == 1 else "lines ") + ", ".join(map(str, failed))
        print(
            f"greenstatus: error: {len(failed)} of {len(lines)} lines not sent "
            f"({numbers}); each line's result is on standard output",
            file=out.stderr,
        )
    # Several kinds of failure: the one that needs a person most, in this order.
    for code in (EXIT_FAILED, EXIT_LINK_REFUSED, EXIT_USAGE):
        if code in codes:
            return code
    return EXIT_OK


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()

    def advance(self) -> None:
        self.done += 1
        if self.enabled:
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# -- demo ------------------------------------------------------------------------------


async def _demo(args: argparse.Namespace, out: _Output) -> int:
    import tempfile

    from .testing import FakeGreenAPI

    fake = FakeGreenAPI(contacts=("79001234567@c.us", "447700900123@c.us", "15550109999@c.us"))
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="greenstatus-demo-") as folder:
        recording = Path(folder) / "horse.mp3"
        recording.write_bytes(_DEMO_MP3)
        async with (
            fake.serve() as url,
            AsyncStatusClient(
                fake.id_instance, fake.token, api_url=url, media_url=url, check_links=True
            ) as client,
        ):
            # A local file: uploaded, and its link is a direct one.
            uploaded = await client.upload_file(recording)
            notes.append(f"uploaded {recording.name} from a local file: {uploaded.url_file}")
            # A download link: GREEN-API would accept it, and no one would see it.
            download = fake.host_file(
                "horse-download.mp3", _DEMO_MP3, content_type="application/octet-stream"
            )
            try:
                await client.check_link(download, "voice")
            except LinkCheckError as refused:
                notes.append(f"refused a download link before sending it: {refused.problem}")
            picture = fake.host_file("horse.png", _DEMO_PNG, content_type="image/png")
            statuses: list[Status] = [
                TextStatus(
                    message="Hello from greenstatus", background_color="#228B22", font="SERIF"
                ),
                VoiceStatus(url_file=uploaded.url_file, file_name="horse.mp3"),
                MediaStatus(
                    url_file=picture,
                    file_name="horse.png",
                    caption="Little horse",
                    participants=["+7 900 123-45-67"],
                ),
            ]
            sources = ["text", "uploaded file", "checked link"]
            results = await client.send_all(statuses)
            outgoing = {s.id_message: s for s in await client.get_outgoing_statuses()}
            rows: list[dict[str, object]] = []
            for result, source in zip(results, sources, strict=True):
                if result.error is not None:
                    raise result.error
                assert result.id_message is not None
                recipients = await client.get_status_statistic(result.id_message)
                listed = outgoing.get(result.id_message)
                rows.append(
                    {
                        "kind": type(result.request).__name__,
                        "id_message": result.id_message,
                        "type_message": listed.type_message if listed else None,
                        "state": listed.status_message if listed else None,
                        "recipients": len(recipients),
                        "source": source,
                    }
                )
    if not out.as_json:
        print(
            f"greenstatus demo: a fake GREEN-API served on {url} (loopback only)", file=out.stdout
        )
        for note in notes:
            print(note, file=out.stdout)
        print(f"sent {len(results)} statuses concurrently, then read them back:\n", file=out.stdout)
    out.table(rows, ("kind", "id_message", "type_message", "state", "recipients", "source"))
    return EXIT_OK


# The first bytes of an MP3 and of a PNG file: the fake keeps bytes, it does
# not decode them.
_DEMO_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(246)
_DEMO_PNG = b"\x89PNG\r\n\x1a\n" + bytes(56)
