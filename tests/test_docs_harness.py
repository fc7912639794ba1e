"""The harness that runs the docs' examples fails where a reader would."""

from __future__ import annotations

from pathlib import Path

import pytest
from sybil.example import SybilFailure

from .docs_harness import setup as setup_page
from .docs_harness import sybil, teardown

FENCE = "```"


def run_page(path: Path, text: str) -> list[str | None]:
    """Each example's failure message, "skipped", or None where it passed."""
    path.write_text(text, encoding="utf-8")
    document = sybil.parse(path)
    setup_page(document.namespace)
    outcomes: list[str | None] = []
    try:
        for example in document.examples():
            try:
                example.evaluate()
            except SybilFailure as failure:
                outcomes.append(failure.result)
            except pytest.skip.Exception:
                outcomes.append("skipped")
            else:
                outcomes.append(None)
    finally:
        teardown(document.namespace)
    return outcomes


def test_examples_run_in_order_against_the_fake(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
from greenstatus import TextStatus

sent = await client.send(TextStatus(message="hi"))
print(sent.id_message)
{FENCE}

{FENCE}text title="Output"
3EB00000000000000001
{FENCE}

{FENCE}python
print(sent.id_message[:4])
{FENCE}

{FENCE}text title="Output"
3EB1
{FENCE}
"""
    outcomes = run_page(tmp_path / "page.md", page)
    assert outcomes[:3] == [None, None, None]
    assert outcomes[3] is not None
    assert "the example printed:\n3EB0" in outcomes[3]


def test_a_failing_example_fails_with_the_page_s_line(tmp_path: Path) -> None:
    page = f"""# A page

{FENCE}python
from greenstatus import TextStatus

TextStatus(message="")
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "InvalidStatusError" in outcome
    assert 'page.md", line 6' in outcome


def test_a_host_other_than_green_api_s_is_not_answered_by_the_fake(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
import httpx

async with httpx.AsyncClient() as http:
    await http.get("http://127.0.0.1:9/nothing-listens-here")
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "ConnectError" in outcome


def test_a_test_file_example_fails_when_its_test_fails(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
def test_one() -> None:
    assert 1 + 1 == 3
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "1 failed" in outcome


@pytest.mark.parametrize(
    "include",
    ['--8<-- "examples/missing.py"', '--8<-- "examples/status_queue.py:missing"'],
)
def test_an_include_of_nothing_fails(tmp_path: Path, include: str) -> None:
    page = f"""
{FENCE}python
{include}
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None


def test_an_example_marked_as_needing_an_account_is_skipped(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
# Needs a real GREEN-API account: read a statistic a week later.
raise AssertionError("never run")
{FENCE}
"""
    assert run_page(tmp_path / "page.md", page) == ["skipped"]


def test_a_client_given_its_own_fake_keeps_it(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
from greenstatus import AsyncStatusClient
from greenstatus.testing import FakeGreenAPI

own = FakeGreenAPI(api_token_instance="its-own-token")
async with AsyncStatusClient(
    own.id_instance, own.token, transport=own.transport()
) as mine:
    await mine.send_text_status("hi")
print(len(own.statuses))
{FENCE}

{FENCE}text title="Output"
1
{FENCE}
"""
    assert run_page(tmp_path / "page.md", page) == [None, None]


def test_a_python_fence_with_attributes_is_run(tmp_path: Path) -> None:
    page = f"""
{FENCE}python title="app.py" hl_lines="1"
raise AssertionError("ran")
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "AssertionError: ran" in outcome


@pytest.mark.parametrize(
    "tests",
    [
        "class TestThing:\n    def test_fails(self) -> None:\n        assert False\n",
        "import pytest\n\n@pytest.mark.skip\ndef test_skipped() -> None:\n    pass\n",
        "import pytest\n\n@pytest.mark.xfail\ndef test_expected() -> None:\n    assert False\n",
        'import httpx\n\ndef test_online() -> None:\n    httpx.get("https://example.com/")\n',
    ],
    ids=["class", "skipped", "xfail", "online"],
)
def test_a_test_file_example_fails_unless_each_test_runs_and_passes(
    tmp_path: Path, tests: str
) -> None:
    page = f"\n{FENCE}python\n{tests}{FENCE}\n"
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None


def test_an_output_block_needs_the_block_right_before_it(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
print("hi")
{FENCE}

Some words between.

{FENCE}text title="Output"
hi
{FENCE}

{FENCE}python
# Needs a real GREEN-API account: nothing runs here.
print("never")
{FENCE}

{FENCE}text title="Output"
never
{FENCE}
"""
    outcomes = run_page(tmp_path / "page.md", page)
    assert outcomes[0] is None
    assert outcomes[1] is not None
    assert "right after a Python block that ran" in outcomes[1]
    assert outcomes[2] == "skipped"
    assert outcomes[3] is not None


def test_an_example_that_runs_too_long_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tests.docs_harness.EXAMPLE_TIMEOUT", 0.5)
    page = f"""
{FENCE}python
import time

time.sleep(30)
{FENCE}

{FENCE}python
import anyio

anyio.run(anyio.sleep, 30)
{FENCE}
"""
    outcomes = run_page(tmp_path / "page.md", page)
    assert all(outcome and "ran for more than 0.5 s" in outcome for outcome in outcomes)


def test_a_test_file_example_reaches_the_page_s_fake(tmp_path: Path) -> None:
    page = f"""
{FENCE}python
import pytest

from greenstatus import AsyncStatusClient, InstanceState


@pytest.mark.anyio
async def test_the_instance_is_authorized() -> None:
    async with AsyncStatusClient.from_env() as client:
        assert await client.get_state_instance() is InstanceState.AUTHORIZED
{FENCE}
"""
    assert run_page(tmp_path / "page.md", page) == [None]


@pytest.mark.parametrize(
    "reach",
    [
        'import urllib.request\n\nurllib.request.urlopen("http://example.com/", timeout=5)\n',
        'import urllib.request\n\nurllib.request.urlopen("http://192.0.2.1/", timeout=5)\n',
        "import aiohttp\n\nasync with aiohttp.ClientSession() as session:\n"
        '    await session.get("http://192.0.2.1/")\n',
        'import httpx\n\nhttpx.get("http://192.0.2.1/")\n',
        "import httpx\n\nasync with httpx.AsyncClient() as http:\n"
        '    await http.get("https://example.com/")\n',
    ],
    ids=["urllib-name", "urllib-address", "aiohttp-address", "httpx-sync", "httpx-name"],
)
def test_no_client_library_reaches_another_machine(tmp_path: Path, reach: str) -> None:
    page = f"\n{FENCE}python\n{reach}{FENCE}\n"
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "the examples run offline" in outcome


def test_a_python_fence_written_as_an_attribute_list_is_run(tmp_path: Path) -> None:
    page = f"""
{FENCE} {{ .python title="app.py" }}
raise AssertionError("ran")
{FENCE}
"""
    [outcome] = run_page(tmp_path / "page.md", page)
    assert outcome is not None
    assert "AssertionError: ran" in outcome
