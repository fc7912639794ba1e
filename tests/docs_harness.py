"""Every Python example in README.md and docs/ runs here, offline, against the fake.

Sybil finds the fenced ``python`` blocks of each page and runs them in order,
in one namespace per page, as a reader would paste them one after another:

- GREEN-API's hosts (``*.greenapi.com``, ``*.green-api.com``) answer from a
  fresh :class:`~greenstatus.testing.FakeGreenAPI` per page, in process, in
  place of the network transport the ``httpx.AsyncClient`` would have used
  (where respx mocks too). Loopback passes through untouched, so an example
  that serves its own fake talks to it over a socket, and so does a client
  given an in-process transport of its own; any other host fails to connect
  (for httpx at its transport, for every other library at the socket),
  whether or not the machine is online, so no example passes by reaching the
  internet.
- The fake's instance has four contacts (``CONTACTS``): two saved with a
  name, whom a status reaches, one unnamed and a group.
- ``GREEN_API_ID_INSTANCE``, ``GREEN_API_TOKEN``, ``GREEN_API_URL`` and
  ``GREEN_API_MEDIA_URL`` name the fake's instance, so ``from_env()`` works;
  a page that uses ``REDIS_URL`` gets a redis-server of its own.
- A block with a top-level ``await`` runs as in ``python -m asyncio``, on one
  event loop per page; ``client`` is given, made by ``from_env()``.
- A block that defines ``test_*`` functions is a test file: it is run by
  pytest in a subprocess, and every test in it must pass.
- A ``text title="Output"`` block right after a Python block is what that
  block printed, exactly.
- A block whose first line is ``# Needs a real GREEN-API account`` is skipped
  (it is still type-checked); no page has one yet, since the fake models every
  method the examples call.
- A block whose whole text is a snippet include (``--8<-- "examples/..."``)
  shows an example file, which ``tests/test_examples.py`` runs.

Each page's blocks run as a module would when imported (``__name__`` is not
``"__main__"``), in a scratch directory holding the files its examples name
(``horse.jpg``, ``horse.mp3``, ``horse.png``, ``photos/horse.jpg``).

Why Sybil rather than pytest-examples: Sybil gives each page one namespace, so
a page can build an example up over several blocks as a reader pastes them;
it takes an evaluator of our own (top-level ``await`` on a loop that lives as
long as the page); and each block is a pytest item named by its page and line.
pytest-examples runs each block on its own and is built around checking
formatting and ``print`` output in pydantic's docs; it is also still a 0.0.x
release, where Sybil is a long-kept, stable one.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import errno
import inspect
import io
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from sybil import Document, Example, Region, Sybil
from sybil.document import PythonDocStringDocument
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer
from sybil.typing import Evaluator

from greenstatus import AsyncStatusClient, Contact
from greenstatus.testing import FakeGreenAPI
from greenstatus.testing._transport import FakeTransport

from .redis_server import RedisServer, redis_server

ROOT = Path(__file__).resolve().parent.parent

ID_INSTANCE = "1101000001"
TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"
API_URL = "https://1101.api.greenapi.com"
MEDIA_URL = "https://1101.media.greenapi.com"
GREEN_API_HOSTS = re.compile(r"(^|\.)green-?api\.com$")
# Loopback, and "app": the host the recipes call an ASGI app by, in process.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "app"})
IN_PROCESS = (FakeTransport, httpx.MockTransport, httpx.ASGITransport)

# The contacts of the pages' instance: two saved with a name (whom a status
# reaches), one known but unnamed, and a group. The numbers are those the
# examples write.
CONTACTS = (
    Contact("79001234567@c.us", "Ann", "Ann Smith"),
    Contact("447911123456@c.us", "Tom", "Tom Jones"),
    Contact("12025550123@c.us", "Bob", ""),
    Contact("120363043968066561@g.us", "Book club", "", "group"),
)

# Small, but what their names say: a JPEG, an MP3 and a PNG signature.
SAMPLE_FILES = {
    "horse.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9",
    "horse.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64),
    "horse.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "photos/horse.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64) + b"\xff\xd9",
}


def write_recorded_media(folder: Path) -> None:
    """What phones record, for the pages on preparing media: a second of a
    voice note as WhatsApp keeps one (Opus in Ogg) and a WebP photo, made
    with PyAV and Pillow (the media extra)."""
    import av
    from PIL import Image

    with av.open(str(folder / "voice-note.ogg"), "w") as container:
        stream = container.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        samples = 960
        for index in range(50):
            frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
            frame.planes[0].update(bytes(2 * samples))
            frame.rate = 48000
            frame.pts = index * samples
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    Image.new("RGB", (90, 160), "#228B22").save(folder / "photo.webp", "WEBP")


# One example may take this long; none comes near it.
EXAMPLE_TIMEOUT = 60.0

PYTEST = (sys.executable, "-m", "pytest")

# What a project that tests with pytest-asyncio sets; anyio's plugin needs nothing.
PYTEST_INI = """\
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""

# The first line of an example that cannot run against the fake, as the reader
# sees it too. It is not run, and still type-checked.
ACCOUNT_ONLY = "# Needs a real GREEN-API account"

OUTPUT_TITLE = re.compile(r"""title=["']Output["']""", re.IGNORECASE)

INCLUDE = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')


class Page:
    """What one page's examples share: the fake, the loop, the environment."""

    def __init__(self, path: Path) -> None:
        self.fake = FakeGreenAPI(ID_INSTANCE, TOKEN, contacts=CONTACTS)
        self.output = ""
        # Where the block that printed ``output`` ends, until an Output block
        # has checked it: an Output block must follow its block directly.
        self.printed_by: int | None = None
        self._stack = contextlib.ExitStack()
        try:
            self._enter(path)
        except BaseException:
            self._stack.close()
            raise
        self.loop = asyncio.new_event_loop()
        self.client = AsyncStatusClient.from_env()

    def _enter(self, path: Path) -> None:
        self.workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        for name, content in SAMPLE_FILES.items():
            (self.workdir / name).parent.mkdir(exist_ok=True)
            (self.workdir / name).write_bytes(content)
        write_recorded_media(self.workdir)
        environ = {
            "GREEN_API_ID_INSTANCE": ID_INSTANCE,
            "GREEN_API_TOKEN": TOKEN,
            "GREEN_API_URL": API_URL,
            "GREEN_API_MEDIA_URL": MEDIA_URL,
        }
        if "REDIS_URL" in path.read_text(encoding="utf-8"):
            server: RedisServer = self._stack.enter_context(redis_server())
            environ["REDIS_URL"] = server.url
        self._stack.enter_context(_environment(environ))
        self._stack.enter_context(_routed(self.fake.transport()))
        self._stack.enter_context(_loopback_only())

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.client.aclose())
            _cancel_remaining(self.loop)
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()
            self._stack.close()


def _offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"the examples run offline: {request.url.host}", request=request)


def _routed(fake: httpx.AsyncBaseTransport) -> contextlib.AbstractContextManager[object]:
    """Every ``httpx.AsyncClient`` sends GREEN-API's hosts to the page's fake,
    where it would have used the network.

    This is where respx mocks too (the transport the client picks for a URL),
    but it also sees which transport the client picked: an example that gave
    its client an in-process transport of its own (``transport=``, the fake's,
    httpx's ``MockTransport`` or ``ASGITransport``) keeps it.
    """
    choose = httpx.AsyncClient._transport_for_url
    offline = httpx.MockTransport(_offline)

    def transport_for_url(client: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport:
        chosen = choose(client, url)
        if isinstance(chosen, IN_PROCESS) or url.host in LOCAL_HOSTS:
            return chosen
        return fake if GREEN_API_HOSTS.search(url.host) else offline

    return mock.patch.object(httpx.AsyncClient, "_transport_for_url", transport_for_url)


def _may_reach(host: object) -> bool:
    """Loopback, or an address to bind to; never a name that must be looked
    up (it would reach a resolver) or another machine's address."""
    if host is None or host in ("localhost", b"localhost"):
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@contextlib.contextmanager
def _loopback_only() -> Iterator[None]:
    """Below every client library (httpx's other transports, aiohttp, urllib,
    requests): a look-up of another host, or a connection to another machine,
    fails as a machine with no network fails."""
    resolve = socket.getaddrinfo
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _may_reach(host):
            raise socket.gaierror(socket.EAI_NONAME, f"the examples run offline: {host!r}")
        return resolve(host, *args, **kwargs)

    def refused(sock: socket.socket, address: Any) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and not _may_reach(address[0])

    def checked_connect(sock: socket.socket, address: Any) -> None:
        if refused(sock, address):
            raise ConnectionRefusedError(f"the examples run offline: {address[0]}")
        connect(sock, address)

    def checked_connect_ex(sock: socket.socket, address: Any) -> int:
        return errno.ECONNREFUSED if refused(sock, address) else connect_ex(sock, address)

    with (
        mock.patch.object(socket, "getaddrinfo", getaddrinfo),
        mock.patch.object(socket.socket, "connect", checked_connect),
        mock.patch.object(socket.socket, "connect_ex", checked_connect_ex),
    ):
        yield


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def setup(namespace: dict[str, Any]) -> None:
    page = Page(Path(namespace["__file__"]))
    namespace["__page__"] = page
    namespace["client"] = page.client


def teardown(namespace: dict[str, Any]) -> None:
    """Close what the page's examples left open, then the page itself."""
    page: Page = namespace["__page__"]
    try:
        for value in list(namespace.values()):
            if isinstance(value, (AsyncStatusClient, httpx.AsyncClient)):
                page.loop.run_until_complete(value.aclose())
    finally:
        page.close()


def test_names(source: str) -> list[str]:
    """The tests a block defines, as pytest names them: ``test_*`` functions at
    its top level, and the ``test_*`` methods of its ``Test*`` classes."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("test"):
                names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.extend(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.name.startswith("test")
            )
    return names


def run_python(example: Example) -> str | None:
    """Run one ``python`` block in its page's namespace.

    A failure is returned as its traceback, which Sybil reports as the
    example's failure (its own traceback filter cannot cut every traceback).
    """
    page: Page = example.namespace["__page__"]
    page.output, page.printed_by = "", None
    try:
        page.output = _run_python(example)
    except Exception:
        return traceback.format_exc()
    page.printed_by = example.region.end
    return None


def _run_python(example: Example) -> str:
    """Run the block; what it printed."""
    page: Page = example.namespace["__page__"]
    source = str(example.parsed)
    if source.startswith(ACCOUNT_ONLY):
        pytest.skip("needs a real GREEN-API account (type-checked by tests/test_docs_typed.py)")
    include = INCLUDE.match(source.strip())
    if include is not None:
        _check_include(include)
        return ""
    if test_names(source):
        _run_as_test_file(source, page.workdir)
        return ""
    padded = "\n" * (example.line + example.parsed.line_offset) + source
    code = compile(
        padded, example.path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    printed = io.StringIO()
    with (
        _working_directory(page.workdir),
        contextlib.redirect_stdout(printed),
        _time_limit(EXAMPLE_TIMEOUT),
    ):
        result = eval(code, example.namespace)
        if code.co_flags & inspect.CO_COROUTINE:
            page.loop.run_until_complete(result)
    example.namespace.pop("__builtins__", None)
    sys.stdout.write(printed.getvalue())
    return printed.getvalue()


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Fail a block that runs longer than ``seconds``, whether it waits in an
    event loop of ours or in one it runs itself (``anyio.run``, ``trio.run``)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the example ran for more than {seconds:g} s")

    before = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def check_output(example: Example) -> str | None:
    """An Output block is exactly what the Python block right before it printed."""
    page: Page = example.namespace["__page__"]
    between = example.document.text[page.printed_by or 0 : example.region.start]
    if page.printed_by is None or between.strip():
        return "an Output block must come right after a Python block that ran"
    page.printed_by = None
    expected = str(example.parsed).rstrip("\n")
    printed = page.output.rstrip("\n")
    if printed != expected:
        return f"the example printed:\n{printed}\n\nthe page shows:\n{expected}"
    return None


def _check_include(include: re.Match[str]) -> None:
    path = ROOT / include["path"]
    assert path.parent == ROOT / "examples", f"{path}: pages include examples/ files only"
    text = path.read_text(encoding="utf-8")
    if include["section"]:
        assert f"# --8<-- [start:{include['section']}]" in text, include.group()
        assert f"# --8<-- [end:{include['section']}]" in text, include.group()


# The subprocess that runs a test-file block routes GREEN-API's hosts as the
# page does (its GREEN_API_* variables are the page's): from this conftest.py.
TEST_FILE_CONFTEST = """\
import sys

sys.path.insert(0, {root!r})

from tests.docs_harness import offline_routing

_routing = offline_routing()


def pytest_configure(config):
    _routing.__enter__()


def pytest_unconfigure(config):
    _routing.__exit__(None, None, None)
"""


def offline_routing() -> contextlib.AbstractContextManager[object]:
    """GREEN-API's hosts to a fresh fake of the docs' instance, and the network
    refused, as on a page: for the subprocess of a test-file block."""
    stack = contextlib.ExitStack()
    stack.enter_context(_routed(FakeGreenAPI(ID_INSTANCE, TOKEN).transport()))
    stack.enter_context(_loopback_only())
    return stack


def _run_as_test_file(source: str, workdir: Path) -> None:
    """Run a block that is a test module under pytest; each of its tests must
    run and pass (none skipped, none expected to fail)."""
    names = test_names(source)
    module = workdir / "test_docs_example.py"
    module.write_text(source, encoding="utf-8")
    (workdir / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    (workdir / "conftest.py").write_text(
        TEST_FILE_CONFTEST.format(root=str(ROOT)), encoding="utf-8"
    )
    try:
        done = subprocess.run(
            [*PYTEST, "-rA", "-p", "no:cacheprovider", "-W", "error", module.name],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=EXAMPLE_TIMEOUT,
            check=False,
        )
    finally:
        module.unlink()
        (workdir / "conftest.py").unlink()
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    outcomes = re.findall(rf"^(\w+) {module.name}::(\S+)", done.stdout, re.MULTILINE)
    assert {outcome for outcome, _ in outcomes} == {"PASSED"}, report
    ran = {re.sub(r"\[.*\]$", "", test) for _, test in outcomes}
    assert ran == set(names), f"{names}: {report}"


def fence_language(info: str) -> tuple[str, str]:
    """A fence's language and the rest of its info string: the first word
    (```` ```python title="app.py" ````), or the first class of an attribute
    list (```` ``` { .python title="app.py" } ````), as superfences reads both."""
    info = info.strip()
    if info.startswith("{"):
        inside = info.strip("{}").split()
        classes = [word for word in inside if word.startswith(".")]
        language = classes[0][1:] if classes else ""
        return language, " ".join(word for word in inside if word != f".{language}")
    words = info.split(maxsplit=1)
    return (words[0] if words else ""), (words[1] if len(words) > 1 else "")


def is_python(info: str) -> bool:
    return fence_language(info)[0] == "python"


def is_output(info: str) -> bool:
    language, attributes = fence_language(info)
    return language == "text" and bool(OUTPUT_TITLE.search(attributes))


class FenceParser:
    """The fenced blocks whose info string ``wanted`` accepts: the language is
    its first word, and attributes after it (``title="app.py"``) are allowed."""

    def __init__(self, wanted: Callable[[str], bool], evaluator: Evaluator) -> None:
        self._lexer = FencedCodeBlockLexer(
            language=r".+", mapping={"language": "arguments", "source": "source"}
        )
        self._wanted = wanted
        self._evaluator = evaluator

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in self._lexer(document):
            if self._wanted(region.lexemes["arguments"]):
                region.parsed = region.lexemes["source"]
                region.evaluator = self._evaluator
                yield region


class PageDocument(Document):
    """A Markdown page whose namespace knows the page's path."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__(text, path)
        self.namespace["__file__"] = path
        # As a module that is imported: an example's `if __name__ == "__main__":`
        # (a server that runs until stopped) is the reader's to run, not ours.
        self.namespace["__name__"] = f"docs_{Path(path).stem}"


class DocstringPage(PythonDocStringDocument):
    """A module's docstrings as a page: its examples import what they use, as a
    reader's would, so the module itself is not imported into their namespace."""

    def __init__(self, text: str, path: str) -> None:
        super().__init__(text, path)
        self.pop_evaluator(self.import_document)
        self.namespace["__file__"] = path
        self.namespace["__name__"] = f"docs_{Path(path).stem}"


PARSERS = [FenceParser(is_python, run_python), FenceParser(is_output, check_output)]

sybil = Sybil(
    parsers=PARSERS,
    patterns=["README.md", "docs/*.md", "docs/*/*.md"],
    path=str(ROOT),
    setup=setup,
    teardown=teardown,
    document_types={".md": PageDocument},
    name="docs",
)

# The examples in the docstrings, which the API reference shows: each module's
# docstrings are a page, whose namespace starts as the module's own.
docstrings = Sybil(
    parsers=PARSERS,
    patterns=["greenstatus/*.py", "greenstatus/testing/*.py", "greenstatus/media/*.py"],
    path=str(ROOT),
    setup=setup,
    teardown=teardown,
    document_types={".py": DocstringPage},
    name="docstrings",
)

pytest_collect_file = (sybil + docstrings).pytest()
