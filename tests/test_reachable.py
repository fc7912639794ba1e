"""The walker every no-token test relies on finds a token wherever an error
tool would: otherwise each ``hits(...) == []`` would pass for nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.reachable import hits

TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123"
URL = f"https://api.green-api.com/waInstance1/sendTextStatus/{TOKEN}"


class Holder:
    def __init__(self, held: object) -> None:
        self.held = held


class Slotted(Exception):
    __slots__ = ("request",)

    def __init__(self) -> None:
        super().__init__("slotted")
        self.request = httpx.Request("POST", URL)


def in_a_frame_local() -> BaseException:
    # A frame of code outside tests/ (the walker leaves the test's own frames
    # out, as the caller's): compiled under another file name.
    library: dict[str, object] = {}
    source = "def fail(url):\n    secret_url = url\n    raise ValueError('boom')\n"
    exec(compile(source, "/usr/lib/somelibrary.py", "exec"), library)
    try:
        library["fail"](URL)  # type: ignore[operator]
    except ValueError as error:
        return error
    raise AssertionError("unreachable")


def under_a_cause() -> BaseException:
    error = ValueError("outer")
    error.__cause__ = KeyError(URL)
    return error


def with_an_attribute_s_attribute() -> BaseException:
    error = ValueError("boom")
    error.box = Holder(Holder(URL))  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    "make",
    [Slotted, in_a_frame_local, under_a_cause, with_an_attribute_s_attribute],
    ids=["slot", "frame local", "cause", "attribute's attribute"],
)
def test_the_walker_finds_a_token_an_error_tool_would_record(make: object) -> None:
    error = make()  # type: ignore[operator]
    assert hits(error, TOKEN) != []
