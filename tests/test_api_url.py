"""``api_url`` and ``media_url``: masking that does not read the URL back, and
the shapes refused at construction (a pasted method URL, credentials), with
a warning for plain http to a public host."""

from __future__ import annotations

import logging
import pickle
import warnings
from collections.abc import Callable

import httpx
import pytest

from greenstatus import (
    APIConnectionError,
    AsyncStatusClient,
    AuthenticationError,
    GreenStatusWarning,
    NoRetry,
    NotFoundError,
)
from greenstatus.testing import FakeGreenAPI
from tests import loopback
from tests.conftest import ID_INSTANCE, TOKEN
from tests.reachable import hits


@pytest.mark.anyio
async def test_a_gateway_path_starting_with_wainstance_does_not_move_the_mask(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with loopback.serve(lambda handler: handler.reply_json(401, {})) as server:
        async with AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=f"{server.url}/waInstanceGW/x", retry=NoRetry()
        ) as client:
            with pytest.raises(AuthenticationError) as refused:
                await client.send_text_status("hi")
        # The request went to the gateway's path, token and all.
        assert server.requests[0][1] == (
            f"/waInstanceGW/x/waInstance{ID_INSTANCE}/sendTextStatus/{TOKEN}"
        )
    with loopback.serve(lambda handler: handler.drop()) as server:
        async with AsyncStatusClient(
            ID_INSTANCE, TOKEN, api_url=f"{server.url}/waInstanceGW/x", retry=NoRetry()
        ) as client:
            with pytest.raises(APIConnectionError) as dropped:
                await client.send_text_status("hi")
    for error in (refused.value, dropped.value):
        assert error.url.endswith(f"/waInstanceGW/x/waInstance{ID_INSTANCE}/sendTextStatus/***")
        assert hits(error, TOKEN) == []
        assert TOKEN not in repr(pickle.loads(pickle.dumps(error)).__dict__)
    assert TOKEN not in str(dropped.value)
    httpx_records = [r for r in caplog.records if r.name == "httpx"]
    assert httpx_records  # httpx logged the requests, at INFO
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


@pytest.mark.parametrize("field", ["api_url", "media_url"])
@pytest.mark.parametrize(
    "url",
    [
        "https://1101.api.greenapi.com/waInstance1101000001",
        "https://1101.api.greenapi.com/waInstance1101000001/",
        f"https://1101.api.greenapi.com/waInstance1101000001/sendTextStatus/{TOKEN}",
        "https://gw.example/prefix/WAINSTANCE42/",
    ],
)
def test_a_pasted_method_url_is_refused_with_the_expected_form(field: str, url: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must be the instance's base URL") as excinfo:
        AsyncStatusClient(ID_INSTANCE, TOKEN, **{field: url})  # type: ignore[arg-type]
    assert "https://1101." in str(excinfo.value)  # the expected form
    assert TOKEN not in str(excinfo.value)


@pytest.mark.parametrize("field", ["api_url", "media_url"])
@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cr3t-pw@1101.api.greenapi.com",
        "https://:s3cr3t-pw@1101.api.greenapi.com",
        "https://api.green-api.com@evil.example",
        "https://api.green-api.com:s3cr3t-pw@evil.example/path",
        "user:s3cr3t-pw@host.example",
        "https://user:s3cr3t-pw@host.example/ with space",
    ],
)
def test_credentials_in_the_url_are_refused_without_echoing_them(field: str, url: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must not hold a user name or password") as e:
        AsyncStatusClient(ID_INSTANCE, TOKEN, **{field: url})  # type: ignore[arg-type]
    assert "s3cr3t-pw" not in str(e.value)
    assert "evil.example" not in str(e.value)
    assert "https://1101." in str(e.value)


@pytest.mark.parametrize("field", ["api_url", "media_url"])
def test_plain_http_to_a_public_host_warns(field: str) -> None:
    with pytest.warns(GreenStatusWarning, match=rf"^{field} .* plain http to a public host"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, **{field: "http://api.green-api.com"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
        "http://10.0.0.5",
        "http://192.168.1.20/gw",
        "http://greenapi-gateway",
        "http://gateway.internal",
        "https://api.green-api.com",
    ],
)
def test_http_on_your_own_network_or_https_does_not_warn(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url, media_url=url)


@pytest.mark.anyio
async def test_the_fake_serves_the_methods_at_its_root_only() -> None:
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with (
        fake.serve() as url,
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=f"{url}/prefix", retry=NoRetry()) as client,
    ):
        with pytest.raises(NotFoundError):
            await client.send_text_status("hi")
    async with httpx.AsyncClient(transport=fake.transport()) as http:
        doubled = f"/waInstance{ID_INSTANCE}/waInstance{ID_INSTANCE}/sendTextStatus/{TOKEN}"
        answer = await http.post(f"https://api.green-api.com{doubled}", json={"message": "x"})
    assert answer.status_code == 404
    assert fake.statuses == []


@pytest.mark.parametrize(
    "url",
    [
        "https://user:s3cr3t-pw\uff20host.example",
        "https:\\\\user:s3cr3t-pw@host.example",
        "https:/user:s3cr3t-pw@host.example",
        "https://user:s3cr3t-pw%40host.example",
        "https://user:s3cr3t-pw@host.example:notaport",
        "s3cr3t-pw@",
    ],
)
def test_no_refusal_echoes_a_password_in_any_spelling(url: str) -> None:
    with pytest.raises(ValueError, match=r"^api_url ") as excinfo:
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url)
    assert "s3cr3t-pw" not in str(excinfo.value)


@pytest.mark.parametrize(
    "url",
    [
        f"https://h.example/x?{TOKEN}",
        f"https://h.example/x#{TOKEN}",
        f"ftp://h.example/{TOKEN}",
        f"https://h.example/%77aInstance1101/sendTextStatus/{TOKEN}",
    ],
)
def test_no_refusal_echoes_the_token(url: str) -> None:
    with pytest.raises(ValueError, match=r"^api_url ") as excinfo:
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url)
    assert TOKEN not in str(excinfo.value)


@pytest.mark.parametrize("path", ["/wa%49nstance1101", "/%77aInstance1101/", "/WAINSTANCE7"])
def test_a_percent_encoded_instance_segment_is_refused_too(path: str) -> None:
    with pytest.raises(ValueError, match="without /waInstance<id>"):
        AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=f"https://gw.example{path}")


@pytest.mark.parametrize(
    "make",
    [
        lambda: AsyncStatusClient(ID_INSTANCE, TOKEN, api_url="ftp://h.example"),
        lambda: AsyncStatusClient("not digits", TOKEN),
        lambda: AsyncStatusClient.from_env(
            environ={
                "GREEN_API_ID_INSTANCE": ID_INSTANCE,
                "GREEN_API_TOKEN": TOKEN,
                "GREEN_API_URL": "https://h.example/waInstance1",
            }
        ),
    ],
    ids=["api_url", "id_instance", "from_env"],
)
def test_a_refused_construction_leaves_the_token_in_no_frame_of_greenstatus(
    make: Callable[[], object],
) -> None:
    with pytest.raises(ValueError, match=r"^(api_url|id_instance) ") as excinfo:
        make()
    assert hits(excinfo.value, TOKEN) == []
