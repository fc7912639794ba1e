"""The numeric checks: each message is the one greenstatus's arguments have
always given, produced by one call."""

from __future__ import annotations

import math

import attrs
import pytest

from greenstatus._validators import (
    at_least,
    non_negative,
    number_at_least,
    positive_number,
    positive_seconds,
    whole_number_at_least,
)


def refusal(check: object, *args: object, **kwargs: object) -> str:
    assert callable(check)
    with pytest.raises(ValueError) as excinfo:  # noqa: PT011 - the message is the check
        check(*args, **kwargs)
    return str(excinfo.value)


def test_a_whole_number_at_least_its_minimum_passes_as_it_is() -> None:
    assert whole_number_at_least("n", 1, 1) == 1
    assert whole_number_at_least("n", 10**30, 1) == 10**30


@pytest.mark.parametrize("value", [0, -1, True, 1.0, "1", None])
def test_anything_else_is_refused_with_its_repr(value: object) -> None:
    assert refusal(whole_number_at_least, "n", value, 1) == (
        f"n must be a whole number >= 1, got {value!r}"
    )


def test_the_client_messages_are_each_one_call() -> None:
    assert refusal(
        whole_number_at_least, "max_concurrency", 0, 1, expected="a whole number of at least 1"
    ) == ("max_concurrency must be a whole number of at least 1, got 0")
    assert refusal(
        whole_number_at_least,
        "rate_limits['sendTextStatus']",
        True,
        1,
        expected="a whole number of requests per second >= 1",
    ) == (
        "rate_limits['sendTextStatus'] must be a whole number of requests per second >= 1, got True"
    )
    assert refusal(whole_number_at_least, "minutes", 0, 1, expected="a positive whole number") == (
        "minutes must be a positive whole number, got 0"
    )
    assert refusal(
        positive_number, "deadline", math.nan, expected="a positive number of seconds"
    ) == ("deadline must be a positive number of seconds, got nan")
    assert refusal(
        positive_number,
        "timeout",
        0,
        expected="a positive number of seconds or an httpx.Timeout",
    ) == ("timeout must be a positive number of seconds or an httpx.Timeout, got 0")


def test_a_number_at_least_its_minimum_passes_and_a_bool_does_not() -> None:
    assert number_at_least("x", 0, 0) == 0
    assert number_at_least("x", 2.5, 0) == 2.5
    assert refusal(number_at_least, "x", -0.1, 0) == "x must be a number >= 0, got -0.1"
    assert refusal(number_at_least, "x", False, 0) == "x must be a number >= 0, got False"


def test_nan_is_neither_at_least_a_minimum_nor_positive() -> None:
    assert refusal(number_at_least, "x", math.nan, 0) == "x must be a number >= 0, got nan"
    assert refusal(positive_number, "x", math.nan) == "x must be a positive number, got nan"


def test_a_positive_number_is_above_zero() -> None:
    assert positive_number("x", 0.001) == 0.001
    assert refusal(positive_number, "x", 0) == "x must be a positive number, got 0"
    assert refusal(positive_number, "x", "1") == "x must be a positive number, got '1'"


@attrs.frozen(kw_only=True)
class Sample:
    attempts: int = attrs.field(default=1, validator=at_least(1))
    delay: float = attrs.field(default=0.0, validator=non_negative())
    wait: float = attrs.field(default=1.0, validator=positive_seconds())


def test_the_attrs_validators_name_the_attribute() -> None:
    assert Sample(attempts=3, delay=0.5, wait=2) == Sample(attempts=3, delay=0.5, wait=2)
    assert refusal(Sample, attempts=0) == "attempts must be a whole number >= 1, got 0"
    assert refusal(Sample, delay=-1) == "delay must be a number >= 0, got -1"
    assert refusal(Sample, wait=0) == "wait must be a positive number of seconds, got 0"
