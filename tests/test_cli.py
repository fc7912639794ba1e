"""The greenstatus command line, end to end in a subprocess against a served fake."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import anyio
import pytest

from greenstatus._cli_batch import _Progress
from greenstatus.testing import FakeGreenAPI

pytestmark = pytest.mark.anyio

TOKEN = "cli-secret-token-5f2b9c0d41e7"


@pytest.fixture
def anyio_backend() -> str:
    # The CLI runs in its own process; the test only needs to serve the fake.
    return "asyncio"


# Differs from conftest's fake: the CLI tests run with the suite's own token
# shape, and statistics need contacts to count.
@pytest.fixture
def fake() -> FakeGreenAPI:
    return FakeGreenAPI("1101000001", TOKEN, contacts=("79001234567@c.us",))


@pytest.fixture
async def api_url(fake: FakeGreenAPI) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def json_lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


async def cli(*args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> Run:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GREEN_API_")
    }
    environment.update(env or {})
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "greenstatus", *args],
            input=stdin.encode() if stdin is not None else None,
            env=environment,
            check=False,
        )
    run = Run(done.returncode, done.stdout.decode(), done.stderr.decode())
    assert TOKEN not in run.stdout
    assert TOKEN not in run.stderr
    return run


def credentials(api_url: str) -> dict[str, str]:
    return {
        "GREEN_API_ID_INSTANCE": "1101000001",
        "GREEN_API_TOKEN": TOKEN,
        "GREEN_API_URL": api_url,
    }


async def test_send_text_prints_the_id(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("send-text", "hello", "--background-color", "#228B22", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    [status] = fake.statuses
    assert run.stdout == f"sent {status.id_message}\n"
    assert status.payload == {"message": "hello", "backgroundColor": "#228B22"}


async def test_options_may_stand_before_or_after_the_subcommand(
    api_url: str, fake: FakeGreenAPI
) -> None:
    after = await cli(
        "send-voice",
        "https://h/a.mp3",
        "--file-name",
        "a.mp3",
        "--json",
        "--participant",
        "+7 900 123-45-67",
        env=credentials(api_url),
    )
    before = await cli(
        "--json",
        "send-media",
        "https://h/b.png",
        "--file-name",
        "b.png",
        "--caption",
        "c",
        env=credentials(api_url),
    )
    assert [after.returncode, before.returncode] == [0, 0]
    ids = [s.id_message for s in fake.statuses]
    assert json.loads(after.stdout) == {"ok": True, "id_message": ids[0]}
    assert json.loads(before.stdout) == {"ok": True, "id_message": ids[1]}
    assert fake.statuses[0].payload["participants"] == ["79001234567@c.us"]


async def test_credentials_from_flags_and_a_token_file(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    run = await cli(
        "send-text",
        "hi",
        "--id-instance",
        "1101000001",
        "--api-url",
        api_url,
        "--token-file",
        str(token_file),
    )
    assert run.returncode == 0, run.stderr
    assert len(fake.statuses) == 1


async def test_missing_credentials_are_a_usage_error(api_url: str) -> None:
    run = await cli("send-text", "hi", env={"GREEN_API_URL": api_url})
    assert run.returncode == 2
    assert "GREEN_API_ID_INSTANCE" in run.stderr
    no_token = await cli("send-text", "hi", env={"GREEN_API_ID_INSTANCE": "1101000001"})
    assert no_token.returncode == 2
    assert "GREEN_API_TOKEN" in no_token.stderr


async def test_invalid_input_exits_2_naming_the_field(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("send-text", "hi", "--background-color", "green", env=credentials(api_url))
    assert run.returncode == 2
    assert "background_color" in run.stderr
    as_json = await cli(
        "send-voice",
        "https://h/a.ogg",
        "--file-name",
        "a.ogg",
        "--json",
        env=credentials(api_url),
    )
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["field"] == "file_name"
    assert fake.requests == []


async def test_a_usage_error_of_argparse_exits_2() -> None:
    run = await cli("check-link", "https://h/a.mp3")  # --kind missing
    assert run.returncode == 2
    assert "--kind" in run.stderr


async def test_an_api_failure_exits_1_without_the_token(api_url: str, fake: FakeGreenAPI) -> None:
    fake.fail_next(500, body={"message": f"boom at /waInstance1101000001/x/{TOKEN}"})
    run = await cli("send-text", "hi", "--json", env=credentials(api_url))
    assert run.returncode == 1
    assert json.loads(run.stdout)["error"] == "ServerError"
    wrong = await cli("send-text", "hi", env={**credentials(api_url), "GREEN_API_TOKEN": "bad"})
    assert wrong.returncode == 1
    assert "401" in wrong.stderr


async def test_a_network_failure_exits_1() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = await cli(
        "send-text", "hi", "--max-attempts", "1", env=credentials(f"http://127.0.0.1:{port}")
    )
    assert run.returncode == 1
    assert "not sent" in run.stderr


async def test_max_attempts_must_be_positive() -> None:
    run = await cli("send-text", "hi", "--max-attempts", "0")
    assert run.returncode == 2
    assert "--max-attempts" in run.stderr


async def test_delete_stats_and_outgoing(api_url: str, fake: FakeGreenAPI) -> None:
    env = credentials(api_url)
    sent = await cli("send-text", "hi", "--json", env=env)
    id_message = str(json.loads(sent.stdout)["id_message"])
    stats = await cli("stats", id_message, "--json", env=env)
    assert [row["participant"] for row in json.loads(stats.stdout)] == ["79001234567@c.us"]
    outgoing = await cli("outgoing", "--minutes", "60", env=env)
    assert outgoing.returncode == 0
    assert id_message in outgoing.stdout
    assert outgoing.stdout.splitlines()[0].split() == [
        "timestamp",
        "id_message",
        "type_message",
        "status_message",
        "file_name",
    ]
    incoming = await cli("incoming", env=env)
    assert incoming.stdout == "(none)\n"
    deleted = await cli("delete", id_message, env=env)
    assert (deleted.returncode, deleted.stdout) == (0, f"deleted {id_message}\n")
    assert fake.statuses == []
    bad_minutes = await cli("outgoing", "--minutes", "0", env=env)
    assert bad_minutes.returncode == 2


BATCH = "\n".join(
    [
        json.dumps({"type": "voice", "url_file": "https://h/a.mp3", "file_name": "a.mp3"}),
        json.dumps({"type": "text", "message": "hi", "background_color": "green"}),
        "{not json",
        "",
        json.dumps(
            {"type": "media", "url_file": "https://h/b.png", "file_name": "b.png", "caption": "c"}
        ),
        json.dumps({"type": "story", "message": "x"}),
        json.dumps({"type": "text", "message": "x", "colour": "#FFFFFF"}),
        json.dumps({"type": "voice", "url_file": "https://h/a.mp3"}),
    ]
)


async def test_send_batch_answers_every_line_in_order(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path
) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(BATCH)
    run = await cli("send-batch", str(batch), "--json", env=credentials(api_url))
    assert run.returncode == 2  # invalid lines, and no API failure
    lines = run.json_lines()
    assert [line["line"] for line in lines] == [1, 2, 3, 5, 6, 7, 8]
    assert [line["ok"] for line in lines] == [True, False, False, True, False, False, False]
    assert "background_color" in str(lines[1]["message"])
    assert "not JSON" in str(lines[2]["message"])
    assert "type" in str(lines[4]["message"])
    assert "colour" in str(lines[5]["message"])
    assert "file_name" in str(lines[6]["message"])
    assert [s.kind for s in fake.statuses] == ["voice", "media"]
    assert {line["id_message"] for line in lines if line["ok"]} == {
        s.id_message for s in fake.statuses
    }
    # No progress bar (stderr is not a terminal); the failures, summed up.
    assert run.stderr == (
        "greenstatus: error: 5 of 7 lines not sent (lines 2, 3, 6, 7, 8); "
        "each line's result is on standard output\n"
    )


async def test_send_batch_reads_stdin_and_exits_1_on_an_api_failure(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.fail_next(403)
    lines = "\n".join(json.dumps({"type": "text", "message": f"m{i}"}) for i in range(3))
    run = await cli("send-batch", "-", env=credentials(api_url), stdin=lines)
    assert run.returncode == 1
    output = run.stdout.splitlines()
    assert len(output) == 3
    assert sum("error" in line for line in output) == 1
    assert len(fake.statuses) == 2
    assert run.stderr.startswith("greenstatus: error: 1 of 3 lines not sent (line ")


async def test_the_demo_runs_offline_and_shows_all_three_kinds() -> None:
    run = await cli("demo")
    assert run.returncode == 0, run.stderr
    assert "fake GREEN-API served on http://127.0.0.1:" in run.stdout
    assert "uploaded horse.mp3 from a local file: http://127.0.0.1:" in run.stdout
    assert "refused a download link before sending it:" in run.stdout
    assert "application/octet-stream" in run.stdout
    table = run.stdout.splitlines()[-4:]
    assert table[0].split() == [
        "kind",
        "id_message",
        "type_message",
        "state",
        "recipients",
        "source",
    ]
    assert [row.split()[0] for row in table[1:]] == ["TextStatus", "VoiceStatus", "MediaStatus"]
    assert [row.split()[2] for row in table[1:]] == [
        "extendedTextMessage",
        "audioMessage",
        "imageMessage",
    ]
    as_json = await cli("demo", "--json")
    rows = json.loads(as_json.stdout)
    assert [row["state"] for row in rows] == ["sent", "sent", "sent"]
    assert [row["recipients"] for row in rows] == [3, 3, 1]
    assert [row["source"] for row in rows] == ["text", "uploaded file", "checked link"]


def test_the_progress_bar_is_drawn_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = _Progress(2, stream)
        progress.advance()
        progress.advance()
        progress.finish()
    assert terminal.getvalue().endswith("[" + "#" * 30 + "] 2/2\n")
    assert "1/2" in terminal.getvalue()
    assert pipe.getvalue() == ""


async def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "greenstatus"
    done = await anyio.run_process([str(script), "--help"], check=False)
    assert done.returncode == 0
    for command in (
        "send-text",
        "send-voice",
        "send-media",
        "delete",
        "stats",
        "incoming",
        "outgoing",
        "send-batch",
        "demo",
    ):
        assert command in done.stdout.decode()


SUBCOMMANDS = [
    "send-text",
    "send-voice",
    "send-media",
    "delete",
    "stats",
    "incoming",
    "outgoing",
    "send-batch",
    "demo",
]


@pytest.mark.parametrize("command", SUBCOMMANDS)
async def test_every_subcommands_help_works(command: str) -> None:
    run = await cli(command, "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: greenstatus {command}")
    assert "--max-attempts N" in run.stdout
    assert "default 4" in run.stdout


async def test_the_top_level_help_lists_every_subcommand() -> None:
    run = await cli("--help")
    assert run.returncode == 0, run.stderr
    for command in SUBCOMMANDS:
        assert command in run.stdout


async def test_version_prints_the_version() -> None:
    import greenstatus

    run = await cli("--version")
    assert run.returncode == 0
    assert run.stdout == f"greenstatus {greenstatus.__version__}\n"


async def test_a_reader_that_goes_away_ends_the_command_quietly(
    api_url: str, fake: FakeGreenAPI
) -> None:
    for number in range(50):
        fake.handle(
            "POST",
            f"/waInstance1101000001/sendTextStatus/{TOKEN}",
            {},
            {"content-type": "application/json"},
            json.dumps({"message": f"status {number}"}).encode(),
        )
    environment = {**os.environ, **credentials(api_url)}
    reader, writer = os.pipe()
    os.close(reader)  # like `| head` having already exited
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "greenstatus", "outgoing"],
            stdout=writer,
            env=environment,
            check=False,
        )
    os.close(writer)
    assert done.returncode == 141
    assert done.stderr == b""


async def test_a_batch_file_that_is_not_utf8_is_a_usage_error_naming_it(
    api_url: str, tmp_path: Path
) -> None:
    batch = tmp_path / "statuses.jsonl"
    batch.write_bytes(b'{"type": "text", "message": "ok"}\n\xff\xfe broken\n')
    run = await cli("send-batch", str(batch), env=credentials(api_url))
    assert run.returncode == 2
    assert (
        run.stderr == f"greenstatus: error: {batch} is not UTF-8 text (line 2, byte 34: b'\\xff')\n"
    )


async def test_standard_input_that_is_not_utf8_is_a_usage_error(api_url: str) -> None:
    environment = {**os.environ, **credentials(api_url)}
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "greenstatus", "send-batch", "-"],
            input=b"\xff",
            env=environment,
            check=False,
        )
    assert done.returncode == 2
    assert b"standard input is not UTF-8 text" in done.stderr
    assert b"Traceback" not in done.stderr


async def test_a_token_file_that_is_not_utf8_is_a_usage_error(api_url: str, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_bytes(b"\xfftoken")
    env = {key: value for key, value in credentials(api_url).items() if key != "GREEN_API_TOKEN"}
    run = await cli("send-text", "hi", "--token-file", str(token_file), env=env)
    assert run.returncode == 2
    assert "--token-file is not UTF-8 text" in run.stderr


@pytest.mark.parametrize(
    ("status_code", "body", "hint"),
    [
        (401, {"message": "Unauthorized"}, "the API token (from GREEN_API_TOKEN) is wrong"),
        (403, {"message": "Forbidden"}, "check the instance id (from GREEN_API_ID_INSTANCE)"),
        (404, {"message": "Not Found"}, "check the API URL (from GREEN_API_URL)"),
        (400, {"message": "instance account not authorized"}, "run `greenstatus doctor`"),
    ],
)
async def test_api_errors_say_what_to_check(
    api_url: str, fake: FakeGreenAPI, status_code: int, body: object, hint: str
) -> None:
    fake.fail_next(status_code, body=body, times=4)
    run = await cli("send-text", "hi", "--max-attempts", "1", env=credentials(api_url))
    assert run.returncode == 1
    assert f"greenstatus: hint: {hint}" in run.stderr


async def test_a_401_names_the_token_file_it_came_from(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("wrong-token\n")
    env = {key: value for key, value in credentials(api_url).items() if key != "GREEN_API_TOKEN"}
    run = await cli("send-text", "hi", "--token-file", str(token_file), "--json", env=env)
    assert run.returncode == 1
    [data] = run.json_lines()
    assert data["hint"] == (
        f"the API token (from --token-file {token_file}) is wrong: "
        "copy apiTokenInstance from the GREEN-API console"
    )


async def test_malformed_batch_lines_are_each_named_without_a_traceback(
    api_url: str, fake: FakeGreenAPI
) -> None:
    lines = [
        '{"type": ["text"], "message": "hi"}',
        '{"type": "text"}',
        '{"type": "text", "message": NaN}',
        '{"type": "text", "message": "hi", "participants": [7]}',
        '{"type": "text", "message": "hi", "participants": "79001234567"}',
        '{"type": "voice", "url_file": "https://[::1/a.mp3", "file_name": "a.mp3"}',
        '{"type": "text", "message": "\\ud800"}',
        "[1, 2]",
        "not json",
    ]
    run = await cli("send-batch", "-", env=credentials(api_url), stdin="\n".join(lines) + "\n")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert [line.split(":")[0] for line in run.stdout.splitlines()] == [
        f"line {number}" for number in range(1, len(lines) + 1)
    ]
    assert all(": error: " in line for line in run.stdout.splitlines())
    assert fake.statuses == []


async def test_an_argument_that_is_not_text_is_a_usage_error() -> None:
    # An argument that is not UTF-8 reaches Python as lone surrogates.
    environment = {**os.environ, "GREEN_API_ID_INSTANCE": "1", "GREEN_API_TOKEN": "t"}
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "greenstatus", "send-text", b"caf\xe9"],
            env=environment,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "greenstatus: error: message: contains a lone surrogate, U+DCE9, at position 3\n"
    )


# -- local files, link checks and the doctor ----------------------------------------


def with_media(api_url: str) -> dict[str, str]:
    return {**credentials(api_url), "GREEN_API_MEDIA_URL": api_url}


@pytest.mark.parametrize(
    ("command", "name", "kind", "extra"),
    [
        ("send-voice", "note.mp3", "voice", ["--background-color", "#228B22"]),
        ("send-media", "horse.jpg", "media", ["--caption", "Little horse"]),
    ],
)
async def test_send_commands_take_a_local_path_and_upload_it(
    api_url: str,
    fake: FakeGreenAPI,
    tmp_path: Path,
    command: str,
    name: str,
    kind: str,
    extra: list[str],
) -> None:
    (tmp_path / name).write_bytes(b"file bytes")
    run = await cli(command, str(tmp_path / name), *extra, env=with_media(api_url))
    assert run.returncode == 0, run.stderr
    assert [r.api_method for r in fake.requests] == [
        "uploadFile",
        f"send{kind.capitalize()}Status",
    ]
    (url_file,) = fake.uploads
    [status] = fake.statuses
    assert status.payload["urlFile"] == url_file
    assert status.payload["fileName"] == name
    assert run.stdout == f"sent {status.id_message}\n"


async def test_a_missing_local_file_is_a_usage_error(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path
) -> None:
    run = await cli("send-voice", str(tmp_path / "gone.mp3"), env=with_media(api_url))
    assert run.returncode == 2
    assert "path: no such file" in run.stderr
    assert fake.requests == []


async def test_a_link_without_file_name_takes_the_link_s_own(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli("send-voice", "https://h/sounds/horse.mp3", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert fake.statuses[0].payload["fileName"] == "horse.mp3"


async def test_check_link_passes_a_direct_link_and_refuses_a_download(
    api_url: str, fake: FakeGreenAPI
) -> None:
    direct = fake.host_file("a.mp3", b"ID3", content_type="audio/mpeg")
    download = fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream")
    # No credentials (the API URL alone, whose loopback host links may then
    # be on): a link check never calls GREEN-API.
    passed = await cli("check-link", direct, "--kind", "voice", env={"GREEN_API_URL": api_url})
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout == "ok: voice status from a direct link (audio/mpeg, 3 bytes)\n"
    refused = await cli(
        "check-link", download, "--kind", "voice", "--json", env={"GREEN_API_URL": api_url}
    )
    assert refused.returncode == 3
    answer = json.loads(refused.stdout)
    assert (answer["ok"], answer["error"], answer["field"]) == (False, "LinkCheckError", "url_file")
    assert "octet-stream" in refused.stderr
    assert fake.requests == []


async def test_check_links_on_a_send_refuses_before_sending(
    api_url: str, fake: FakeGreenAPI
) -> None:
    download = fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream")
    run = await cli("send-voice", download, "--check-links", env=credentials(api_url))
    assert run.returncode == 3
    assert "never appears" in run.stderr
    assert fake.requests == []
    unchecked = await cli("send-voice", download, env=credentials(api_url))
    assert unchecked.returncode == 0  # what GREEN-API itself does: accept it


async def test_doctor_on_a_ready_instance(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[1:] == [
        "[ok] state: authorized",
        "[ok] outgoingWebhook: on (statistics and outgoing statuses are recorded)",
        "[i] queue: 500 ms between two sends (delaySendMessagesMilliseconds)",
        "[i] notifications: the queue (receiveNotification); no webhook URL is set",
        "[ok] audience: reached 1 of at most 1024 named contacts; 0 unnamed (1 contact in all)",
        "ready to send",
    ]


async def test_doctor_warns_without_outgoing_webhook_but_passes(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.settings["outgoingWebhook"] = "no"
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert "[!] outgoingWebhook is off" in run.stdout
    assert "fix: turn on" in run.stdout
    assert run.stdout.endswith("ready to send, with a warning\n")


@pytest.mark.parametrize("state", ["notAuthorized", "starting", "blocked", "yellowCard"])
async def test_doctor_fails_when_the_state_blocks_sending(
    api_url: str, fake: FakeGreenAPI, state: str
) -> None:
    fake.state = state
    run = await cli("doctor", "--json", env=credentials(api_url))
    assert run.returncode == 1
    answer = json.loads(run.stdout)
    assert (answer["ok"], answer["can_send"], answer["state"]) == (False, False, state)
    assert answer["problems"][0]["code"] == "state"
    assert answer["problems"][0]["blocks_sending"] is True


async def test_doctor_with_a_wrong_token_says_so(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("doctor", env={**credentials(api_url), "GREEN_API_TOKEN": "wrong"})
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.startswith("greenstatus: error: getStateInstance answered 401")
    assert "greenstatus: hint: the API token" in run.stderr


async def test_a_send_refused_as_not_ready_points_at_doctor(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.state = "notAuthorized"
    run = await cli("send-text", "hi", env=credentials(api_url))
    assert run.returncode == 1
    assert "state notAuthorized" in run.stderr
    assert "greenstatus doctor" in run.stderr


async def test_send_batch_with_check_links_refuses_a_download_line(
    api_url: str, fake: FakeGreenAPI
) -> None:
    direct = fake.host_file("a.mp3", b"ID3", content_type="audio/mpeg")
    download = fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream")
    lines = "\n".join(
        json.dumps({"type": "voice", "url_file": url, "file_name": "a.mp3"})
        for url in (direct, download)
    )
    run = await cli("send-batch", "-", "--check-links", env=credentials(api_url), stdin=lines)
    assert run.returncode == 3  # the same code as send-voice --check-links
    first, second = run.stdout.splitlines()
    assert first.startswith("line 1: sent ")
    assert second.startswith("line 2: error: url_file: ")
    assert len(fake.statuses) == 1


# -- one exit code per kind of failure, for every subcommand -------------------------------


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# Every subcommand, run as it fails in each way it can: (arguments, standard
# input). "{direct}" and "{download}" stand for links the fake hosts.
FAILURES: dict[str, dict[str, tuple[list[str], str | None]]] = {
    "send-text": {
        "invalid": (["send-text", "hi", "--background-color", "green"], None),
        "api": (["send-text", "hi"], None),
        "network": (["send-text", "hi"], None),
    },
    "send-voice": {
        "invalid": (["send-voice", "https://h/a.ogg"], None),
        "api": (["send-voice", "{direct}"], None),
        "network": (["send-voice", "{direct}"], None),
        "link": (["send-voice", "{download}", "--check-links"], None),
    },
    "send-media": {
        "invalid": (["send-media", "https://h/a.jpg", "--caption", "x" * 1025], None),
        "api": (["send-media", "https://h/a.jpg"], None),
        "network": (["send-media", "https://h/a.jpg"], None),
        "link": (["send-media", "{download_jpg}", "--check-links"], None),
    },
    "check-link": {
        "invalid": (["check-link", "ftp://h/a.mp3", "--kind", "voice"], None),
        "link": (["check-link", "{download}", "--kind", "voice"], None),
    },
    "doctor": {"api": (["doctor"], None), "network": (["doctor"], None)},
    "delete": {
        "invalid": (["delete", ""], None),
        "api": (["delete", "BAE5F4886F4A0E9B"], None),
        "network": (["delete", "BAE5F4886F4A0E9B"], None),
    },
    "stats": {
        "invalid": (["stats", ""], None),
        "api": (["stats", "BAE5F4886F4A0E9B"], None),
        "network": (["stats", "BAE5F4886F4A0E9B"], None),
    },
    "incoming": {
        "invalid": (["incoming", "--minutes", "0"], None),
        "api": (["incoming"], None),
        "network": (["incoming"], None),
    },
    "outgoing": {
        "invalid": (["outgoing", "--minutes", "0"], None),
        "api": (["outgoing"], None),
        "network": (["outgoing"], None),
    },
    "send-batch": {
        "invalid": (["send-batch", "-"], '{"type": "text", "message": "hi", "font": "COMIC"}'),
        "api": (["send-batch", "-"], '{"type": "text", "message": "hi"}'),
        "network": (["send-batch", "-"], '{"type": "text", "message": "hi"}'),
        "link": (
            ["send-batch", "-", "--check-links"],
            '{"type": "voice", "url_file": "{download}", "file_name": "a.mp3"}',
        ),
    },
}
EXIT_CODES = {"invalid": 2, "api": 1, "network": 1, "link": 3}
# The field each invalid run's error names, in its --json error object.
FIELDS = {
    "send-text": "background_color",
    "send-voice": "file_name",
    "send-media": "caption",
    "check-link": "url_file",
    "delete": "id_message",
    "stats": "id_message",
    "incoming": "minutes",
    "outgoing": "minutes",
    "send-batch": "font",
}
CASES = [(command, kind) for command, kinds in FAILURES.items() for kind in kinds]


@pytest.mark.parametrize(("command", "kind"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
async def test_each_kind_of_failure_has_one_exit_code_in_every_subcommand(
    api_url: str, fake: FakeGreenAPI, command: str, kind: str
) -> None:
    links = {
        "{direct}": fake.host_file("a.mp3", b"ID3", content_type="audio/mpeg"),
        "{download}": fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream"),
        "{download_jpg}": fake.host_file(
            "c.jpg", b"\xff\xd8", content_type="application/octet-stream"
        ),
    }

    def filled(text: str) -> str:
        for mark, link in links.items():
            text = text.replace(mark, link)
        return text

    arguments, stdin = FAILURES[command][kind]
    env = credentials(dead_url() if kind == "network" else api_url)
    if kind == "api":
        fake.fail_next(403, times=5)
    run = await cli(
        *map(filled, arguments),
        "--json",
        "--max-attempts",
        "1",
        env=env,
        stdin=filled(stdin) if stdin is not None else None,
    )
    assert run.returncode == EXIT_CODES[kind], run.stderr
    assert "Traceback" not in run.stderr
    assert fake.statuses == []
    (answer,) = run.json_lines()
    assert answer["ok"] is False
    if kind == "invalid":
        assert answer["field"] == FIELDS[command]
    elif kind == "link":
        assert (answer["error"], answer["field"]) == ("LinkCheckError", "url_file")
    else:
        assert "field" not in answer
        assert answer.get("status_code") == (403 if kind == "api" else None)


@pytest.mark.parametrize(
    "command",
    [["send-text", "hi"], ["doctor"], ["delete", "X"], ["incoming"], ["send-batch", "-"]],
)
async def test_missing_credentials_exit_2_in_every_subcommand_that_needs_them(
    command: list[str],
) -> None:
    run = await cli(*command, stdin='{"type": "text", "message": "hi"}')
    assert run.returncode == 2
    assert "GREEN_API_ID_INSTANCE" in run.stderr


async def test_send_batch_json_error_lines_carry_the_field(
    api_url: str, fake: FakeGreenAPI
) -> None:
    download = fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream")
    lines = [
        '{"type": "text", "message": "hi", "background_color": "green"}',
        '{"type": "voice", "file_name": "a.mp3"}',
        '{"type": "text", "message": "hi", "colour": "#228B22"}',
        '{"type": "sticker"}',
        "not json",
        json.dumps({"type": "voice", "url_file": download, "file_name": "b.mp3"}),
    ]
    run = await cli(
        "send-batch",
        "-",
        "--json",
        "--check-links",
        env=credentials(api_url),
        stdin="\n".join(lines),
    )
    assert run.returncode == 3  # a refused link outranks invalid lines
    answers = run.json_lines()
    assert [answer.get("field") for answer in answers] == [
        "background_color",
        "url_file",
        "colour",
        "type",
        None,
        "url_file",
    ]
    assert answers[1]["message"] == "url_file: is required in a VoiceStatus"
    assert answers[4]["error"] == "InvalidStatusError"
    assert answers[5]["error"] == "LinkCheckError"
    assert all(answer["line"] == number for number, answer in enumerate(answers, start=1))
    assert fake.statuses == []


async def test_send_batch_exits_1_when_a_send_failed_whatever_else_did(
    api_url: str, fake: FakeGreenAPI
) -> None:
    download = fake.host_file("b.mp3", b"ID3", content_type="application/octet-stream")
    fake.fail_next(403)
    lines = [
        '{"type": "text", "message": "hi"}',
        '{"type": "text", "message": "hi", "font": "COMIC"}',
        json.dumps({"type": "voice", "url_file": download, "file_name": "b.mp3"}),
    ]
    run = await cli(
        "send-batch",
        "-",
        "--check-links",
        "--max-attempts",
        "1",
        env=credentials(api_url),
        stdin="\n".join(lines),
    )
    assert run.returncode == 1
