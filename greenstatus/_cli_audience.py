"""``audience``: who a status reaches, by GREEN-API's rule (contacts saved with
a name, the first 1024 of them), for all contacts or for the participants
given, with what to do about each one it misses; and the words ``doctor``
shares with it."""

from __future__ import annotations

import argparse

from ._audience import NAMED_LIMIT, Audience, chat_ids_of
from ._cli_client import client_from
from ._cli_output import AUDIENCE_FIXES, AUDIENCE_WHY, EXIT_FAILED, EXIT_OK, Output

__all__ = ["LISTED", "NO_CONTACTS", "NO_NAMED", "audience", "in_all"]

LISTED = 20
"""How many chat ids of each kind the text lists; ``--json`` lists all."""

NO_CONTACTS = (
    "GREEN-API says an empty list can be passing: ask again in a minute; if it stays "
    "empty, scan the instance's QR code again"
)
"""What to do when getContacts lists no contacts."""
NO_NAMED = (
    "no contact is saved with a name: a status reaches no one; save the numbers with "
    "names in the phone, then wait up to 5 minutes"
)
"""What to do when contacts are listed and none is reached."""

_LIST_FIXES = {
    "unnamed": "save these numbers with names in the sender's phone book, then re-authorize "
    "the instance or wait up to 5 minutes for the contacts to update",
    "beyond_limit": f"statuses reach only the first {NAMED_LIMIT} named contacts: remove the "
    f"names of contacts statuses need not reach, to bring these within the first {NAMED_LIMIT}",
}
_LIST_TITLES = {"unnamed": "unnamed", "beyond_limit": "beyond the limit"}


async def audience(args: argparse.Namespace, out: Output) -> int:
    """The report on all contacts, or on the participants given; exit 1 when
    a participant is not reached (or, for all contacts, no one is)."""
    # A bad participant is an input error, found before any request.
    chosen = chat_ids_of(args.participants) if args.participants else None
    async with client_from(args) as client:
        found = await client.check_audience(chosen)
    if chosen is None:
        ok = bool(found.reached)
        text = _summary(found)
    else:
        ok = not found.missed
        text = _verdicts(found, chosen)
    out.emit({"ok": ok, **_audience_json(found)}, text)
    return EXIT_OK if ok else EXIT_FAILED


def _audience_json(found: Audience) -> dict[str, object]:
    """Every chat id of the report, and the counts."""
    return {
        "reached": list(found.reached),
        "unnamed": list(found.unnamed),
        "beyond_limit": list(found.beyond_limit),
        "unknown": list(found.unknown),
        "groups": list(found.groups),
        "contacts": found.contacts,
        "named": found.named,
        "limit": NAMED_LIMIT,
    }


def _reached_line(found: Audience) -> str:
    """``reached: 812 of at most 1024 named contacts (1203 contacts in all)``."""
    return (
        f"reached: {len(found.reached)} of at most {NAMED_LIMIT} named contacts ({in_all(found)})"
    )


def in_all(found: Audience) -> str:
    """``1203 contacts in all``, or ``1 contact in all``."""
    return f"{found.contacts} contact{'' if found.contacts == 1 else 's'} in all"


def _summary(found: Audience) -> str:
    lines = [
        _reached_line(found),
        f"unnamed: {len(found.unnamed)} (saved without a name)",
        f"beyond the limit: {len(found.beyond_limit)} (named, after the first {NAMED_LIMIT})",
        f"groups: {len(found.groups)} (statuses never go to groups)",
    ]
    for reason in ("unnamed", "beyond_limit"):
        chat_ids: tuple[str, ...] = getattr(found, reason)
        if not chat_ids:
            continue
        lines.append(f"{_LIST_TITLES[reason]}, which a status does not reach:")
        lines.extend(f"  {chat_id}" for chat_id in chat_ids[:LISTED])
        if len(chat_ids) > LISTED:
            lines.append(f"  ... and {len(chat_ids) - LISTED} more (--json lists them all)")
        lines.append(f"  fix: {_LIST_FIXES[reason]}")
    if not found.contacts:
        lines.append(f"getContacts listed no contacts: {NO_CONTACTS}")
    elif not found.reached:
        lines.append(NO_NAMED)
    return "\n".join(lines)


def _verdicts(found: Audience, chosen: tuple[str, ...]) -> str:
    """Each participant not reached, in the order given, with why and a fix;
    then how many are reached."""
    reasons = dict(found.missed)
    lines = [f"getContacts listed no contacts: {NO_CONTACTS}"] if not found.contacts else []
    for chat_id in chosen:
        reason = reasons.get(chat_id)
        if reason is not None:
            lines.append(f"[x] {chat_id}: {AUDIENCE_WHY[reason]}")
            lines.append(f"    fix: {AUDIENCE_FIXES[reason]}")
    given = len(found.reached) + len(reasons)
    lines.append(f"reached: {len(found.reached)} of {given} participant{'' if given == 1 else 's'}")
    return "\n".join(lines)
