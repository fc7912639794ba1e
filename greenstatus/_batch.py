"""``send_all``: many statuses at once, one result each, in input order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import anyio
import anyio.lowlevel

from ._audience_step import send_status
from ._exceptions import ClientClosedError, GreenStatusError, UnexpectedError
from ._hooks import OnResult, run_hook
from ._instance import Instance
from ._methods import Host
from ._pipeline import Pipeline
from ._redaction import safe_str, scrub, scrub_exception
from ._requests import Status
from ._results import SendResult
from ._retry import RetryPolicy

__all__ = ["send_all"]

logger = logging.getLogger("greenstatus")


async def send_all(
    pipeline: Pipeline,
    statuses: Sequence[Status],
    *,
    limit: int,
    on_result: OnResult | None,
    retry: RetryPolicy | None,
) -> list[SendResult]:
    """Send ``statuses`` with at most ``limit`` in flight (and no more than
    the HTTP client's cap lets through at once); a failed status becomes a
    result with ``error`` set and never stops the others."""
    ceiling = pipeline.session.pool.gate(Host.API, pipeline.instance).ceiling
    if ceiling is not None:
        # More workers than the HTTP client may have in flight would only wait
        # at its gate (``_in_flight``).
        limit = min(limit, ceiling)
    results: list[SendResult | None] = [None] * len(statuses)
    queue = iter(enumerate(statuses))

    async def one(status: Status) -> SendResult:
        if pipeline.session.is_closed:
            # Not started when the client (or its pool) was closed: not sent,
            # and no bug to report.
            return SendResult(status, error=_not_started(status, pipeline.instance))
        try:
            sent = await send_status(pipeline, status, retry)
        except UnexpectedError as error:
            # A bug or a raising hook: logged, as a traceback to report.
            logger.exception("%s failed unexpectedly", status.api_method.name)
            return SendResult(status, error=error)
        except GreenStatusError as error:
            return SendResult(status, error=error)
        except Exception as bug:  # one status's bug must not sink the others
            return SendResult(status, error=_unexpected(status, bug, pipeline.instance))
        return SendResult(status, id_message=sent.id_message)

    async def worker() -> None:
        # Workers share one iterator, so statuses start in input order and at
        # most ``limit`` are in flight, without a task per status.
        for index, status in queue:
            result = results[index] = await one(status)
            if on_result is not None:
                try:
                    await run_hook(on_result(index, result))
                except Exception:
                    # The caller's hook failed: the sends are theirs all the same.
                    logger.exception("on_result(%d, ...) raised; the other sends go on", index)
            # Let the event loop run other tasks between one status's answer
            # and the next one's request: under load, that halves the time
            # the loop is held at a stretch.
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        for _ in range(min(limit, len(statuses))):
            group.start_soon(worker)
    # The group only ends normally once every worker has filled its slots.
    return cast("list[SendResult]", results)


def _unexpected(status: Status, bug: Exception, instance: Instance) -> UnexpectedError:
    """What send_all records for a failure it could not foresee; logged with
    its traceback (token masked), since it is a bug to report."""
    name = status.api_method.name
    cleaned = scrub_exception(bug, instance.token.reveal())
    detail = scrub(
        f"{type(bug).__name__}: {safe_str(bug, '<unprintable>')}", instance.token.reveal()
    )
    logger.error("%s failed unexpectedly (%s)", name, detail, exc_info=cleaned)
    error = UnexpectedError(
        f"{name} failed unexpectedly ({detail}); the status may have been delivered",
        api_method=name,
    )
    error.__cause__ = cleaned
    return error


def _not_started(status: Status, instance: Instance) -> ClientClosedError:
    name = status.api_method.name
    return ClientClosedError(
        f"{name} was not sent: the client was closed before it started",
        request_sent=False,
        api_method=name,
        url=instance.masked_urls[name],
    )
