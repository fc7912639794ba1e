"""``send-batch``: statuses from a JSON Lines file (or standard input), each
line checked, all sent together, each line's result in order, and a progress
bar on a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO

import attrs

from ._cli_client import client_from, decode
from ._cli_output import (
    EXIT_FAILED,
    EXIT_LINK_REFUSED,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    UsageError,
    error_json,
    exit_code,
)
from ._exceptions import InvalidStatusError
from ._requests import MediaStatus, Status, TextStatus, VoiceStatus
from ._results import SendResult

__all__ = ["send_batch"]

_KINDS: dict[str, type[TextStatus] | type[VoiceStatus] | type[MediaStatus]] = {
    "text": TextStatus,
    "voice": VoiceStatus,
    "media": MediaStatus,
}


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
    return decode(data, name).splitlines()


async def send_batch(args: argparse.Namespace, out: Output) -> int:
    lines = [
        _parse_line(number, text)
        for number, text in enumerate(_read_lines(args.file), start=1)
        if text.strip()  # blank lines separate, they are not statuses
    ]
    valid = [line for line in lines if line.status is not None]
    progress = _Progress(len(valid), out.stderr)
    results: dict[int, SendResult] = {}
    if valid:
        async with client_from(args) as client:
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
            data, message = error_json(problem), str(problem)
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
