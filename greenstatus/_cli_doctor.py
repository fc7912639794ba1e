"""``doctor``: the instance's readiness as a checklist, with a fix for each
problem, who a status reaches, and how its notifications are delivered; exit
1 when something blocks sending."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

import attrs

from ._audience import NAMED_LIMIT, Audience
from ._cli_audience import NO_CONTACTS, NO_NAMED, in_all
from ._cli_client import client_from
from ._cli_output import EXIT_FAILED, EXIT_OK, Output, error_json, exit_code, hint_for
from ._exceptions import GreenStatusError
from ._readiness import InstanceSettings, ReadinessProblem

__all__ = ["doctor"]


async def doctor(args: argparse.Namespace, out: Output) -> int:
    """The instance's readiness as a checklist; exit 1 when something blocks sending."""
    found: Audience | None = None
    failure: GreenStatusError | None = None
    async with client_from(args) as client:
        try:
            readiness = await client.check_ready()
        except GreenStatusError as error:
            # As every command reports a failure: the error and its hint.
            out.error(error, hint=hint_for(error, args))
            return exit_code(error)
        if readiness.can_send:
            # One getContacts (1 request/s, paced by the client).
            try:
                found = await client.check_audience()
            except GreenStatusError as error:
                failure = error
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
    notifications = _notifications(settings)
    if notifications is not None:
        lines.append(_notifications_text(notifications))
    hint = hint_for(failure, args) if failure is not None else None
    audience_problem = _audience_problem(found, failure, hint)
    if found is None and failure is None:
        lines.append("[?] audience: not readable while the instance cannot send")
    else:
        lines.append(_check_line(audience_problem, _audience_text(found)))
    verdict = "ready to send" if readiness.can_send else "statuses cannot be sent now"
    warned = not readiness.ok or audience_problem is not None
    lines.append(f"{verdict}, with a warning" if warned and readiness.can_send else verdict)
    all_problems = [*readiness.problems, *([audience_problem] if audience_problem else [])]
    out.emit(
        {
            "ok": readiness.can_send and failure is None,
            "can_send": readiness.can_send,
            "state": state.value,
            "statistics_available": readiness.statistics_available,
            "problems": [attrs.asdict(problem) for problem in all_problems],
            "audience": _audience_json(found),
            "audience_error": _error_json(failure, hint),
            "notifications": notifications,
        },
        "\n".join(lines),
    )
    if failure is not None:
        # Standard error hears of it as of every command's failure.
        print(f"greenstatus: error: {failure}", file=out.stderr)
        if hint:
            print(f"greenstatus: hint: {hint}", file=out.stderr)
        return exit_code(failure)
    return EXIT_OK if readiness.can_send else EXIT_FAILED


def _notifications(settings: InstanceSettings | None) -> dict[str, str | None] | None:
    """How GREEN-API delivers the instance's notifications: ``{"channel":
    "webhooks", "webhook_origin": "https://host"}`` while getSettings names a
    webhookUrl, else ``{"channel": "queue", "webhook_origin": None}``; ``None``
    when the settings are unknown. Only the URL's scheme and host are kept:
    its path or query may hold a secret."""
    if settings is None:
        return None
    url = settings.raw.get("webhookUrl")
    if not isinstance(url, str) or not url.strip():
        return {"channel": "queue", "webhook_origin": None}
    return {"channel": "webhooks", "webhook_origin": _origin(url.strip())}


def _origin(url: str) -> str | None:
    """``https://host[:port]`` of ``url``, without its user, path or query;
    ``None`` when it has no scheme and host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not parts.scheme or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _notifications_text(notifications: dict[str, str | None]) -> str:
    if notifications["channel"] == "queue":
        return "[i] notifications: the queue (receiveNotification); no webhook URL is set"
    origin = notifications["webhook_origin"]
    where = f"{origin}/…" if origin else "a URL without a scheme and host"
    return (
        f"[i] notifications: webhooks to {where} (the queue, receiveNotification, gives "
        "nothing while a webhook URL is set)"
    )


def _audience_text(found: Audience | None) -> str:
    """``audience: reached 812 of at most 1024 named contacts; 391 unnamed
    (1203 contacts in all)``."""
    if found is None:
        return "audience: unknown"
    beyond = f", {len(found.beyond_limit)} beyond the limit" if found.beyond_limit else ""
    return (
        f"audience: reached {len(found.reached)} of at most {NAMED_LIMIT} named contacts; "
        f"{len(found.unnamed)} unnamed{beyond} ({in_all(found)})"
    )


def _audience_problem(
    found: Audience | None, failure: GreenStatusError | None, hint: str | None
) -> ReadinessProblem | None:
    if failure is not None:
        return ReadinessProblem(
            code="audience",
            message=f"audience: getContacts failed: {failure}",
            hint=hint or "run `greenstatus doctor` again in a minute",
            blocks_sending=False,
        )
    if found is None or found.reached:
        return None
    if not found.contacts:
        return ReadinessProblem(
            code="audience",
            message="audience: getContacts listed no contacts",
            hint=NO_CONTACTS,
            blocks_sending=False,
        )
    return ReadinessProblem(
        code="audience", message=_audience_text(found), hint=NO_NAMED, blocks_sending=False
    )


def _audience_json(found: Audience | None) -> dict[str, int] | None:
    if found is None:
        return None
    return {
        "reached": len(found.reached),
        "unnamed": len(found.unnamed),
        "beyond_limit": len(found.beyond_limit),
        "groups": len(found.groups),
        "contacts": found.contacts,
        "named": found.named,
        "limit": NAMED_LIMIT,
    }


def _error_json(failure: GreenStatusError | None, hint: str | None) -> dict[str, object] | None:
    if failure is None:
        return None
    data = error_json(failure)
    if hint:
        data["hint"] = hint
    return data


def _check_line(problem: ReadinessProblem | None, passed: str) -> str:
    if problem is None:
        return f"[ok] {passed}"
    mark = "[x]" if problem.blocks_sending else "[!]"
    return f"{mark} {problem.message}\n    fix: {problem.hint}"
