"""Who a status reaches, from the command line: ``audience``, doctor's audience
line, and ``--check-audience`` / ``--all-contacts`` on the send commands, end
to end in a subprocess against a served fake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from greenstatus import Contact
from greenstatus.testing import FakeGreenAPI

from .test_cli import TOKEN, cli, credentials, with_media

pytestmark = pytest.mark.anyio

ANN = "79001234567@c.us"  # named: reached
BOB = "79001234568@c.us"  # not saved with a name
GROUP = "120363043968066561@g.us"
# 1024 more named contacts after Ann: the last one is the 1025th named.
CROWD = [f"7900300{number:04d}@c.us" for number in range(1024)]
BEYOND = CROWD[-1]
STRANGER = "12025550123@c.us"  # not among the contacts

CONTACTS: list[Contact | str] = [
    Contact(ANN, name="Ann", contact_name="Ann"),
    Contact(BOB, name="Bob"),
    Contact(GROUP, name="Family", type="group"),
    *CROWD,
]

UNNAMED_FIX = (
    "save the number with a name in the sender's phone book, then re-authorize the "
    "instance or wait up to 5 minutes for the contacts to update"
)
BEYOND_FIX = (
    "statuses reach only the first 1024 named contacts: remove the names of contacts "
    "statuses need not reach, so that this one is among the first 1024"
)
UNKNOWN_FIX = (
    "check the number, country code first ('+7 900 123-45-67'); if it is right, save it "
    "with a name in the sender's phone book, then wait up to 5 minutes"
)
GROUPS_FIX = "statuses never go to groups: give the members' numbers instead"
NO_NAMED = (
    "no contact is saved with a name: a status reaches no one; save the numbers with "
    "names in the phone, then wait up to 5 minutes"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeGreenAPI:
    return FakeGreenAPI("1101000001", TOKEN, contacts=CONTACTS)


@pytest.fixture
async def api_url(fake: FakeGreenAPI) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


def methods(fake: FakeGreenAPI) -> list[str | None]:
    return [request.api_method for request in fake.requests]


# -- audience --------------------------------------------------------------------------


async def test_audience_of_all_contacts_counts_and_lists_who_is_missed(api_url: str) -> None:
    run = await cli("audience", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "reached: 1024 of at most 1024 named contacts (1027 contacts in all)",
        "unnamed: 1 (saved without a name)",
        "beyond the limit: 1 (named, after the first 1024)",
        "groups: 1 (statuses never go to groups)",
        "unnamed, which a status does not reach:",
        f"  {BOB}",
        "  fix: save these numbers with names in the sender's phone book, then re-authorize "
        "the instance or wait up to 5 minutes for the contacts to update",
        "beyond the limit, which a status does not reach:",
        f"  {BEYOND}",
        "  fix: statuses reach only the first 1024 named contacts: remove the names of "
        "contacts statuses need not reach, to bring these within the first 1024",
    ]
    assert run.stderr == ""


async def test_audience_json_lists_everything(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("audience", "--json", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "ok": True,
        "reached": [ANN, *CROWD[:-1]],
        "unnamed": [BOB],
        "beyond_limit": [BEYOND],
        "unknown": [],
        "groups": [GROUP],
        "contacts": 1027,
        "named": 1025,
        "limit": 1024,
    }
    assert methods(fake) == ["getContacts"]


@pytest.mark.parametrize(
    ("participant", "lines"),
    [
        (
            BOB,
            [f"[x] {BOB}: saved without a name: a status reaches only contacts saved with a name"],
        ),
        (
            BEYOND,
            [
                f"[x] {BEYOND}: named, but after the first 1024 named contacts, the most a "
                "status reaches"
            ],
        ),
        (STRANGER, [f"[x] {STRANGER}: not among the instance's contacts"]),
        (GROUP, [f"[x] {GROUP}: a group chat"]),
    ],
    ids=["unnamed", "beyond_limit", "unknown", "groups"],
)
async def test_a_participant_not_reached_is_named_with_why_and_a_fix(
    api_url: str, participant: str, lines: list[str]
) -> None:
    fixes = {BOB: UNNAMED_FIX, BEYOND: BEYOND_FIX, STRANGER: UNKNOWN_FIX, GROUP: GROUPS_FIX}
    run = await cli("audience", participant, env=credentials(api_url))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        *lines,
        f"    fix: {fixes[participant]}",
        "reached: 0 of 1 participant",
    ]


async def test_participants_are_reported_in_the_order_given(api_url: str) -> None:
    run = await cli(
        "audience", "+1 202 555 0123", "+7 900 123-45-67", BOB, GROUP, env=credentials(api_url)
    )
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"[x] {STRANGER}: not among the instance's contacts",
        f"    fix: {UNKNOWN_FIX}",
        f"[x] {BOB}: saved without a name: a status reaches only contacts saved with a name",
        f"    fix: {UNNAMED_FIX}",
        f"[x] {GROUP}: a group chat",
        f"    fix: {GROUPS_FIX}",
        "reached: 1 of 4 participants",
    ]
    as_json = await cli("audience", "--json", "79001234567", BOB, env=credentials(api_url))
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout) == {
        "ok": False,
        "reached": [ANN],
        "unnamed": [BOB],
        "beyond_limit": [],
        "unknown": [],
        "groups": [],
        "contacts": 1027,
        "named": 1025,
        "limit": 1024,
    }


async def test_participants_all_reached_exit_0(api_url: str) -> None:
    run = await cli("audience", "+7 900 123-45-67", CROWD[0], env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "reached: 2 of 2 participants\n"


async def test_a_bad_participant_is_an_input_error_and_nothing_is_asked(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli("audience", ANN, "900 123 45 67", env=credentials(api_url))
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (
        "greenstatus: error: participants[1]: '900 123 45 67' is not a valid phone number "
        "with its country code: write the country code first, e.g. '+7 900 123-45-67' "
        "rather than '900 123 45 67' or '8 900 123 45 67' (a number the check does not know "
        "yet can be given as a chat id, '79001234567@c.us')\n"
    )
    as_json = await cli("audience", "--json", "900 123 45 67", env=credentials(api_url))
    assert as_json.returncode == 2
    answer = json.loads(as_json.stdout)
    assert (answer["ok"], answer["error"], answer["field"]) == (
        False,
        "InvalidStatusError",
        "participants[0]",
    )
    assert fake.requests == []


async def test_long_lists_are_cut_and_no_one_reached_exits_1(
    api_url: str, fake: FakeGreenAPI
) -> None:
    unnamed = [f"7900400{number:04d}@c.us" for number in range(25)]
    fake.contacts = [Contact(chat_id) for chat_id in unnamed]
    run = await cli("audience", env=credentials(api_url))
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "reached: 0 of at most 1024 named contacts (25 contacts in all)",
        "unnamed: 25 (saved without a name)",
        "beyond the limit: 0 (named, after the first 1024)",
        "groups: 0 (statuses never go to groups)",
        "unnamed, which a status does not reach:",
        *(f"  {chat_id}" for chat_id in unnamed[:20]),
        "  ... and 5 more (--json lists them all)",
        "  fix: save these numbers with names in the sender's phone book, then re-authorize "
        "the instance or wait up to 5 minutes for the contacts to update",
        NO_NAMED,
    ]
    as_json = await cli("audience", "--json", env=credentials(api_url))
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["unnamed"] == unnamed


async def test_no_contacts_at_all_says_what_getcontacts_answered(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.contacts = []
    run = await cli("audience", env=credentials(api_url))
    assert run.returncode == 1
    assert run.stdout.splitlines()[-1] == (
        "getContacts listed no contacts: GREEN-API says an empty list can be passing: ask "
        "again in a minute; if it stays empty, scan the instance's QR code again"
    )


async def test_audience_help_and_an_api_failure(api_url: str, fake: FakeGreenAPI) -> None:
    helped = await cli("audience", "--help")
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: greenstatus audience")
    assert "PARTICIPANT" in helped.stdout
    fake.fail_next(401)
    run = await cli("audience", "--json", "--max-attempts", "1", env=credentials(api_url))
    assert run.returncode == 1
    answer = json.loads(run.stdout)
    assert (answer["ok"], answer["status_code"]) == (False, 401)
    assert answer["hint"].startswith("the API token (from GREEN_API_TOKEN) is wrong")


# -- doctor ------------------------------------------------------------------------------


DOCTOR_HEAD = [
    "[ok] state: authorized",
    "[ok] outgoingWebhook: on (statistics and outgoing statuses are recorded)",
    "[i] queue: 500 ms between two sends (delaySendMessagesMilliseconds)",
    "[i] notifications: the queue (receiveNotification); no webhook URL is set",
]


async def test_doctor_says_how_many_a_status_reaches(api_url: str, fake: FakeGreenAPI) -> None:
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[1:] == [
        *DOCTOR_HEAD,
        "[ok] audience: reached 1024 of at most 1024 named contacts; 1 unnamed, 1 beyond the "
        "limit (1027 contacts in all)",
        "ready to send",
    ]
    assert methods(fake) == ["getStateInstance", "getSettings", "getContacts"]
    as_json = await cli("doctor", "--json", env=credentials(api_url))
    answer = json.loads(as_json.stdout)
    assert (answer["ok"], answer["can_send"], answer["problems"]) == (True, True, [])
    assert answer["audience"] == {
        "reached": 1024,
        "unnamed": 1,
        "beyond_limit": 1,
        "groups": 1,
        "contacts": 1027,
        "named": 1025,
        "limit": 1024,
    }
    assert answer["audience_error"] is None


async def test_doctor_warns_when_no_one_is_reached(api_url: str, fake: FakeGreenAPI) -> None:
    fake.contacts = [Contact(BOB, name="Bob"), Contact(GROUP, type="group")]
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[1:] == [
        *DOCTOR_HEAD,
        "[!] audience: reached 0 of at most 1024 named contacts; 1 unnamed (2 contacts in all)",
        f"    fix: {NO_NAMED}",
        "ready to send, with a warning",
    ]
    as_json = await cli("doctor", "--json", env=credentials(api_url))
    assert as_json.returncode == 0
    answer = json.loads(as_json.stdout)
    assert answer["ok"] is True
    assert answer["problems"] == [
        {
            "code": "audience",
            "message": "audience: reached 0 of at most 1024 named contacts; 1 unnamed "
            "(2 contacts in all)",
            "hint": NO_NAMED,
            "blocks_sending": False,
        }
    ]


async def test_doctor_reports_a_getcontacts_failure_without_a_crash() -> None:
    fake = FakeGreenAPI("1101000001", TOKEN, contacts=CONTACTS, rate_limits={"getContacts": 0})
    async with fake.serve() as url:
        run = await cli("doctor", "--max-attempts", "1", env=credentials(url))
        as_json = await cli("doctor", "--json", "--max-attempts", "1", env=credentials(url))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert lines[1:5] == DOCTOR_HEAD
    assert lines[5].startswith("[!] audience: getContacts failed: getContacts answered 429")
    assert lines[6] == (
        "    fix: over the instance's rate limit: wait and send again, or raise --max-attempts"
    )
    assert lines[7] == "ready to send, with a warning"
    assert run.stderr.startswith("greenstatus: error: getContacts answered 429")
    assert run.stderr.endswith(
        "greenstatus: hint: over the instance's rate limit: wait and send again, or raise "
        "--max-attempts\n"
    )
    assert as_json.returncode == 1
    answer = json.loads(as_json.stdout)
    assert (answer["ok"], answer["can_send"], answer["audience"]) == (False, True, None)
    assert answer["audience_error"]["status_code"] == 429
    assert answer["problems"][0]["code"] == "audience"


async def test_doctor_asks_no_contacts_when_the_instance_cannot_send(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.state = "notAuthorized"
    run = await cli("doctor", env=credentials(api_url))
    assert run.returncode == 1
    assert "[?] audience: not readable while the instance cannot send" in run.stdout.splitlines()
    assert "getContacts" not in methods(fake)


# -- the send commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "api_method"),
    [
        (["send-text", "hi"], "sendTextStatus"),
        (["send-voice", "https://h/a.mp3"], "sendVoiceStatus"),
        (["send-media", "https://h/a.jpg"], "sendMediaStatus"),
    ],
    ids=["text", "voice", "media"],
)
async def test_all_contacts_names_every_reached_contact_on_the_wire(
    api_url: str, fake: FakeGreenAPI, command: list[str], api_method: str
) -> None:
    run = await cli(*command, "--all-contacts", env=credentials(api_url))
    assert run.returncode == 0, run.stderr
    [status] = fake.statuses
    assert run.stdout == f"sent {status.id_message}\n"
    assert methods(fake) == ["getContacts", api_method]
    body = json.loads(fake.requests[-1].body)
    assert body["participants"] == [ANN, *CROWD[:-1]]


async def test_all_contacts_takes_a_local_file_too(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path
) -> None:
    (tmp_path / "note.mp3").write_bytes(b"ID3")
    fake.contacts = [ANN, Contact(BOB)]
    run = await cli(
        "send-voice", str(tmp_path / "note.mp3"), "--all-contacts", env=with_media(api_url)
    )
    assert run.returncode == 0, run.stderr
    assert methods(fake) == ["getContacts", "uploadFile", "sendVoiceStatus"]
    assert json.loads(fake.requests[-1].body)["participants"] == [ANN]


async def test_all_contacts_with_a_participant_is_a_usage_error(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli(
        "send-text", "hi", "--participant", ANN, "--all-contacts", env=credentials(api_url)
    )
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == (
        "greenstatus send-text: error: argument --all-contacts: not allowed with argument "
        "--participant"
    )
    assert fake.requests == []


async def test_all_contacts_reaching_no_one_points_at_audience(
    api_url: str, fake: FakeGreenAPI
) -> None:
    fake.contacts = [Contact(BOB)]
    run = await cli("send-text", "hi", "--all-contacts", env=credentials(api_url))
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == (
        "greenstatus: hint: `greenstatus audience` lists the contacts and why a status misses "
        "each; save the numbers with names in the phone, then wait up to 5 minutes"
    )
    assert fake.statuses == []


EMPTY_LIST_HINT = (
    "greenstatus: hint: getContacts answered an empty list: try again in a minute; if it "
    "stays empty, scan the instance's QR code again in the GREEN-API console"
)


@pytest.mark.parametrize(
    "command",
    [
        ["send-text", "hi", "--all-contacts"],
        ["send-text", "hi", "--check-audience", "--participant", ANN],
    ],
    ids=["all-contacts", "check-audience"],
)
async def test_an_empty_contact_list_gets_the_hint_for_an_empty_list(
    api_url: str, fake: FakeGreenAPI, command: list[str]
) -> None:
    fake.empty_contacts_next(times=3)
    run = await cli(*command, env=credentials(api_url))
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == EMPTY_LIST_HINT
    assert methods(fake) == ["getContacts"] * 3
    assert fake.statuses == []


@pytest.mark.parametrize(
    ("command", "stdin"),
    [
        (["send-text", "hi", "--participant", ANN, "--participant", BOB], None),
        (["send-voice", "https://h/a.mp3", "--participant", ANN, "--participant", BOB], None),
        (["send-media", "https://h/a.jpg", "--participant", ANN, "--participant", BOB], None),
        (
            ["send-batch", "-"],
            json.dumps({"type": "text", "message": "hi", "participants": [ANN, BOB]}),
        ),
    ],
    ids=["text", "voice", "media", "batch"],
)
async def test_check_audience_refuses_before_anything_is_sent(
    api_url: str, fake: FakeGreenAPI, command: list[str], stdin: str | None
) -> None:
    run = await cli(*command, "--check-audience", env=credentials(api_url), stdin=stdin)
    assert run.returncode == 2
    assert fake.statuses == []
    assert methods(fake) == ["getContacts"]
    problem = (
        f"participants[1]: {BOB!r} would not see the status: the number is among the "
        "contacts but not saved with a name in the phone book, and statuses reach only "
        "named contacts"
    )
    if command[0] == "send-batch":
        assert run.stdout == f"line 1: error: {problem}\n"
    else:
        assert run.stderr.splitlines() == [
            f"greenstatus: error: {problem}",
            f"greenstatus: hint: {UNNAMED_FIX}",
        ]
    unchecked = await cli(*command, env=credentials(api_url), stdin=stdin)
    assert unchecked.returncode == 0, unchecked.stderr
    assert len(fake.statuses) == 1


async def test_check_audience_json_names_the_field_and_the_fix(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli(
        "send-text",
        "hi",
        "--participant",
        STRANGER,
        "--check-audience",
        "--json",
        env=credentials(api_url),
    )
    assert run.returncode == 2
    answer = json.loads(run.stdout)
    assert (answer["error"], answer["field"], answer["hint"]) == (
        "AudienceError",
        "participants[0]",
        UNKNOWN_FIX,
    )
    assert fake.statuses == []


async def test_a_group_participant_is_refused_with_its_fix(
    api_url: str, fake: FakeGreenAPI
) -> None:
    run = await cli("send-text", "hi", "--participant", GROUP, env=credentials(api_url))
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1] == f"greenstatus: hint: {GROUPS_FIX}"
    assert fake.requests == []
