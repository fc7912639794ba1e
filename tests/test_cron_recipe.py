"""The cron recipe's crontab runs as written: each entry's command through
``sh``, with only the variables the crontab assigns (as cron runs it), against
a fake GREEN-API on loopback. The paths the recipe names on its server become
files in a scratch directory, and what cron would mail is checked."""

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
    found = re.search(rf'^```\w+ title="{re.escape(title)}"\n(.*?)^```', text, re.M | re.S)
    assert found is not None, title
    return found[1]


def crontab() -> tuple[dict[str, str], list[str]]:
    """The variables the crontab assigns, and each entry's command (what
    follows its five time fields)."""
    variables, commands = {}, []
    for line in block("crontab -e").splitlines():
        if re.match(r"[\d*]", line):
            commands.append(line.split(maxsplit=5)[5])
        elif assignment := re.match(r"(\w+)=(.*)$", line):
            variables[assignment[1]] = assignment[2]
    return variables, commands


Served = tuple[FakeGreenAPI, dict[str, str]]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The fake, and the recipe's server paths and hosts mapped to scratch
    files and the fake's URL (the token file holds the token it expects)."""
    fake = FakeGreenAPI()
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(fake.serve()) as url:
        (tmp_path / "shop.token").write_text(fake.token, encoding="utf-8")
        (tmp_path / "menu.jpg").write_bytes(SAMPLE_FILES["horse.jpg"])
        (tmp_path / "evening.jsonl").write_text(block("/srv/shop/evening.jsonl"), encoding="utf-8")
        paths = {
            "https://1101.api.greenapi.com": url,
            "https://1101.media.greenapi.com": url,
            "/opt/shop/.venv/bin": str(Path(sys.executable).parent),
            "/etc/greenstatus/shop.token": str(tmp_path / "shop.token"),
            "/srv/shop/menu.jpg": str(tmp_path / "menu.jpg"),
            "/srv/shop/evening.jsonl": str(tmp_path / "evening.jsonl"),
            "/var/log/shop-statuses.log": str(tmp_path / "shop.log"),
            "/tmp/shop.lock": str(tmp_path / "shop.lock"),
        }
        yield fake, paths


def run_as_cron(command: str, paths: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command as cron runs it: ``sh -c``, with the crontab's variables
    and the few cron sets itself."""
    variables, _ = crontab()
    env = {"HOME": "/nonexistent", "LOGNAME": "shop", "SHELL": "/bin/sh", **variables}
    for documented, scratch in paths.items():
        command = command.replace(documented, scratch)
        env = {name: value.replace(documented, scratch) for name, value in env.items()}
    assert "/srv/" not in command
    assert "/etc/" not in command
    return subprocess.run(
        ["/bin/sh", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_crontab_has_the_three_documented_jobs_and_mails_someone() -> None:
    variables, commands = crontab()
    jobs = [re.search(r"greenstatus .*?(send-media|send-batch|doctor)", c) for c in commands]
    assert [job[1] if job else None for job in jobs] == ["send-media", "send-batch", "doctor"]
    assert re.fullmatch(r"\S+@\S+", variables["MAILTO"])
    assert "GREEN_API_TOKEN" not in variables  # the token stays in its file


def test_each_crontab_line_runs_posts_and_has_nothing_to_mail(
    served: Served, tmp_path: Path
) -> None:
    fake, paths = served
    for command in crontab()[1]:
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


def test_a_failed_send_is_mailed_and_logged(served: Served, tmp_path: Path) -> None:
    fake, paths = served
    fake.fail_next(401, times=20)
    done = run_as_cron(crontab()[1][0], paths)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "401" in done.stderr  # what cron mails
    assert "hint" in done.stderr
    log = (tmp_path / "shop.log").read_text(encoding="utf-8").splitlines()
    [logged] = [json.loads(line) for line in log]
    assert logged["ok"] is False
    assert logged["status_code"] == 401
    assert fake.token not in done.stderr + json.dumps(logged)


def test_the_doctor_line_mails_its_checklist_when_the_instance_cannot_send(
    served: Served,
) -> None:
    fake, paths = served
    fake.state = "notAuthorized"
    done = run_as_cron(crontab()[1][2], paths)
    assert done.returncode == 0  # the line's own echo
    assert "[x] the instance's WhatsApp account is not linked" in done.stdout  # mailed
    assert done.stdout.rstrip().endswith("statuses cannot be sent now")


def test_a_batch_with_lines_not_sent_is_mailed(served: Served, tmp_path: Path) -> None:
    fake, paths = served
    fake.fail_next(401)
    done = run_as_cron(crontab()[1][1], paths)
    assert done.returncode == 1
    assert done.stderr.startswith("greenstatus: error: 1 of 2 lines not sent (line ")
    results = [json.loads(line) for line in (tmp_path / "shop.log").read_text().splitlines()]
    assert sorted(result["ok"] for result in results) == [False, True]


def test_a_send_that_succeeds_after_a_retry_mails_the_retry(served: Served) -> None:
    fake, paths = served
    fake.fail_next(503)  # the upload's first attempt
    done = run_as_cron(crontab()[1][0], paths)
    assert done.returncode == 0
    assert "uploadFile attempt 1 failed (ServerError 503); retrying in" in done.stderr
    assert [status.kind for status in fake.statuses] == ["media"]
