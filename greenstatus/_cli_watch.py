"""``watch``: one status's recipients as they receive and read it, live; and
what ``incoming --follow`` prints after the list.

Both run until they end by themselves (``watch``: every recipient has read
the status, or ``--until``) or Ctrl-C, which ends them as every command ends
on it (exit 130), ``watch`` printing its summary first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TextIO

import anyio

from ._cli_client import client_from
from ._cli_output import EXIT_OK, Output, UsageError, as_json
from ._client import AsyncStatusClient
from ._watch import StatisticChange

__all__ = ["follow_incoming", "watch"]

# The states in the order a recipient moves through them; the summary counts
# a recipient in every state up to theirs (one who read was sent it too).
_STATES = ("sent", "delivered", "read")
_FIRST_SIGHT = "new"
"""What a line shows as the state before a recipient's first."""


async def watch(args: argparse.Namespace, out: Output) -> int:
    """Each change of a status's recipients, until all have read it, ``--until``
    passes, or Ctrl-C (the summary so far, then exit 130)."""
    async with client_from(args) as client:
        try:
            changes = client.watch_statistic(
                args.id_message, until=args.until, interval=args.interval
            )
        except ValueError as error:
            raise UsageError(str(error), "id_message") from None
        view = _view(out, args.id_message)
        view.start()
        try:
            async with changes:
                async for change in changes:
                    view.change(change)
        except (KeyboardInterrupt, anyio.get_cancelled_exc_class()):
            view.end(interrupted=True)
            raise
        view.end(interrupted=False)
    return EXIT_OK


async def follow_incoming(
    client: AsyncStatusClient,
    out: Output,
    *,
    columns: Sequence[str],
    widths: list[int],
    shown: set[str],
    since: float,
    interval: float | None,
) -> int:
    """Contacts' statuses posted from ``since`` on and not in ``shown`` (what
    the list already printed), as rows of that list, until Ctrl-C."""
    async with client.watch_incoming(interval=interval, since=since) as statuses:
        async for status in statuses:
            if status.id_message in shown:
                continue
            widths = out.table_row(as_json(status), columns, widths)
            out.stdout.flush()
    return EXIT_OK


def moment(timestamp: int) -> str:
    """A GREEN-API timestamp as UTC ISO 8601: ``2027-01-15T08:00:00Z``."""
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


class _Recipients:
    """Each recipient's state and its time, in the order first seen."""

    def __init__(self, id_message: str) -> None:
        self.id_message = id_message
        self.states: dict[str, tuple[str, int]] = {}

    def apply(self, change: StatisticChange) -> None:
        self.states[change.participant] = (change.status, change.timestamp)

    def counts(self) -> dict[str, int]:
        """How many reached each state or went further, then any other state
        GREEN-API may name, by name."""
        counts = dict.fromkeys(_STATES, 0)
        for status, _ in self.states.values():
            if status in _STATES:
                for state in _STATES[: _STATES.index(status) + 1]:
                    counts[state] += 1
            else:
                counts[status] = counts.get(status, 0) + 1
        return counts

    def summary(self) -> str:
        """``5 recipients: 5 sent, 3 delivered, 3 read``."""
        total = len(self.states)
        counts = ", ".join(f"{count} {state}" for state, count in self.counts().items())
        return f"{total} recipient{'' if total == 1 else 's'}: {counts}"

    def summary_json(self, *, interrupted: bool) -> dict[str, object]:
        counts = self.counts()
        all_read = bool(self.states) and all(s == "read" for s, _ in self.states.values())
        ended = "interrupted" if interrupted else "all_read" if all_read else "until"
        return {
            "id_message": self.id_message,
            "recipients": len(self.states),
            **{state: counts[state] for state in _STATES},
            "other": {state: n for state, n in counts.items() if state not in _STATES},
            "ended": ended,
        }


class _View:
    """How ``watch`` shows what it sees: one line per change (this one), one
    JSON object per change, or a table redrawn in place."""

    def __init__(self, out: Output, id_message: str) -> None:
        self.out = out
        self.seen = _Recipients(id_message)

    def start(self) -> None:
        """Before the first poll."""

    def change(self, change: StatisticChange) -> None:
        self.seen.apply(change)
        previous = change.previous or _FIRST_SIGHT
        self._print(f"{moment(change.timestamp)} {change.participant} {previous}->{change.status}")

    def end(self, *, interrupted: bool) -> None:
        self._print(self.seen.summary())

    def _print(self, line: str) -> None:
        print(line, file=self.out.stdout)
        self.out.stdout.flush()


class _JsonView(_View):
    def change(self, change: StatisticChange) -> None:
        self.seen.apply(change)
        self._print(json.dumps(as_json(change), ensure_ascii=False))

    def end(self, *, interrupted: bool) -> None:
        self._print(json.dumps(self.seen.summary_json(interrupted=interrupted)))


class _LiveView(_View):
    """A table of the recipients, one line each, and the summary under it,
    redrawn in place after each change (ANSI: cursor up, clear)."""

    def __init__(self, out: Output, id_message: str) -> None:
        super().__init__(out, id_message)
        self._drawn = 0  # lines the last drawing left above the cursor
        self._order: list[str] = []  # participants, the latest change last

    def start(self) -> None:
        self._draw(f"watching {self.seen.id_message} (Ctrl-C to stop)")

    def change(self, change: StatisticChange) -> None:
        self.seen.apply(change)
        if change.participant in self._order:
            self._order.remove(change.participant)
        self._order.append(change.participant)
        self._draw(f"watching {self.seen.id_message} (Ctrl-C to stop)")

    def end(self, *, interrupted: bool) -> None:
        self._draw(f"status {self.seen.id_message}" + (", interrupted" if interrupted else ""))

    def _draw(self, title: str) -> None:
        lines = [title, *self._rows(), self.seen.summary()]
        width = max(20, shutil.get_terminal_size().columns - 1)
        stream = self.out.stdout
        # Back to the first line drawn, each line rewritten and the rest of it
        # cleared, then anything below (a ^C echoed by the terminal) erased.
        up = f"\x1b[{self._drawn}F" if self._drawn else "\r"
        drawn = "".join(f"{line[:width]}\x1b[K\n" for line in lines)
        stream.write(f"{up}{drawn}\x1b[J")
        stream.flush()
        self._drawn = len(lines)

    def _rows(self) -> list[str]:
        """A line per recipient in the order first seen; on a terminal too
        short for them all, those that changed last, and how many more."""
        room = max(1, shutil.get_terminal_size().lines - 3)
        states = self.seen.states
        shown = list(states)
        more: list[str] = []
        if len(shown) > room:
            latest = set(self._order[-(room - 1) :]) if room > 1 else set()
            shown = [participant for participant in states if participant in latest]
            more = [f"... and {len(states) - len(shown)} more"]
        if not shown:
            return more
        wide = max(len(participant) for participant in shown)
        state_wide = max(len(states[participant][0]) for participant in shown)
        return [
            f"{participant.ljust(wide)}  {states[participant][0].ljust(state_wide)}  "
            f"{moment(states[participant][1])}"
            for participant in shown
        ] + more


def _view(out: Output, id_message: str) -> _View:
    if out.as_json:
        return _JsonView(out, id_message)
    if _is_terminal(out.stdout) and os.environ.get("TERM") != "dumb":
        return _LiveView(out, id_message)
    return _View(out, id_message)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
