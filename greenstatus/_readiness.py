"""An instance's state and settings, and what they mean for sending statuses."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._instance_state import InstanceState
from ._instance_state import not_ready_state as not_ready_state  # where _outcome imports it
from ._numbers import whole_number
from ._raw import RawItem, raw_field

__all__ = [
    "InstanceSettings",
    "InstanceState",
    "Readiness",
    "ReadinessProblem",
    "assess",
    "parse_settings",
    "parse_state",
]


@attrs.frozen(kw_only=True)
class InstanceSettings:
    """What greenstatus reads of getSettings; everything else is in ``raw``
    (with ``webhookUrlToken``, a secret of yours, masked)."""

    outgoing_webhook: bool | None
    """``outgoingWebhook`` is "yes": statistics and outgoing statuses are recorded."""
    delay_send_messages_ms: int | None
    """``delaySendMessagesMilliseconds``: the pause between two sends of the queue."""
    raw: Mapping[str, object] = raw_field()


@attrs.frozen(kw_only=True)
class ReadinessProblem:
    """One thing in the way, and how to fix it."""

    code: str
    """A stable name: ``"state"`` or ``"outgoing_webhook"``."""
    message: str
    hint: str
    blocks_sending: bool
    """Statuses will not reach anyone until it is fixed."""


@attrs.frozen(kw_only=True)
class Readiness:
    """Whether an instance can post statuses people see, and what is in the way.

    Built by [`check_ready`][greenstatus.AsyncStatusClient.check_ready] from getStateInstance and
    getSettings.
    """

    state: InstanceState
    settings: InstanceSettings | None
    """``None`` when getSettings could not be read in this state."""
    problems: tuple[ReadinessProblem, ...] = ()

    @property
    def can_send(self) -> bool:
        """Nothing blocks sending."""
        return not any(problem.blocks_sending for problem in self.problems)

    @property
    def statistics_available(self) -> bool | None:
        """getStatusStatistic will list recipients (``outgoingWebhook`` is on);
        ``None`` when the settings are unknown."""
        return None if self.settings is None else self.settings.outgoing_webhook is True

    @property
    def outgoing_statuses_available(self) -> bool | None:
        """getOutgoingStatuses will list the statuses sent (same setting)."""
        return self.statistics_available

    @property
    def ok(self) -> bool:
        """No problem at all."""
        return not self.problems


_STATE_PROBLEMS: Mapping[InstanceState, tuple[str, str]] = {
    InstanceState.NOT_AUTHORIZED: (
        "the instance's WhatsApp account is not linked (state notAuthorized)",
        "open the instance in the GREEN-API console and scan its QR code with WhatsApp "
        "on the phone (Settings > Linked devices); sends are kept in the queue up to 24 "
        "hours meanwhile",
    ),
    InstanceState.STARTING: (
        "the instance is starting (state starting)",
        "wait a few minutes and check again; a quick retry rarely helps. If it lasts, "
        "reboot the instance in the console",
    ),
    InstanceState.BLOCKED: (
        "WhatsApp banned the account (state blocked)",
        "appeal in WhatsApp on the phone; statuses cannot be sent from this number",
    ),
    InstanceState.SLEEP_MODE: (
        "the phone is offline (state sleepMode)",
        "turn the phone on and connect it to the internet",
    ),
    InstanceState.YELLOW_CARD: (
        "WhatsApp suspended sending for a while, suspecting spam (state yellowCard)",
        "stop sending for some hours, then send less, and only to people who saved the number",
    ),
}


def state_problem(state: InstanceState) -> ReadinessProblem | None:
    """What a state means for sending, or ``None`` when it is ready."""
    if state is InstanceState.AUTHORIZED:
        return None
    if not state.known:
        return ReadinessProblem(
            code="state",
            message=f"the instance is in a state greenstatus does not know ({state.value!r})",
            hint="check the instance in the GREEN-API console, and upgrade greenstatus",
            blocks_sending=True,
        )
    message, hint = _STATE_PROBLEMS[state]
    return ReadinessProblem(code="state", message=message, hint=hint, blocks_sending=True)


def not_ready_advice(state: InstanceState) -> str:
    problem = state_problem(state)
    assert problem is not None
    return (
        f"{problem.message[0].upper()}{problem.message[1:]}: {problem.hint}. Run "
        "`greenstatus doctor` (or client.check_ready()) for the whole checklist"
    )


def assess(state: InstanceState, settings: InstanceSettings | None) -> Readiness:
    problems = [problem for problem in (state_problem(state),) if problem is not None]
    if settings is not None and settings.outgoing_webhook is not True:
        problems.append(
            ReadinessProblem(
                code="outgoing_webhook",
                message="outgoingWebhook is off: getStatusStatistic and getOutgoingStatuses "
                "answer empty lists",
                hint="turn on 'Receive webhooks on sent messages statuses' in the console (or "
                "setSettings with outgoingWebhook 'yes'); it applies within 5 minutes and "
                "covers only statuses sent after that",
                blocks_sending=False,
            )
        )
    return Readiness(state=state, settings=settings, problems=tuple(problems))


def parse_state(body: object) -> InstanceState:
    """``{"stateInstance": "..."}``."""
    value = body.get("stateInstance") if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise ValueError(f"stateInstance is {value!r}, expected a non-empty string")
    return InstanceState(value)


_SECRET_SETTINGS = ("webhookUrlToken",)


def parse_settings(body: object) -> InstanceSettings:
    """getSettings' object: the fields a sender needs, and the rest kept."""
    if not isinstance(body, dict):
        raise ValueError(f"getSettings answered {type(body).__name__}, expected an object")
    webhook = body.get("outgoingWebhook")
    delay = body.get("delaySendMessagesMilliseconds")
    raw = {
        key: ("***" if key in _SECRET_SETTINGS and value else value) for key, value in body.items()
    }
    return InstanceSettings(
        outgoing_webhook={"yes": True, "no": False}.get(webhook)
        if isinstance(webhook, str)
        else None,
        delay_send_messages_ms=whole_number(delay),
        raw=RawItem(raw),
    )
