"""The instance methods of ``AsyncStatusClient``: its state, its settings,
and whether statuses sent now will be seen."""

from __future__ import annotations

import attrs

from ._client_parts import ClientParts
from ._exceptions import BadRequestError, GreenStatusError
from ._methods import GET_SETTINGS, GET_STATE_INSTANCE
from ._options import check_retry
from ._readiness import (
    InstanceSettings,
    InstanceState,
    Readiness,
    assess,
    parse_settings,
    parse_state,
)
from ._retry import RetryPolicy

__all__ = ["InstanceMethods"]


class InstanceMethods(ClientParts):
    async def get_state_instance(self, *, retry: RetryPolicy | None = None) -> InstanceState:
        """The instance's state (getStateInstance): ``InstanceState.AUTHORIZED``
        when it can send. A state GREEN-API adds later comes back as is."""
        return await self._pipeline.call(GET_STATE_INSTANCE, parse_state, retry)

    async def get_settings(self, *, retry: RetryPolicy | None = None) -> InstanceSettings:
        """The instance's settings (getSettings) that matter to statuses."""
        return await self._pipeline.call(GET_SETTINGS, parse_settings, retry)

    async def check_ready(self, *, retry: RetryPolicy | None = None) -> Readiness:
        """Whether statuses sent now will be seen, and what is in the way.

        Asks getStateInstance, then getSettings, each within its rate limit
        (1 request/s). The result says whether the instance can send
        (``can_send``), whether statistics and outgoing statuses will be
        recorded (``statistics_available``), and lists each problem with a hint.
        Errors of the calls themselves (a wrong token: 401) are raised.
        """
        state = await self.get_state_instance(retry=retry)
        try:
            # A not-ready instance may refuse its settings too: no use asking again.
            settings: InstanceSettings | None = await self.get_settings(
                retry=_UntilNotReady(self._options.retry if retry is None else check_retry(retry))
            )
        except BadRequestError as error:
            if not error.instance_not_ready:
                raise
            settings = None  # a starting instance may not answer with its settings yet
        return assess(state, settings)


@attrs.frozen
class _UntilNotReady:
    """A retry policy as ``policy``, except that an instance not ready is final."""

    policy: RetryPolicy

    def next_delay(self, attempt: int, error: GreenStatusError) -> float | None:
        if isinstance(error, BadRequestError) and error.instance_not_ready:
            return None
        return self.policy.next_delay(attempt, error)
