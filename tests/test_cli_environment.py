"""The command line under the environment's TLS and proxy settings: the
certificates httpx trusts are the ones the command trusts, and settings that
cannot be used end as a usage error (exit 2) that says which, before anything
is sent, never as a traceback, and never showing a proxy's password."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import certifi
import pytest
import trustme

from greenstatus._cli_client import _http_client
from greenstatus._cli_output import UsageError
from greenstatus.testing import FakeGreenAPI

from .test_cli import TOKEN, cli, credentials

pytestmark = pytest.mark.anyio

# The settings under test, cleared from the suite's own environment first.
SETTINGS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE")
PASSWORD = "pr0xy-pa55word"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeGreenAPI:
    return FakeGreenAPI("1101000001", TOKEN)


@pytest.fixture
async def api_url(fake: FakeGreenAPI) -> AsyncIterator[str]:
    async with fake.serve() as url:
        yield url


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name in SETTINGS or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


async def test_the_command_trusts_the_certificates_httpx_reads(
    fake: FakeGreenAPI, tmp_path: Path
) -> None:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    async with fake.serve(ssl_context=server_tls) as url:
        assert url.startswith("https://")
        untrusted = await cli("send-text", "untrusted", "--max-attempts", "1", env=credentials(url))
        trusted = await cli(
            "send-text", "trusted", env={**credentials(url), "SSL_CERT_FILE": str(ca_file)}
        )
    assert untrusted.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert [status.payload for status in fake.statuses] == [{"message": "trusted"}]


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        (
            "SSL_CERT_FILE",
            "{missing}",
            "cannot load the TLS certificates (SSL_CERT_FILE={missing}): No such file or directory",
        ),
        (
            "SSLKEYLOGFILE",
            "{missing}/keys.log",
            "cannot set up TLS: No such file or directory: {missing}/keys.log",
        ),
    ],
    ids=["unreadable certificates", "unwritable key log"],
)
async def test_tls_settings_that_cannot_be_used_are_usage_errors(
    api_url: str, fake: FakeGreenAPI, tmp_path: Path, setting: str, value: str, error: str
) -> None:
    missing = str(tmp_path / "missing")
    run = await cli(
        "send-text", "hello", env={**credentials(api_url), setting: value.format(missing=missing)}
    )
    assert run.returncode == 2
    assert run.stderr == f"greenstatus: error: {error.format(missing=missing)}\n"
    assert fake.requests == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("HTTP_PROXY", f"ftp://user:{PASSWORD}@127.0.0.1:21"),
        ("ALL_PROXY", f"http://user:{PASSWORD}@[::1"),
        ("NO_PROXY", "[::1]"),
    ],
    ids=["a scheme httpx has no transport for", "a URL that cannot be read", "a host pattern"],
)
async def test_a_proxy_that_cannot_be_used_is_a_usage_error_hiding_its_password(
    api_url: str, fake: FakeGreenAPI, setting: str, value: str
) -> None:
    run = await cli("send-text", "hello", env={**credentials(api_url), setting: value})
    assert run.returncode == 2
    assert run.stderr == (
        f"greenstatus: error: cannot use the proxy settings in {setting}: an entry there is "
        "not one httpx can read (a proxy URL must be http://, https:// or socks5://)\n"
    )
    assert PASSWORD not in run.stdout + run.stderr
    assert fake.requests == []


@pytest.fixture
def big_bundle(tmp_path: Path) -> Path:
    """certifi's bundle 25 times over: half a second or so to load."""
    bundle = tmp_path / "big.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() * 25)
    return bundle


async def test_a_command_ending_before_its_tls_context_is_built_exits_as_it_should(
    big_bundle: Path,
) -> None:
    # The context is still being built when the command meets its usage error
    # (no instance id): the process must not exit under the thread still
    # inside OpenSSL (it crashed, exit -11).
    for _ in range(3):
        run = await cli(
            "send-text", "hello", env={"GREEN_API_TOKEN": TOKEN, "SSL_CERT_FILE": str(big_bundle)}
        )
        assert run.returncode == 2, run.stderr
        assert "no instance id" in run.stderr


def test_a_socks_proxy_without_httpx_socks_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As where socksio is not installed, whatever this environment has.
    monkeypatch.setitem(sys.modules, "socksio", None)
    monkeypatch.setenv("ALL_PROXY", f"socks5://user:{PASSWORD}@127.0.0.1:1080")
    with pytest.raises(UsageError) as excinfo:
        _http_client(argparse.Namespace())
    message = str(excinfo.value)
    assert message.startswith("cannot use the proxy settings in ALL_PROXY: ")
    assert "httpx[socks]" in message
    assert PASSWORD not in message
