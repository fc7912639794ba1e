"""The cron recipe's crontab runs as written: each line, through ``sh`` with
cron's bare environment, against a fake GREEN-API on loopback. Only the paths
the recipe names on its server become files in a scratch directory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from greenstatus.testing import FakeGreenAPI

from .docs_harness import SAMPLE_FILES

RECIPE = Path(__file__).resolve().parent.parent / "docs" / "recipes" / "cron.md"


def block(title: str) -> str:
    """The text of the recipe's fenced block with this title."""
    text = RECIPE.read_text(encoding="utf-8")
    found = re.search(rf'^( *)```\w+ title="{re.escape(title)}"\n(.*?)^\1```', text, re.M | re.S)
    assert found is not None, title
    return re.sub(rf"^{found[1]}", "", found[2], flags=re.M)


def crontab_commands() -> list[str]:
    """Each entry's command: what follows the five time fields (a line that
    sets a variable, such as ``MAILTO``, is not an entry)."""
    return [
        line.split(maxsplit=5)[5]
        for line in block("crontab -e").splitlines()
        if re.match(r"[\d*]", line)
    ]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeGreenAPI, dict[str, str]]]:
    """The fake, and the recipe's server paths mapped to scratch files."""
    fake = FakeGreenAPI()
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(fake.serve()) as url:
        env = block("/etc/greenstatus/shop.env")
        env = env.replace("https://1101.api.greenapi.com", url)
        env = env.replace("https://1101.media.greenapi.com", url)
        (tmp_path / "shop.env").write_text(env, encoding="utf-8")
        (tmp_path / "shop.token").write_text(fake.token, encoding="utf-8")
        (tmp_path / "menu.jpg").write_bytes(SAMPLE_FILES["horse.jpg"])
        (tmp_path / "evening.jsonl").write_text(block("/srv/shop/evening.jsonl"), encoding="utf-8")
        paths = {
            "/etc/greenstatus/shop.env": str(tmp_path / "shop.env"),
            "/etc/greenstatus/shop.token": str(tmp_path / "shop.token"),
            "/opt/shop/.venv/bin/greenstatus": str(Path(sys.executable).parent / "greenstatus"),
            "/srv/shop/menu.jpg": str(tmp_path / "menu.jpg"),
            "/srv/shop/evening.jsonl": str(tmp_path / "evening.jsonl"),
            "/var/log/greenstatus/shop.log": str(tmp_path / "shop.log"),
            "/tmp/greenstatus-shop.lock": str(tmp_path / "shop.lock"),
        }
        yield fake, paths


def run_as_cron(command: str, paths: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for documented, scratch in paths.items():
        command = command.replace(documented, scratch)
    assert "/srv/" not in command
    assert "/etc/" not in command
    return subprocess.run(
        ["/bin/sh", "-c", command],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},  # what cron gives
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_crontab_has_the_three_documented_jobs() -> None:
    commands = crontab_commands()
    jobs = [re.search(r"greenstatus .*?(send-media|send-batch|doctor)", c) for c in commands]
    assert [job[1] if job else None for job in jobs] == ["send-media", "send-batch", "doctor"]


def test_the_crontab_mails_to_someone() -> None:
    assert re.search(r"^MAILTO=\S+@\S+$", block("crontab -e"), re.MULTILINE)


def test_each_crontab_line_runs_posts_and_has_nothing_to_mail(
    served: tuple[FakeGreenAPI, dict[str, str]], tmp_path: Path
) -> None:
    fake, paths = served
    for command in crontab_commands():
        done = run_as_cron(command, paths)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert done.stdout + done.stderr == ""  # what cron would mail
    kinds = [status.kind for status in fake.statuses]
    assert sorted(kinds) == ["media", "media", "text"]
    assert len(fake.uploads) == 1  # the menu, uploaded first
    log = (tmp_path / "shop.log").read_text(encoding="utf-8").splitlines()
    results = [json.loads(line) for line in log]
    assert len(results) == 3
    assert all(result.get("ok", True) for result in results), log
    assert all("3EB0" in line for line in log), log  # each an idMessage
    assert fake.token not in "\n".join(log)


def test_a_failed_send_is_mailed_and_logged(
    served: tuple[FakeGreenAPI, dict[str, str]], tmp_path: Path
) -> None:
    fake, paths = served
    fake.fail_next(401, times=20)
    done = run_as_cron(crontab_commands()[0], paths)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "401" in done.stderr  # what cron mails
    assert "hint" in done.stderr
    [logged] = [json.loads(line) for line in (tmp_path / "shop.log").read_text().splitlines()]
    assert logged["ok"] is False
    assert logged["status_code"] == 401
    assert fake.token not in done.stderr + json.dumps(logged)


def test_the_doctor_line_mails_its_checklist_when_the_instance_cannot_send(
    served: tuple[FakeGreenAPI, dict[str, str]],
) -> None:
    fake, paths = served
    fake.state = "notAuthorized"
    done = run_as_cron(crontab_commands()[2], paths)
    assert done.returncode == 0  # the line's own echo
    assert "[x] the instance's WhatsApp account is not linked" in done.stdout  # mailed
    assert done.stdout.rstrip().endswith("statuses cannot be sent now")
