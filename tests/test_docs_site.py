"""The documentation site builds with --strict, and its pages hold what a
reader comes for: the home page, and the client's signature in the reference."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_the_site_builds_strictly_with_the_client_s_signature(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    home = text_of(tmp_path / "index.html")
    assert "greenstatus documentation" in home
    reference = text_of(tmp_path / "reference" / "index.html")
    signature = re.sub(r"\s+", " ", reference)
    assert "AsyncStatusClient( id_instance: str, api_token_instance: str, *," in signature
    for name in ("RedisRateLimiter", "check_link", "upload_file", "FakeGreenAPI"):
        assert name in reference
