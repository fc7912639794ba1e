"""A cold start loads only what it uses: ``import greenstatus``, the command
line's ``--version`` and ``--help``, and a one-request command, each in a
fresh process, load neither aiohttp nor libphonenumber; aiohttp loads with the
first request of greenstatus's own client on asyncio, libphonenumber with the
first phone number checked. How fast that is, benchmarks/cold_start.py prints;
these tests pin which modules load."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import anyio
import pytest

from greenstatus.testing import FakeGreenAPI

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    # The probes run in processes of their own; the test only serves the fake.
    return "asyncio"


ID_INSTANCE = "1101000001"
TOKEN = "cold-start-token-0123456789abcdef"
HEAVY = ("aiohttp", "httpx_aiohttp", "phonenumbers")


async def loaded_after(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter, then report which of the heavy
    modules (and httpcore, greenstatus's client) it loaded, and its output."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json as _json, sys as _sys
        _sys.stderr.write("\\nLOADED " + _json.dumps(
            {{name: name in _sys.modules for name in
              {(*HEAVY, "httpcore", "greenstatus._client")!r}}}
        ) + "\\n")
        """
    )
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("GREEN_API_")
    }
    with anyio.fail_after(120):
        done = await anyio.run_process(
            [sys.executable, "-c", probe], env={**environment, **(env or {})}, check=False
        )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    marker = stderr.rpartition("LOADED ")[2]
    assert marker, stderr
    return {"modules": json.loads(marker), "stdout": stdout, "stderr": stderr}


def heavy(result: dict[str, object]) -> list[str]:
    modules = result["modules"]
    assert isinstance(modules, dict)
    return [name for name in HEAVY if modules[name]]


async def test_import_greenstatus_loads_neither_aiohttp_nor_phonenumbers() -> None:
    result = await loaded_after("import greenstatus")
    assert heavy(result) == []
    modules = result["modules"]
    assert isinstance(modules, dict)
    assert modules["greenstatus._client"] is False  # the public names load on first use


async def test_public_names_load_on_first_use_and_read_as_greenstatus() -> None:
    result = await loaded_after(
        """
        import greenstatus
        print(greenstatus.RateLimitError.__module__, greenstatus.AsyncStatusClient.__module__)
        print(sorted(set(greenstatus.__all__) - set(dir(greenstatus))))
        """
    )
    assert result["stdout"] == "greenstatus greenstatus\n[]\n"
    # The whole client is there, but none of what only a request or a number needs.
    assert heavy(result) == []


def test_a_name_greenstatus_does_not_have_is_an_attribute_error() -> None:
    import greenstatus

    with pytest.raises(AttributeError, match="'greenstatus' has no attribute 'NoSuchName'"):
        _ = greenstatus.NoSuchName  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["send-text", "--help"]])
async def test_the_command_line_without_a_request_loads_neither(argv: list[str]) -> None:
    result = await loaded_after(
        f"""
        from greenstatus._cli import main
        try:
            main({argv!r})
        except SystemExit:
            pass
        """
    )
    assert heavy(result) == []
    modules = result["modules"]
    assert isinstance(modules, dict)
    assert modules["greenstatus._client"] is False  # only the parser
    assert "greenstatus" in str(result["stdout"])


async def test_a_one_request_command_sends_on_httpx_own_transport() -> None:
    # send-text, for real, to a fake GREEN-API over loopback HTTP: the request
    # arrives, and neither aiohttp nor libphonenumber was loaded for it.
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with fake.serve() as url:
        result = await loaded_after(
            """
            from greenstatus._cli import main
            assert main(["send-text", "good morning"]) == 0
            """,
            env={
                "GREEN_API_URL": url,
                "GREEN_API_ID_INSTANCE": ID_INSTANCE,
                "GREEN_API_TOKEN": TOKEN,
            },
        )
        sent = [request for request in fake.requests if request.api_method == "sendTextStatus"]
    assert str(result["stdout"]).startswith("sent "), result["stderr"]
    assert len(sent) == 1
    assert sent[0].json == {"message": "good morning"}
    assert heavy(result) == []
    modules = result["modules"]
    assert isinstance(modules, dict)
    assert modules["httpcore"] is True
    assert TOKEN not in str(result["stdout"]) + str(result["stderr"])


async def test_a_command_builds_one_tls_context_on_a_thread_of_its_own() -> None:
    # The context (httpx's own) is built while the command loads, off the main
    # thread, and shared by every transport the client mounts: a proxy from
    # the environment (bypassed here by NO_PROXY) would otherwise build another.
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with fake.serve() as url:
        result = await loaded_after(
            """
            import ssl, threading
            built = []
            original = ssl.create_default_context
            def recording(*args, **kwargs):
                built.append(threading.current_thread().name)
                return original(*args, **kwargs)
            ssl.create_default_context = recording
            from greenstatus._cli import main
            assert main(["send-text", "good morning"]) == 0
            print(built)
            """,
            env={
                "GREEN_API_URL": url,
                "GREEN_API_ID_INSTANCE": ID_INSTANCE,
                "GREEN_API_TOKEN": TOKEN,
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "127.0.0.1",
            },
        )
    assert str(result["stdout"]).splitlines()[-1] == "['greenstatus-tls']", result["stderr"]
    assert len(fake.requests) == 1


async def test_participants_load_phonenumbers_when_a_number_is_checked() -> None:
    result = await loaded_after(
        """
        from greenstatus import TextStatus
        import sys
        print("phonenumbers" in sys.modules)
        TextStatus(message="hi", participants=["+44 7911 123456"])
        """
    )
    assert result["stdout"] == "False\n"
    modules = result["modules"]
    assert isinstance(modules, dict)
    assert modules["phonenumbers"] is True


def test_every_public_signature_resolves_at_run_time() -> None:
    # Loading modules lazily must not leave an annotation's name undefined
    # where typing.get_type_hints (typeguard, pydantic, beartype) looks it up.
    import inspect
    import typing

    import greenstatus

    checked = 0
    for name in greenstatus.__all__:
        public = getattr(greenstatus, name)
        members = (
            [member for _, member in inspect.getmembers(public, inspect.isfunction)]
            if inspect.isclass(public)
            else [public]
        )
        for member in members:
            if callable(member) and not getattr(member, "__name__", "_").startswith("_"):
                typing.get_type_hints(member)
                checked += 1
    assert checked >= 100


async def test_the_testing_package_shows_errors_as_greenstatus_names() -> None:
    result = await loaded_after(
        """
        import greenstatus.testing
        from greenstatus._exceptions import AuthenticationError
        print(AuthenticationError.__module__)
        """
    )
    assert result["stdout"] == "greenstatus\n"


async def test_a_name_assigned_before_the_first_use_is_kept() -> None:
    result = await loaded_after(
        """
        import greenstatus
        mine = object()
        greenstatus.AsyncStatusClient = mine
        from greenstatus import TextStatus
        print(greenstatus.AsyncStatusClient is mine, TextStatus.__module__)
        """
    )
    assert result["stdout"] == "True greenstatus\n"


async def test_the_first_request_on_asyncio_imports_aiohttp_off_the_event_loop() -> None:
    # greenstatus's own client loads aiohttp with its first request on
    # asyncio, in a worker thread: the event loop runs on meanwhile.
    fake = FakeGreenAPI(ID_INSTANCE, TOKEN)
    async with fake.serve() as url:
        result = await loaded_after(
            f"""
            import asyncio, sys, threading

            class Where:
                threads = []

                def find_spec(self, name, path=None, target=None):
                    if name == "aiohttp":
                        self.threads.append(threading.current_thread() is threading.main_thread())
                    return None

            sys.meta_path.insert(0, Where())
            from greenstatus import AsyncStatusClient

            async def main():
                async with AsyncStatusClient({ID_INSTANCE!r}, {TOKEN!r}, api_url={url!r}) as client:
                    sent = await client.send_text_status("hello")
                print(sent.id_message is not None, Where.threads)

            asyncio.run(main())
            """
        )
    assert result["stdout"] == "True [False]\n", result["stderr"]
    assert heavy(result) == ["aiohttp", "httpx_aiohttp"]


def test_the_lazy_names_are_the_public_names() -> None:
    # __init__.py lists the names (for type checkers and docs); _api.py
    # imports them: a name added to one is added to the other.
    import greenstatus
    from greenstatus import _api

    assert sorted(_api.__all__) == sorted(set(greenstatus.__all__) - {"__version__"})
