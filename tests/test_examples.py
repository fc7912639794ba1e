"""The README's main job runs as a newcomer would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .redis_server import redis_server

ROOT = Path(__file__).resolve().parent.parent


def test_the_offline_example_sends_all_three_status_types() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "offline_send.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "TextStatus   sent as 3EB0C767D097B7C7C000" in lines
    assert "VoiceStatus  sent as 3EB0C767D097B7C7C001" in lines
    assert "MediaStatus  sent as 3EB0C767D097B7C7C002" in lines
    assert done.stderr == ""


def test_the_task_queue_example_sends_and_carries_errors_across_the_queue() -> None:
    with redis_server() as server:
        done = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "status_queue.py"), "offline", server.url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("text: sent 3EB0")
    assert lines[1].startswith("media: sent 3EB0")
    assert lines[2] == (
        "voice: LinkCheckError {'field': 'url_file', 'reason': 'content_type', "
        "'content_type': 'application/octet-stream'}"
    )
    assert lines[3] == "GREEN-API queued 2 statuses"
