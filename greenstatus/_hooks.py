"""The hooks a caller gives greenstatus, and how they are called."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ._exceptions import GreenStatusError
from ._results import SendResult

__all__ = ["OnResult", "OnRetry", "check_hook", "run_hook"]

H = TypeVar("H")

OnRetry = Callable[[int, GreenStatusError, float], Awaitable[None] | None]
"""``on_retry(attempt, error, delay)``: called before each wait to retry; a
coroutine function is awaited."""
OnResult = Callable[[int, SendResult], Awaitable[None] | None]
"""``on_result(index, result)``: called as each send of ``send_all`` ends; a
coroutine function is awaited."""


def check_hook(name: str, hook: H) -> H:
    if hook is not None and not callable(hook):
        raise TypeError(f"{name} must be callable, got {type(hook).__name__}")
    return hook


async def run_hook(outcome: Awaitable[None] | None) -> None:
    """A hook's call: what a coroutine function returns is awaited, never dropped."""
    if inspect.isawaitable(outcome):
        await outcome
