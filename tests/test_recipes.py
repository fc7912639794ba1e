"""The recipes' programs run as their pages say: the bot reads the terminal
until the end of input, and stops on Ctrl-C without waiting for a line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from greenstatus.testing import FakeGreenAPI

from .test_docs_typed import blocks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[FakeGreenAPI, list[str], dict[str, str]]]:
    """bot.py as the page shows it, and the environment of an instance served
    by a fake on loopback."""
    [(_, source), *_] = blocks(ROOT / "docs" / "recipes" / "bot.md", "python")
    (tmp_path / "bot.py").write_text(source, encoding="utf-8")
    fake = FakeGreenAPI(contacts=["79001234567@c.us"])  # whom ALL_CONTACTS reaches
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(fake.serve()) as url:
        env = {
            **os.environ,
            "GREEN_API_ID_INSTANCE": fake.id_instance,
            "GREEN_API_TOKEN": fake.token,
            "GREEN_API_URL": url,
            "GREEN_API_MEDIA_URL": url,
        }
        yield fake, [sys.executable, str(tmp_path / "bot.py")], env


def test_the_bot_posts_each_line_and_ends_with_its_input(
    bot: tuple[FakeGreenAPI, list[str], dict[str, str]],
) -> None:
    fake, command, env = bot
    done = subprocess.run(
        command,
        input="/status Open today 9 to 18\n/dance\n",
        env=env,
        cwd=Path(command[1]).parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "to terminal: posted as 3EB00000000000000001",
        "to terminal: unknown command '/dance': try /status or /photo",
    ]
    assert [status.payload["message"] for status in fake.statuses] == ["Open today 9 to 18"]


def test_ctrl_c_stops_the_bot_while_it_waits_for_a_line(
    bot: tuple[FakeGreenAPI, list[str], dict[str, str]],
) -> None:
    fake, command, env = bot
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("/status hi\n")
        process.stdin.flush()
        assert process.stdout.readline().startswith("to terminal: posted as 3EB0")
        process.send_signal(signal.SIGINT)  # the terminal's Ctrl-C; stdin stays open
        started = time.monotonic()
        process.wait(timeout=30)
        assert time.monotonic() - started < 10
        assert "KeyboardInterrupt" in (process.stderr.read() if process.stderr else "")
    assert len(fake.statuses) == 1
