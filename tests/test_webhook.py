"""A webhook POST: its Authorization header checked against webhookUrlToken in
constant time before its body is read, and the token never in an error."""

from __future__ import annotations

import copy
import hmac
import json
import pickle
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from greenstatus._exceptions import (
    GreenStatusError,
    NotificationError,
    WebhookAuthError,
    WebhookAuthReason,
)
from greenstatus._notifications import IncomingStatusEvent, OutgoingStatusEvent
from greenstatus._webhook import parse_webhook

from .reachable import hits
from .test_notifications import OUTGOING_STATUS, TEXT_STATUS, without

# A webhookUrlToken shaped like one a deployment would set.
WEBHOOK_TOKEN = "wh-3f9c2a7e8b1d4c6fa0e5b7d9c1e3f5a7"
BODY = json.dumps(TEXT_STATUS)


def refused(headers: Mapping[str, str], token: str, body: object = BODY) -> WebhookAuthError:
    with pytest.raises(WebhookAuthError) as excinfo:
        parse_webhook(headers, body, token=token)  # type: ignore[arg-type]
    return excinfo.value


def test_the_right_bare_token_is_accepted() -> None:
    event = parse_webhook({"Authorization": WEBHOOK_TOKEN}, BODY, token=WEBHOOK_TOKEN)
    assert isinstance(event, IncomingStatusEvent)
    assert event.text == "Out of office today"


def test_the_right_bearer_token_is_accepted() -> None:
    headers = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    assert isinstance(parse_webhook(headers, BODY, token=WEBHOOK_TOKEN), IncomingStatusEvent)


def test_a_token_set_as_bearer_matches_with_and_without_the_scheme() -> None:
    token = f"Bearer {WEBHOOK_TOKEN}"
    for header in (token, WEBHOOK_TOKEN):
        assert parse_webhook({"Authorization": header}, BODY, token=token) is not None
    assert refused({"Authorization": "Bearer"}, token).reason == "wrong"


def test_the_header_name_is_looked_up_in_any_case() -> None:
    for name in ("authorization", "AUTHORIZATION", "AuThOrIzAtIoN"):
        assert parse_webhook({name: WEBHOOK_TOKEN}, BODY, token=WEBHOOK_TOKEN) is not None
    headers = httpx.Headers({"content-type": "application/json", "authorization": WEBHOOK_TOKEN})
    assert parse_webhook(headers, BODY, token=WEBHOOK_TOKEN) is not None


def test_a_missing_header_is_refused_as_missing() -> None:
    for headers in ({}, {"Content-Type": "application/json"}, {"Authorization": "  "}):
        error = refused(headers, WEBHOOK_TOKEN)
        assert error.reason == "missing"
        assert isinstance(error, GreenStatusError)


@pytest.mark.parametrize(
    "header",
    [
        "x" * len(WEBHOOK_TOKEN),  # the same length
        WEBHOOK_TOKEN[:-1] + "0",  # one character off
        WEBHOOK_TOKEN[:-1],  # shorter
        WEBHOOK_TOKEN + "0",  # longer
        f"Basic {WEBHOOK_TOKEN}",
        f"bearer{WEBHOOK_TOKEN}",
        "Bearer ",
        WEBHOOK_TOKEN.upper(),
    ],
)
def test_a_wrong_header_is_refused_as_wrong(header: str) -> None:
    error = refused({"Authorization": header}, WEBHOOK_TOKEN)
    assert error.reason == "wrong"
    assert header not in str(error)
    assert header not in repr(error)
    assert hits(error, header) == []


def test_two_authorization_headers_are_refused() -> None:
    headers = httpx.Headers([("Authorization", WEBHOOK_TOKEN), ("authorization", "other")])
    assert refused(headers, WEBHOOK_TOKEN).reason == "wrong"


def test_the_header_is_checked_before_the_body_is_read() -> None:
    assert refused({"Authorization": "wrong"}, WEBHOOK_TOKEN, b"not json").reason == "wrong"
    assert refused({}, WEBHOOK_TOKEN, b"\xff\xfe").reason == "missing"


def test_no_token_skips_the_check() -> None:
    assert parse_webhook({}, BODY, token=None) is not None
    assert parse_webhook({"Authorization": "anything"}, BODY, token=None) is not None


def test_an_empty_token_is_refused_whatever_the_header() -> None:
    for headers in ({}, {"Authorization": ""}, {"Authorization": "Bearer "}):
        with pytest.raises(ValueError, match="token is empty") as excinfo:
            parse_webhook(headers, BODY, token="")
        assert not isinstance(excinfo.value, GreenStatusError)


def test_the_body_may_be_bytes_text_or_decoded() -> None:
    headers = {"Authorization": WEBHOOK_TOKEN}
    events = [
        parse_webhook(headers, body, token=WEBHOOK_TOKEN)
        for body in (BODY.encode(), BODY, copy.deepcopy(TEXT_STATUS))
    ]
    assert events[0] is not None
    assert events == [events[0]] * 3


def test_status_ids_are_passed_on() -> None:
    headers = {"Authorization": WEBHOOK_TOKEN}
    body = json.dumps(OUTGOING_STATUS).encode()
    assert parse_webhook(headers, body, token=WEBHOOK_TOKEN) is None
    event = parse_webhook(headers, body, token=WEBHOOK_TOKEN, status_ids={"BAE5018000000000"})
    assert isinstance(event, OutgoingStatusEvent)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{", "is not JSON"),
        ("not json", "is not JSON"),
        (b"", "is not JSON"),
        (b'{"typeWebhook": "x", "n": NaN}', "is not JSON"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b"[1, 2]", "is an array, expected an object"),
        (b'"text"', "is a string, expected an object"),
        (b"null", "is null, expected an object"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        ([TEXT_STATUS], "is an array, expected an object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_notification_error(body: Any, problem: str) -> None:
    with pytest.raises(NotificationError) as excinfo:
        parse_webhook({"Authorization": WEBHOOK_TOKEN}, body, token=WEBHOOK_TOKEN)
    assert excinfo.value.field == "body"
    assert problem in excinfo.value.problem
    assert excinfo.value.__context__ is None
    assert excinfo.value.__cause__ is None


def test_a_malformed_status_body_names_its_field() -> None:
    body = json.dumps(without(TEXT_STATUS, "senderData.sender"))
    with pytest.raises(NotificationError) as excinfo:
        parse_webhook({"Authorization": WEBHOOK_TOKEN}, body, token=WEBHOOK_TOKEN)
    assert excinfo.value.field == "senderData.sender"


def raised(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as excinfo:  # noqa: PT011 - each kind is checked by its test
        call()
    return excinfo.value


def test_the_token_is_in_no_error() -> None:
    right = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    bad_status = json.dumps(without(TEXT_STATUS, "idMessage"))
    calls: list[Callable[[], object]] = [
        lambda: parse_webhook({}, BODY, token=WEBHOOK_TOKEN),
        lambda: parse_webhook({"Authorization": "nope"}, BODY, token=WEBHOOK_TOKEN),
        lambda: parse_webhook({"Authorization": WEBHOOK_TOKEN + "x"}, BODY, token=WEBHOOK_TOKEN),
        # Past the check the headers hold the token: the frames must not.
        lambda: parse_webhook(right, b"{", token=WEBHOOK_TOKEN),
        lambda: parse_webhook(right, b"\xff", token=WEBHOOK_TOKEN),
        lambda: parse_webhook(right, bad_status, token=WEBHOOK_TOKEN),
        lambda: parse_webhook(right, [], token=WEBHOOK_TOKEN),  # type: ignore[arg-type]
        lambda: parse_webhook(right, BODY, token=WEBHOOK_TOKEN, status_ids="x"),
    ]
    for call in calls:
        error = raised(call)
        assert hits(error, WEBHOOK_TOKEN) == [], error


def test_webhook_auth_error_says_why_and_travels() -> None:
    reasons: list[WebhookAuthReason] = ["missing", "wrong"]
    for reason in reasons:
        error = WebhookAuthError(reason=reason)
        assert "Authorization" in str(error)
        for arrived in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
            assert type(arrived) is WebhookAuthError
            assert (arrived.args, vars(arrived)) == (error.args, vars(error))
            assert arrived.reason == reason


class Counting:
    """hmac.compare_digest, counting its calls and what they compared."""

    def __init__(self, real: Callable[[bytes, bytes], bool]) -> None:
        self.real = real
        self.calls: list[tuple[bytes, bytes]] = []

    def __call__(self, a: bytes, b: bytes) -> bool:
        self.calls.append((a, b))
        return self.real(a, b)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    wrapper = Counting(hmac.compare_digest)
    # The name greenstatus calls at each comparison: a copy taken at import
    # time, or a comparison by ==, would not be counted.
    monkeypatch.setattr("greenstatus._webhook.hmac.compare_digest", wrapper)
    return wrapper


@pytest.mark.parametrize(
    ("token", "header", "candidates", "accepted"),
    [
        (WEBHOOK_TOKEN, WEBHOOK_TOKEN, 2, True),  # matches the first: the second still compared
        (WEBHOOK_TOKEN, f"Bearer {WEBHOOK_TOKEN}", 2, True),
        (WEBHOOK_TOKEN, "x" * len(WEBHOOK_TOKEN), 2, False),
        (WEBHOOK_TOKEN, "short", 2, False),
        (f"Bearer {WEBHOOK_TOKEN}", f"Bearer {WEBHOOK_TOKEN}", 3, True),
        (f"Bearer {WEBHOOK_TOKEN}", WEBHOOK_TOKEN, 3, True),
        (f"Bearer {WEBHOOK_TOKEN}", "wrong", 3, False),
    ],
)
def test_every_candidate_goes_through_compare_digest(
    counting: Counting, token: str, header: str, candidates: int, accepted: bool
) -> None:
    headers = {"Authorization": header}
    if accepted:
        assert parse_webhook(headers, BODY, token=token) is not None
    else:
        assert refused(headers, token).reason == "wrong"
    assert len(counting.calls) == candidates
    for given, expected in counting.calls:
        assert isinstance(given, bytes)
        assert isinstance(expected, bytes)
        assert len(given) == len(expected)  # digests: the length tells nothing
    assert sum(counting.real(*call) for call in counting.calls) == (1 if accepted else 0)


def test_nothing_is_compared_without_a_header_or_a_token(counting: Counting) -> None:
    refused({}, WEBHOOK_TOKEN)
    parse_webhook({"Authorization": WEBHOOK_TOKEN}, BODY, token=None)
    assert counting.calls == []


@pytest.mark.parametrize(
    "header",
    [
        f"bearer {WEBHOOK_TOKEN}",
        f"BEARER {WEBHOOK_TOKEN}",
        f"Bearer   {WEBHOOK_TOKEN}",
        f"Bearer\t{WEBHOOK_TOKEN}",
    ],
)
def test_the_bearer_scheme_is_read_in_any_case_and_spacing(header: str) -> None:
    event = parse_webhook({"Authorization": header}, BODY, token=WEBHOOK_TOKEN)
    assert isinstance(event, IncomingStatusEvent)
    configured_lower = parse_webhook(
        {"Authorization": WEBHOOK_TOKEN}, BODY, token=f"bearer {WEBHOOK_TOKEN}"
    )
    assert isinstance(configured_lower, IncomingStatusEvent)


def test_a_non_ascii_token_matches_a_header_a_framework_decoded_as_latin_1() -> None:
    token = "clé-secrète"
    as_starlette = token.encode("utf-8").decode("latin-1")  # what the ASGI server hands over
    assert isinstance(
        parse_webhook({"authorization": as_starlette}, BODY, token=token), IncomingStatusEvent
    )
    assert isinstance(
        parse_webhook({"authorization": token}, BODY, token=token), IncomingStatusEvent
    )


def test_headers_that_are_not_a_mapping_are_refused_without_the_token_in_the_error() -> None:
    pairs = [("Authorization", WEBHOOK_TOKEN)]
    for token in (WEBHOOK_TOKEN, None):
        error = raised(lambda t=token: parse_webhook(pairs, BODY, token=t))  # type: ignore[arg-type,misc]
        assert isinstance(error, TypeError)
        assert hits(error, WEBHOOK_TOKEN) == []
    wrong_type = raised(
        lambda: parse_webhook({"Authorization": WEBHOOK_TOKEN}, BODY, token=b"x")  # type: ignore[arg-type]
    )
    assert isinstance(wrong_type, TypeError)
    assert hits(wrong_type, WEBHOOK_TOKEN) == []


def test_a_token_with_white_space_around_it_is_refused() -> None:
    with pytest.raises(ValueError, match="white space"):
        parse_webhook({"Authorization": WEBHOOK_TOKEN}, BODY, token=f" {WEBHOOK_TOKEN}\n")


@pytest.mark.parametrize("status_ids", [None, 5, b"BAE5"])
def test_status_ids_must_be_a_collection(status_ids: object) -> None:
    with pytest.raises(TypeError, match="status_ids"):
        parse_webhook({}, BODY, token=None, status_ids=status_ids)  # type: ignore[arg-type]
