"""Nothing reachable from a greenstatus error holds the token: its message, its
chain, their attributes, and the locals of every frame of every traceback in
it, as error tools (Sentry, ``capture_locals``) record them. A user's event
hook that raises ends as a typed error too, for ``send`` and ``send_all`` alike.

Each failure is real: a loopback server answers, drops the connection or never
answers, and the hooks are the user's own on their own ``httpx.AsyncClient``.
"""

from __future__ import annotations

import pickle
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    APITimeoutError,
    AsyncStatusClient,
    AuthenticationError,
    GreenStatusError,
    InvalidStatusError,
    NoRetry,
    ResponseValidationError,
    ServerError,
    TextStatus,
    UnexpectedError,
)
from tests import loopback
from tests.conftest import ID_INSTANCE, TOKEN
from tests.reachable import hits

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

pytestmark = pytest.mark.anyio

Behaviour = Callable[[loopback.Handler], None]


def answer(status: int, payload: object) -> Behaviour:
    return lambda handler: handler.reply_json(status, payload)


def echo_url(status: int) -> Behaviour:
    """An answer that echoes the path it was called at, token and all."""
    return lambda handler: handler.reply_json(status, {"message": f"bad {handler.path}"})


FAILURES: dict[str, tuple[Behaviour, type[GreenStatusError]]] = {
    "401": (answer(401, {"error": "unauthorized"}), AuthenticationError),
    "401 echoing the url": (echo_url(401), AuthenticationError),
    "500": (answer(500, {"error": "boom"}), ServerError),
    "200 echoing the url": (echo_url(200), ResponseValidationError),
    "dropped": (lambda handler: handler.drop(), APIConnectionError),
}


@contextmanager
def server_for(behaviour: Behaviour) -> Iterator[loopback.Server]:
    with loopback.serve(behaviour) as server:
        yield server


@asynccontextmanager
async def client_on(
    url: str, *, own: bool, hooks: dict[str, list[Any]] | None = None, **options: Any
) -> AsyncIterator[AsyncStatusClient]:
    """A client of ``url`` on greenstatus's own pool or on a user's client."""
    options.setdefault("retry", NoRetry())
    options.setdefault("rate_limits", None)
    if own:
        async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url, **options) as client:
            for where, added in (hooks or {}).items():
                client.http_client.event_hooks[where].extend(added)
            yield client
    else:
        async with (
            httpx.AsyncClient(event_hooks=hooks or {}) as http,
            AsyncStatusClient(
                ID_INSTANCE, TOKEN, api_url=url, http_client=http, **options
            ) as client,
        ):
            yield client


def assert_clean(error: BaseException) -> None:
    assert hits(error, TOKEN) == []
    rendered = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert type(error).__name__ in rendered  # what helps debugging stays
    if hasattr(error, "url"):
        assert error.url.endswith("/waInstance1101000001/sendTextStatus/***")
    assert TOKEN not in repr(pickle.loads(pickle.dumps(error)).__dict__)


@pytest.mark.parametrize("own", [True, False], ids=["own pool", "user's client"])
@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
async def test_no_failure_leaves_the_token_in_reach(failure: str, own: bool) -> None:
    behaviour, kind = FAILURES[failure]
    with server_for(behaviour) as server:
        async with client_on(server.url, own=own) as client:
            with pytest.raises(GreenStatusError) as excinfo:
                await client.send(TextStatus(message="hi"))
            [result] = await client.send_all([TextStatus(message="hi")])
    assert type(excinfo.value) is kind
    assert type(result.error) is kind
    assert_clean(excinfo.value)
    assert result.error is not None
    assert_clean(result.error)


@pytest.mark.parametrize("own", [True, False], ids=["own pool", "user's client"])
async def test_a_timeout_leaves_no_token_in_reach(own: bool) -> None:
    with server_for(silent_for) as server:
        async with client_on(server.url, own=own, timeout=httpx.Timeout(0.3)) as client:
            with pytest.raises(APITimeoutError) as excinfo:
                await client.send(TextStatus(message="hi"))
    assert excinfo.value.request_sent is True
    assert_clean(excinfo.value)


def silent_for(handler: loopback.Handler) -> None:
    """Answers only after the client has given up (its read timeout is 0.3 s)."""
    time.sleep(1.0)
    handler.reply_json(200, {"idMessage": "late"})


def raise_for_status(response: httpx.Response) -> None:
    response.raise_for_status()


async def raise_for_status_async(response: httpx.Response) -> None:
    response.raise_for_status()


@pytest.mark.parametrize("own", [True, False], ids=["own pool", "user's client"])
@pytest.mark.parametrize("hook", [raise_for_status, raise_for_status_async], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("status", "kind"), [(401, AuthenticationError), (500, ServerError)], ids=["401", "500"]
)
async def test_a_raise_for_status_hook_ends_as_the_answers_typed_error(
    own: bool, hook: Callable[..., Any], status: int, kind: type[GreenStatusError]
) -> None:
    with server_for(echo_url(status)) as server:
        async with client_on(server.url, own=own, hooks={"response": [hook]}) as client:
            with pytest.raises(GreenStatusError) as excinfo:
                await client.send(TextStatus(message="hi"))
            [result] = await client.send_all([TextStatus(message="hi")])
        assert len(server.requests) == 2  # one each: nothing retried, nothing lost
    assert type(excinfo.value) is kind
    assert type(result.error) is kind
    assert isinstance(excinfo.value.__cause__, httpx.HTTPStatusError)
    assert_clean(excinfo.value)
    assert result.error is not None
    assert_clean(result.error)


class HookBroke(Exception):
    pass


def request_hook_that_names_the_url(request: httpx.Request) -> None:
    raise HookBroke(f"refusing {request.url}")


def response_hook_that_names_the_url(response: httpx.Response) -> None:
    raise HookBroke(f"did not like {response.request.url}")


@pytest.mark.parametrize("own", [True, False], ids=["own pool", "user's client"])
@pytest.mark.parametrize(
    ("where", "hook"),
    [("request", request_hook_that_names_the_url), ("response", response_hook_that_names_the_url)],
)
async def test_any_raising_hook_is_an_unexpected_error_never_retried(
    own: bool, where: str, hook: Callable[..., Any]
) -> None:
    with server_for(answer(200, {"idMessage": "ID"})) as server:
        async with client_on(server.url, own=own, hooks={where: [hook]}, retry=None) as client:
            with pytest.raises(UnexpectedError) as excinfo:
                await client.send(TextStatus(message="hi"))
            [result] = await client.send_all([TextStatus(message="hi")])
        seen = len(server.requests)
    assert seen == (0 if where == "request" else 2)  # never sent twice
    assert isinstance(result.error, UnexpectedError)
    assert "HookBroke" in str(excinfo.value)
    assert "may have been delivered" in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, HookBroke)
    assert_clean(excinfo.value)
    assert_clean(result.error)


class Holder:
    """Holds what it is given; its default repr shows none of it."""

    def __init__(self, held: object) -> None:
        self.held = held


class SlottedError(Exception):
    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        super().__init__("boom")
        self.request = request


class HoldingError(Exception):
    def __init__(self, request: httpx.Request) -> None:
        super().__init__("boom")
        self.box = Holder(request)


class UnprintableError(Exception):
    def __init__(self, request: httpx.Request) -> None:
        super().__init__()
        self.box = Holder(str(request.url))

    def __str__(self) -> str:
        raise RuntimeError("no str")


def _group(request: httpx.Request) -> BaseException:
    return BaseExceptionGroup("several", [httpx.ConnectError("x", request=request)])


RAISED: dict[str, Callable[[httpx.Request], BaseException]] = {
    "in a slot": SlottedError,
    "in an attribute's attribute": HoldingError,
    "in an argument's item": lambda request: ValueError({"u": Holder(request)}),
    "behind a broken str": UnprintableError,
    "in an exception group": _group,
    "under a timeout": lambda request: _chained(httpx.ReadTimeout("t", request=request), request),
}


def _chained(error: BaseException, request: httpx.Request) -> BaseException:
    error.__cause__ = HoldingError(request)
    return error


@pytest.mark.parametrize("raised", RAISED, ids=list(RAISED))
@pytest.mark.parametrize("where", ["transport", "request hook", "response hook"])
async def test_what_a_raised_error_carries_is_cleaned_or_replaced(raised: str, where: str) -> None:
    make = RAISED[raised]

    def transport(request: httpx.Request) -> httpx.Response:
        if where == "transport":
            raise make(request)
        return httpx.Response(200, json={"idMessage": "ID"})

    def hook(message: httpx.Request | httpx.Response) -> None:
        raise make(message if isinstance(message, httpx.Request) else message.request)

    hooks = {} if where == "transport" else {where.split()[0]: [hook]}
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(transport), event_hooks=hooks) as http,
        AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http, retry=NoRetry()) as client,
    ):
        with pytest.raises(GreenStatusError) as excinfo:
            await client.send_text_status("hi")
        [result] = await client.send_all([TextStatus(message="hi")])
    assert hits(excinfo.value, TOKEN) == []
    assert result.error is not None
    assert hits(result.error, TOKEN) == []


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b'{"m":"\\u0064' + TOKEN[1:].encode() + b'"}', {"Content-Type": "application/json"}),
        (("x" + TOKEN).encode("utf-16"), {"Content-Type": "text/plain; charset=utf-16"}),
        (("x" + TOKEN).encode("utf-16-le"), {"Content-Type": "text/plain"}),
    ],
    ids=["json escapes", "declared utf-16", "undeclared utf-16"],
)
async def test_an_answer_spelling_the_token_otherwise_does_not_show_it(
    content: bytes, headers: dict[str, str]
) -> None:
    assert TOKEN[0] == "d"  # the escape above spells its first letter
    transport = httpx.MockTransport(
        lambda request: httpx.Response(500, content=content, headers=headers)
    )
    async with AsyncStatusClient(
        ID_INSTANCE, TOKEN, transport=transport, retry=NoRetry()
    ) as client:
        with pytest.raises(ServerError) as excinfo:
            await client.send_text_status("hi")
    shown = str(excinfo.value) + repr(excinfo.value.body)
    assert TOKEN not in shown
    assert TOKEN not in shown.replace("\x00", "")
    assert hits(excinfo.value, TOKEN) == []


async def test_a_hook_raising_a_greenstatus_error_is_still_cleaned() -> None:
    def hook(request: httpx.Request) -> None:
        raise InvalidStatusError("url", f"refused {request.url}")

    ok = httpx.MockTransport(lambda request: httpx.Response(200, json={"idMessage": "ID"}))
    async with (
        httpx.AsyncClient(transport=ok, event_hooks={"request": [hook]}) as http,
        AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http, retry=NoRetry()) as client,
    ):
        with pytest.raises(UnexpectedError) as excinfo:
            await client.send_text_status("hi")
    assert isinstance(excinfo.value.__cause__, InvalidStatusError)
    assert hits(excinfo.value, TOKEN) == []
