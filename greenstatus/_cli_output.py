"""What the command line says: its exit codes, a failure's code and hint, and
the output of every command, as text for people or as JSON (``--json``)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TextIO

import attrs

from ._audience import EMPTY_LIST, NAMED_LIMIT
from ._exceptions import (
    APIStatusError,
    AudienceError,
    AudienceReason,
    BadRequestError,
    InvalidStatusError,
    LinkCheckError,
)

__all__ = [
    "AUDIENCE_FIXES",
    "AUDIENCE_WHY",
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_LINK_REFUSED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Output",
    "UsageError",
    "as_json",
    "error_json",
    "exit_code",
    "hint_for",
]

EXIT_OK = 0
EXIT_FAILED = 1
"""GREEN-API answered an error or could not be reached, or the instance cannot send."""
EXIT_USAGE = 2
"""Bad usage or invalid input, found before anything was sent."""
EXIT_LINK_REFUSED = 3
"""A link check refused a link: its status would never appear (nothing was sent)."""
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it


class UsageError(Exception):
    """Bad usage or configuration: exit code 2. ``field`` names the argument
    to blame, where one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@attrs.define
class Output:
    as_json: bool
    stdout: TextIO
    stderr: TextIO

    def emit(self, data: object, text: str) -> None:
        print(json.dumps(data, ensure_ascii=False) if self.as_json else text, file=self.stdout)

    def table(self, rows: list[dict[str, object]], columns: Sequence[str]) -> list[int]:
        """The rows as a table under a header line (``--json``: one array);
        returns the column widths, for ``table_row`` (none when no header
        was printed)."""
        if self.as_json:
            print(json.dumps(rows, ensure_ascii=False), file=self.stdout)
            return []
        if not rows:
            print("(none)", file=self.stdout)
            return []
        cells = [[_cell(row.get(column)) for column in columns] for row in rows]
        widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
        for line in [list(columns), *cells]:
            self._line(line, widths)
        return widths

    def table_row(
        self, row: dict[str, object], columns: Sequence[str], widths: list[int]
    ) -> list[int]:
        """One more row of a table ``table`` printed, in its columns (``--json``:
        the row's object on a line of its own). With no ``widths`` (the table
        was empty) the header comes first. Returns the widths for the next."""
        if self.as_json:
            print(json.dumps(row, ensure_ascii=False), file=self.stdout)
            return widths
        cells = [_cell(row.get(column)) for column in columns]
        if not widths:
            widths = [max(len(c), len(cell)) for c, cell in zip(columns, cells, strict=True)]
            self._line(list(columns), widths)
        self._line(cells, widths)
        return widths

    def _line(self, cells: Sequence[str], widths: Sequence[int]) -> None:
        text = "  ".join(value.ljust(width) for value, width in zip(cells, widths, strict=True))
        print(text.rstrip(), file=self.stdout)

    def error(self, error: BaseException, hint: str | None = None) -> None:
        if self.as_json:
            data = error_json(error)
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


AUDIENCE_WHY: dict[AudienceReason, str] = {
    "unnamed": "saved without a name: a status reaches only contacts saved with a name",
    "beyond_limit": f"named, but after the first {NAMED_LIMIT} named contacts, "
    "the most a status reaches",
    "unknown": "not among the instance's contacts",
    "groups": "a group chat",
}
"""Why a status does not reach a participant, by ``AudienceError.reason``."""

AUDIENCE_FIXES: dict[AudienceReason, str] = {
    "unnamed": "save the number with a name in the sender's phone book, then re-authorize "
    "the instance or wait up to 5 minutes for the contacts to update",
    "beyond_limit": f"statuses reach only the first {NAMED_LIMIT} named contacts: remove "
    "the names of contacts statuses need not reach, so that this one is among the first "
    f"{NAMED_LIMIT}",
    "unknown": "check the number, country code first ('+7 900 123-45-67'); if it is right, "
    "save it with a name in the sender's phone book, then wait up to 5 minutes",
    "groups": "statuses never go to groups: give the members' numbers instead",
}
"""What to do about it, by ``AudienceError.reason``."""


def hint_for(error: BaseException, args: argparse.Namespace) -> str | None:
    """What to check, for the API errors whose cause is in the configuration,
    and what to do about a participant a status would not reach."""
    if isinstance(error, InvalidStatusError) and EMPTY_LIST in error.problem:
        return (
            "getContacts answered an empty list: try again in a minute; if it stays empty, "
            "scan the instance's QR code again in the GREEN-API console"
        )
    if isinstance(error, AudienceError):
        return AUDIENCE_FIXES[error.reason]
    if (
        isinstance(error, InvalidStatusError)
        and error.field == "participants"
        and getattr(args, "all_contacts", False)
    ):
        return (
            "`greenstatus audience` lists the contacts and why a status misses each; "
            "save the numbers with names in the phone, then wait up to 5 minutes"
        )
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
        403: f"check the instance id (from {instance_from}); some status methods are still "
        "in beta (deleteStatus, getIncomingStatuses), and GREEN-API support must give this "
        "instance access to them",
        404: f"check the API URL (from {url_from}): use the apiUrl the GREEN-API console shows",
        429: "over the instance's rate limit: wait and send again, or raise --max-attempts",
        466: "the plan's quota is used up: see the console, or upgrade the plan",
    }
    if isinstance(error, BadRequestError) and error.instance_not_ready:
        return "run `greenstatus doctor` for what to do about the instance's state"
    return hints.get(error.status_code)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def error_json(error: BaseException) -> dict[str, object]:
    data: dict[str, object] = {"ok": False, "error": type(error).__name__, "message": str(error)}
    if isinstance(error, APIStatusError):
        data["status_code"] = error.status_code
    field = getattr(error, "field", None)  # InvalidStatusError's, or a UsageError's
    if isinstance(field, str):
        data["field"] = field
    return data


def as_json(result: object) -> dict[str, object]:
    data = attrs.asdict(result, filter=lambda attribute, _: attribute.name != "raw")  # type: ignore[arg-type]
    raw = getattr(result, "raw", None)
    if raw is not None:
        data["raw"] = dict(raw)
    return data
