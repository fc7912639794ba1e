"""Following statuses from the command line: ``watch`` (one status's
recipients, live), ``incoming --follow``, and doctor's notifications line,
end to end in a subprocess against a served fake whose clock the test moves."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest

from greenstatus import Contact, StatisticChange
from greenstatus._cli_output import Output
from greenstatus._cli_watch import _LiveView, _view
from greenstatus.testing import FakeClock, FakeGreenAPI

from .test_cli import TOKEN, Run, cli, credentials

pytestmark = pytest.mark.anyio

ANN = "79001234567@c.us"
TOM = "447911123456@c.us"
START = 1_800_000_000  # 2027-01-15T08:00:00Z
# Each wait on the subprocess is bounded: a line, or the end.
LINE_TIMEOUT = 20
END_TIMEOUT = 30


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=START)


@pytest.fixture
def fake(clock: FakeClock) -> FakeGreenAPI:
    # Timestamps come from the fake's clock, which only the test moves; the
    # client in the subprocess keeps real time (the fake enforces no rate).
    contacts = [
        Contact(ANN, name="Ann", contact_name="Ann"),
        Contact(TOM, name="Tom", contact_name="Tom"),
    ]
    return FakeGreenAPI("1101000001", TOKEN, contacts=contacts, clock=clock.now)


@pytest.fixture
async def api_url(fake: FakeGreenAPI) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


def send(fake: FakeGreenAPI) -> str:
    """A text status to all contacts, sent straight to the fake; its id."""
    fake.handle(
        "POST",
        f"/waInstance1101000001/sendTextStatus/{TOKEN}",
        {},
        {"content-type": "application/json"},
        json.dumps({"message": "Open till 8 today"}).encode(),
    )
    return fake.statuses[-1].id_message


class Running:
    """A command running in a subprocess: its stdout line by line, a signal,
    and how it ended."""

    def __init__(self, process: anyio.abc.Process) -> None:
        self.process = process
        self._buffer = b""
        self._read = b""

    async def line(self) -> str:
        """The next line of stdout, waiting for it (boundedly)."""
        assert self.process.stdout is not None
        with anyio.fail_after(LINE_TIMEOUT):
            while b"\n" not in self._buffer:
                self._buffer += await self.process.stdout.receive()
        line, _, self._buffer = self._buffer.partition(b"\n")
        self._read += line + b"\n"
        return line.decode()

    def interrupt(self) -> None:
        """Ctrl-C."""
        self.process.send_signal(signal.SIGINT)

    async def finish(self) -> Run:
        """Waits for the end; the lines ``line`` returned are in its stdout too."""
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        stdout, stderr = self._read + self._buffer, b""
        with anyio.fail_after(END_TIMEOUT):
            async for chunk in self.process.stdout:
                stdout += chunk
            async for chunk in self.process.stderr:
                stderr += chunk
            code = await self.process.wait()
        run = Run(code, stdout.decode(), stderr.decode())
        assert TOKEN not in run.stdout
        assert TOKEN not in run.stderr
        return run


@asynccontextmanager
async def started(*args: str, env: Mapping[str, str]) -> AsyncIterator[Running]:
    """``cli(...)``, but the test acts while the command runs (killed if the
    test leaves it running)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GREEN_API_")
    }
    environment.update(env)
    process = await anyio.open_process(
        [sys.executable, "-m", "greenstatus", *args], env=environment
    )
    async with process:
        try:
            yield Running(process)
        finally:
            if process.returncode is None:
                process.kill()
                with anyio.move_on_after(5):
                    await process.wait()


# -- watch ------------------------------------------------------------------------------


async def test_watch_prints_each_change_and_ends_when_all_have_read(
    api_url: str, fake: FakeGreenAPI, clock: FakeClock
) -> None:
    id_message = send(fake)
    command = ("watch", id_message, "--interval", "0.2", "--until", "60")
    async with started(*command, env=credentials(api_url)) as running:
        assert [await running.line(), await running.line()] == [
            f"2027-01-15T08:00:00Z {ANN} new->sent",
            f"2027-01-15T08:00:00Z {TOM} new->sent",
        ]
        clock.advance(10)
        fake.deliver(id_message, ANN)
        assert await running.line() == f"2027-01-15T08:00:10Z {ANN} sent->delivered"
        clock.advance(10)
        fake.read(id_message)  # both: Tom was never seen delivered
        run = await running.finish()
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[3:] == [
        f"2027-01-15T08:00:20Z {ANN} delivered->read",
        f"2027-01-15T08:00:20Z {TOM} sent->read",
        "2 recipients: 2 sent, 2 delivered, 2 read",
    ]
    assert run.stderr == ""


async def test_watch_json_prints_a_line_per_change_and_ends_at_until(
    api_url: str, fake: FakeGreenAPI, clock: FakeClock
) -> None:
    id_message = send(fake)
    command = ("watch", id_message, "--json", "--interval", "0.2", "--until", "4")
    async with started(*command, env=credentials(api_url)) as running:
        first = [json.loads(await running.line()) for _ in range(2)]
        clock.advance(5)
        fake.deliver(id_message, TOM)
        run = await running.finish()  # Ann never reads: it ends at --until
    assert run.returncode == 0, run.stderr
    assert first == [
        {
            "id_message": id_message,
            "participant": ANN,
            "status": "sent",
            "previous": None,
            "timestamp": START,
        },
        {
            "id_message": id_message,
            "participant": TOM,
            "status": "sent",
            "previous": None,
            "timestamp": START,
        },
    ]
    assert run.json_lines()[2:] == [
        {
            "id_message": id_message,
            "participant": TOM,
            "status": "delivered",
            "previous": "sent",
            "timestamp": START + 5,
        },
        {
            "id_message": id_message,
            "recipients": 2,
            "sent": 2,
            "delivered": 1,
            "read": 0,
            "other": {},
            "ended": "until",
        },
    ]


async def test_watch_of_a_status_all_have_read_ends_at_once(
    api_url: str, fake: FakeGreenAPI, clock: FakeClock
) -> None:
    id_message = send(fake)
    clock.advance(30)
    fake.read(id_message)
    run = await cli("watch", id_message, "--interval", "0.2", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        f"2027-01-15T08:00:30Z {ANN} new->read",
        f"2027-01-15T08:00:30Z {TOM} new->read",
        "2 recipients: 2 sent, 2 delivered, 2 read",
    ]
    as_json = await cli("watch", id_message, "--json", env=credentials(api_url))
    assert as_json.json_lines()[-1]["ended"] == "all_read"


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
async def test_ctrl_c_ends_watch_with_the_summary_so_far_and_exit_130(
    api_url: str, fake: FakeGreenAPI, as_json: bool
) -> None:
    id_message = send(fake)
    fake.read(id_message, ANN)
    command = ["watch", id_message, "--interval", "0.2", *(["--json"] if as_json else [])]
    async with started(*command, env=credentials(api_url)) as running:
        await running.line()
        await running.line()
        running.interrupt()
        run = await running.finish()
    assert run.returncode == 130
    assert "Traceback" not in run.stderr
    last = run.stdout.splitlines()[-1]
    if as_json:
        assert json.loads(last) == {
            "id_message": id_message,
            "recipients": 2,
            "sent": 2,
            "delivered": 1,
            "read": 1,
            "other": {},
            "ended": "interrupted",
        }
    else:
        assert last == "2 recipients: 2 sent, 1 delivered, 1 read"
        assert len(run.stdout.splitlines()) == 3


async def test_watch_reports_errors_as_every_command(api_url: str, fake: FakeGreenAPI) -> None:
    env = credentials(api_url)
    empty = await cli("watch", "", "--json", env=env)
    assert empty.returncode == 2
    assert empty.json_lines()[0]["field"] == "id_message"
    for option in ("--until", "--interval"):
        bad = await cli("watch", "BAE5F4886F4A0E9B", option, "0", env=env)
        assert bad.returncode == 2
        assert f"{option}: must be a positive number of seconds" in bad.stderr
    fake.fail_next(401)
    refused = await cli("watch", "BAE5F4886F4A0E9B", "--max-attempts", "1", env=env)
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert "greenstatus: hint: the API token (from GREEN_API_TOKEN) is wrong" in refused.stderr
    help_text = await cli("watch", "--help")
    assert help_text.stdout.startswith("usage: greenstatus watch")
    assert "--until SECONDS" in help_text.stdout


def change(participant: str, status: str, previous: str | None, at: int) -> StatisticChange:
    return StatisticChange(
        id_message="3EB0", participant=participant, status=status, previous=previous, timestamp=at
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_watch_redraws_a_table_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    screen = Terminal()
    view = _view(Output(as_json=False, stdout=screen, stderr=io.StringIO()), "3EB0")
    assert isinstance(view, _LiveView)
    view.start()
    view.change(change(ANN, "sent", None, START))
    view.change(change(TOM, "sent", None, START))
    view.change(change(ANN, "read", "sent", START + 20))
    view.end(interrupted=False)
    drawings = screen.getvalue().split("\x1b[J")[:-1]
    assert len(drawings) == 5
    # Each drawing goes back over the last one's lines, then rewrites them.
    assert drawings[0].startswith("\r")
    assert [drawing.split("F", 1)[0] for drawing in drawings[1:]] == [
        "\x1b[2",
        "\x1b[3",
        "\x1b[4",
        "\x1b[4",
    ]
    last = drawings[-1].split("F", 1)[1].replace("\x1b[K", "").splitlines()
    assert last == [
        "status 3EB0",
        f"{ANN}   read  2027-01-15T08:00:20Z",
        f"{TOM}  sent  2027-01-15T08:00:00Z",
        "2 recipients: 2 sent, 1 delivered, 1 read",
    ]
    piped = _view(Output(as_json=False, stdout=io.StringIO(), stderr=io.StringIO()), "3EB0")
    assert not isinstance(piped, _LiveView)
    monkeypatch.setenv("TERM", "dumb")  # a terminal that cannot move its cursor
    dumb = _view(Output(as_json=False, stdout=Terminal(), stderr=io.StringIO()), "3EB0")
    assert not isinstance(dumb, _LiveView)


def test_on_a_short_terminal_watch_shows_the_latest_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Room for 3 lines between the title and the summary: the 2 latest, and how many more.
    monkeypatch.setenv("LINES", "6")
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("TERM", "xterm")
    screen = Terminal()
    view = _view(Output(as_json=False, stdout=screen, stderr=io.StringIO()), "3EB0")
    for number in range(5):
        view.change(change(f"7900123456{number}@c.us", "sent", None, START))
    view.change(change("79001234561@c.us", "read", "sent", START + 5))
    view.end(interrupted=True)
    last = screen.getvalue().split("\x1b[J")[-2].split("F", 1)[1]
    assert last.replace("\x1b[K", "").splitlines() == [
        "status 3EB0, interrupted",
        "79001234561@c.us  read  2027-01-15T08:0",  # cut to the terminal's width
        "79001234564@c.us  sent  2027-01-15T08:0",
        "... and 3 more",
        "5 recipients: 5 sent, 1 delivered, 1 re",
    ]


# -- incoming --follow --------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
async def test_incoming_follow_prints_new_statuses_until_ctrl_c(
    api_url: str, fake: FakeGreenAPI, clock: FakeClock, as_json: bool
) -> None:
    first = fake.post_incoming(ANN, text="Open till 8")
    command = ["incoming", "--follow", "--interval", "0.2", *(["--json"] if as_json else [])]
    async with started(*command, env=credentials(api_url)) as running:
        if as_json:
            [listed] = json.loads(await running.line())
            assert listed["id_message"] == first
        else:
            assert await running.line() == (
                "timestamp   id_message        type_message         sender_id         sender_name"
            )
            assert await running.line() == (f"{START}  {first}  extendedTextMessage  {ANN}  Ann")
        clock.advance(60)
        second = fake.post_incoming(TOM, text="Closed on Monday")
        followed = await running.line()
        running.interrupt()
        run = await running.finish()
    assert run.returncode == 130
    assert "Traceback" not in run.stderr
    if as_json:
        row = json.loads(followed)
        assert (row["id_message"], row["sender_id"], row["timestamp"]) == (
            second,
            TOM,
            START + 60,
        )
        assert len(run.stdout.splitlines()) == 2
    else:
        assert followed == f"{START + 60}  {second}  extendedTextMessage  {TOM}  Tom"
        assert len(run.stdout.splitlines()) == 3


async def test_incoming_follow_after_an_empty_list_prints_the_header_first(
    api_url: str, fake: FakeGreenAPI
) -> None:
    async with started(
        "incoming", "--follow", "--interval", "0.2", env=credentials(api_url)
    ) as running:
        assert await running.line() == "(none)"
        posted = fake.post_incoming(ANN, text="Open till 8")
        header, row = await running.line(), await running.line()
        running.interrupt()
        run = await running.finish()
    assert run.returncode == 130
    assert header.split() == ["timestamp", "id_message", "type_message", "sender_id", "sender_name"]
    assert row.split() == [str(START), posted, "extendedTextMessage", ANN, "Ann"]


async def test_incoming_without_follow_is_unchanged_and_interval_needs_follow(
    api_url: str, fake: FakeGreenAPI
) -> None:
    env = credentials(api_url)
    posted = fake.post_incoming(ANN, text="Open till 8")
    listed = await cli("incoming", "--json", env=env)
    assert listed.returncode == 0
    assert [row["id_message"] for row in json.loads(listed.stdout)] == [posted]
    alone = await cli("incoming", "--interval", "1", "--json", env=env)
    assert alone.returncode == 2
    assert alone.json_lines()[0]["field"] == "interval"


# -- doctor's notifications line ----------------------------------------------------------

QUEUE_LINE = "[i] notifications: the queue (receiveNotification); no webhook URL is set"


async def test_doctor_says_notifications_come_through_the_queue(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert QUEUE_LINE in run.stdout.splitlines()
    as_json = await cli("doctor", "--json", env=credentials(api_url))
    assert json.loads(as_json.stdout)["notifications"] == {
        "channel": "queue",
        "webhook_origin": None,
    }


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (
            "https://hooks.example.com/greenapi/path-secret-3f9a?key=query-secret-7c1d",
            "https://hooks.example.com",
        ),
        (
            "https://user-secret-5e2b:pw@Hooks.Example.com:8443/path-secret-3f9a",
            "https://hooks.example.com:8443",
        ),
        ("hooks.example.com/path-secret-3f9a", None),
    ],
    ids=["path-and-query", "user-and-port", "no-scheme"],
)
async def test_doctor_names_the_webhook_host_and_never_its_path(
    api_url: str, fake: FakeGreenAPI, url: str, origin: str | None
) -> None:
    fake.settings["webhookUrl"] = url
    run = await cli("doctor", env=credentials(api_url))
    as_json = await cli("doctor", "--json", env=credentials(api_url))
    assert (run.returncode, as_json.returncode) == (0, 0)
    where = f"{origin}/…" if origin else "a URL without a scheme and host"
    assert (
        f"[i] notifications: webhooks to {where} (the queue, receiveNotification, gives "
        "nothing while a webhook URL is set)"
    ) in run.stdout.splitlines()
    assert QUEUE_LINE not in run.stdout
    assert json.loads(as_json.stdout)["notifications"] == {
        "channel": "webhooks",
        "webhook_origin": origin,
    }
    for output in (run.stdout, run.stderr, as_json.stdout, as_json.stderr):
        for secret in ("path-secret-3f9a", "query-secret-7c1d", "user-secret-5e2b", "pw@"):
            assert secret not in output
    # One getSettings: the notifications line reads the answer doctor already had.
    asked = [request.api_method for request in fake.requests]
    assert asked.count("getSettings") == 2  # one per run
