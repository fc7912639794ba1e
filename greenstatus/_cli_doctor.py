"""``doctor``: the instance's readiness as a checklist, with a fix for each
problem; exit 1 when something blocks sending."""

from __future__ import annotations

import argparse

import attrs

from ._cli_client import client_from
from ._cli_output import EXIT_FAILED, EXIT_OK, Output, exit_code, hint_for
from ._exceptions import GreenStatusError
from ._readiness import ReadinessProblem

__all__ = ["doctor"]


async def doctor(args: argparse.Namespace, out: Output) -> int:
    """The instance's readiness as a checklist; exit 1 when something blocks sending."""
    async with client_from(args) as client:
        try:
            readiness = await client.check_ready()
        except GreenStatusError as error:
            # As every command reports a failure: the error and its hint.
            out.error(error, hint=hint_for(error, args))
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
