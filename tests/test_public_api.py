"""The public surface: one flat namespace whose names read ``greenstatus.X``."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import greenstatus


@pytest.mark.parametrize("name", greenstatus.__all__)
def test_every_public_class_and_function_lives_in_greenstatus(name: str) -> None:
    obj = getattr(greenstatus, name)
    if issubclass(type(obj), type) or inspect.isfunction(obj):
        assert obj.__module__ == "greenstatus"


def test_the_error_tree_is_as_documented() -> None:
    g = greenstatus
    assert issubclass(g.InvalidStatusError, ValueError)
    for kind in (
        g.InvalidStatusError,
        g.APIConnectionError,
        g.APIStatusError,
        g.ResponseValidationError,
    ):
        assert kind.__bases__[0] is g.GreenStatusError
    assert g.APITimeoutError.__bases__ == (g.APIConnectionError,)
    for kind in (
        g.BadRequestError,
        g.AuthenticationError,
        g.PermissionDeniedError,
        g.NotFoundError,
        g.RateLimitError,
        g.QuotaExceededError,
        g.ServerError,
    ):
        assert kind.__bases__ == (g.APIStatusError,)


def test_the_package_ships_its_typing_marker() -> None:
    assert (Path(greenstatus.__file__).parent / "py.typed").is_file()
