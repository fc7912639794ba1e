"""The README's main job runs as a newcomer would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
