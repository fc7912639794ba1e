"""Every client option is defined once (``greenstatus._options``) and reaches
each way of making a client: the constructor, ``from_env``, and, for what a
derived client may change, ``with_options``."""

from __future__ import annotations

import inspect

import attrs
import httpx
import pytest

from greenstatus import AsyncStatusClient, ExponentialBackoff, InProcessRateLimiter, NoRetry
from greenstatus._options import ClientOptions, PoolOptions
from greenstatus.testing import FakeClock, FakeGreenAPI
from tests.conftest import ID_INSTANCE, TOKEN

ENVIRON = {"GREEN_API_ID_INSTANCE": ID_INSTANCE, "GREEN_API_TOKEN": TOKEN}


def on_retry(attempt: int, error: Exception, delay: float) -> None:
    return None


# A value other than the default for each option a derived client may change.
CHANGED: dict[str, object] = {
    "max_concurrency": 3,
    "timeout": httpx.Timeout(7.0),
    "deadline": 30.0,
    "retry": NoRetry(),
    "on_retry": on_retry,
    "check_links": True,
    "check_audience": True,
}


def keywords(function: object) -> set[str]:
    return {
        name
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def test_the_changed_values_cover_every_client_option() -> None:
    assert set(CHANGED) == {field.name for field in attrs.fields(ClientOptions)}


@pytest.mark.parametrize(
    "make", [AsyncStatusClient, AsyncStatusClient.from_env], ids=["constructor", "from_env"]
)
def test_every_option_is_a_keyword_of_each_way_of_making_a_client(make: object) -> None:
    options = {field.name for field in attrs.fields(ClientOptions)}
    shared = {field.name for field in attrs.fields(PoolOptions)}
    assert options | shared <= keywords(make)


def test_from_env_takes_exactly_the_constructor_s_options() -> None:
    # The instance's own settings come from the environment instead.
    assert keywords(AsyncStatusClient.from_env) - {"environ"} == keywords(AsyncStatusClient) - {
        "api_url",
        "media_url",
    }


def test_with_options_takes_every_client_option_and_nothing_shared() -> None:
    assert keywords(AsyncStatusClient.with_options) == {
        field.name for field in attrs.fields(ClientOptions)
    }


@pytest.mark.parametrize("name", list(CHANGED))
def test_each_option_reaches_the_client_the_same_way_made(name: str) -> None:
    value = CHANGED[name]
    transport = FakeGreenAPI(ID_INSTANCE, TOKEN).transport()
    http = httpx.AsyncClient(transport=transport)  # a user's: its timeout is not changed
    made = AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http, **{name: value})  # type: ignore[arg-type]
    from_env = AsyncStatusClient.from_env(environ=ENVIRON, http_client=http, **{name: value})  # type: ignore[arg-type]
    derived = AsyncStatusClient(ID_INSTANCE, TOKEN, http_client=http).with_options(
        **{name: value}  # type: ignore[arg-type]
    )
    for client in (made, from_env, derived):
        assert getattr(client._options, name) == value


@pytest.mark.parametrize("name", [field.name for field in attrs.fields(PoolOptions)])
def test_each_shared_option_reaches_the_pool_from_env_as_from_the_constructor(name: str) -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    given: dict[str, object] = {
        "clock": FakeClock(),
        "rate_limits": {"sendTextStatus": 2},
        "rate_limiter": InProcessRateLimiter(FakeClock()),
        "http_client": httpx.AsyncClient(transport=fake.transport()),
        "transport": fake.transport(),
        "max_in_flight": 8,
    }
    value = given[name]
    pools = [
        AsyncStatusClient(ID_INSTANCE, TOKEN, **{name: value})._pool,  # type: ignore[arg-type]
        AsyncStatusClient.from_env(environ=ENVIRON, **{name: value})._pool,  # type: ignore[arg-type]
    ]
    for pool in pools:
        reached: dict[str, object] = {
            "clock": pool.clock,
            "rate_limits": value if pool.limits["sendTextStatus"] == 2 else None,
            "rate_limiter": pool.limiter,
            "http_client": pool.http,
            "transport": pool.http._transport,
            "max_in_flight": pool.in_flight_cap,
        }
        assert reached[name] is value


def test_with_options_checks_in_the_order_it_always_has() -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN)
    with pytest.raises(TypeError, match=r"^retry must have next_delay"):
        client.with_options(retry=object(), max_concurrency=0)  # type: ignore[arg-type]


def test_a_derived_client_shares_the_instance_pool_and_limiter() -> None:
    client = AsyncStatusClient(ID_INSTANCE, TOKEN, retry=ExponentialBackoff(max_attempts=2))
    derived = client.with_options(deadline=5)
    assert derived._pool is client._pool
    assert derived._instance is client._instance
    assert derived._options == attrs.evolve(client._options, deadline=5.0)
    assert derived._session is not client._session
