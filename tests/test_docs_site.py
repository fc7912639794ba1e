"""The documentation site builds with --strict, and its pages hold what a
reader comes for: the home page, the client's signature in the reference, and
every public name there."""

from __future__ import annotations

import ast
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sybil.document import PythonDocStringDocument

import greenstatus
import greenstatus.testing
from greenstatus.testing import pytest_plugin

ROOT = Path(__file__).resolve().parent.parent


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module as `mkdocs build --strict` builds it."""
    built = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr
    return built


def test_the_home_page_shows_the_client(site: Path) -> None:
    home = text_of(site / "index.html")
    assert "What it promises" in home
    assert "AsyncStatusClient.from_env()" in home


def test_the_reference_holds_the_client_s_signature(site: Path) -> None:
    reference = text_of(site / "reference" / "index.html")
    signature = re.sub(r"\s+", " ", reference)
    assert "AsyncStatusClient( id_instance: str, api_token_instance: str, *," in signature
    for name in ("RedisRateLimiter", "check_link", "upload_file", "FakeGreenAPI"):
        assert name in reference


def test_the_reference_documents_every_public_name(site: Path) -> None:
    page = (site / "reference" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(greenstatus(?:\.\w+)+)"', page))
    public = {f"greenstatus.{name}" for name in greenstatus.__all__ if name != "__version__"}
    public |= {
        f"greenstatus.testing.{name}"
        for name in greenstatus.testing.__all__
        # greenstatus's own, re-exported: documented once, under greenstatus
        if getattr(greenstatus.testing, name) is not getattr(greenstatus, name, None)
    }
    public |= {f"greenstatus.testing.pytest_plugin.{name}" for name in pytest_plugin.__all__}
    assert public - anchors == set()


def test_the_documented_rate_limits_table_is_the_mapping() -> None:
    doc = ROOT.joinpath("greenstatus", "_methods.py").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (\w+) \| (\d+) \|$", doc, re.MULTILINE))
    assert {name: int(rate) for name, rate in table.items()} == dict(
        greenstatus.DOCUMENTED_RATE_LIMITS
    )


def test_every_page_is_in_the_navigation(site: Path) -> None:
    pages = {page.relative_to(ROOT / "docs") for page in (ROOT / "docs").rglob("*.md")}
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert {page for page in pages if f": {page.as_posix()}" not in nav} == set()


@pytest.mark.parametrize(
    "module",
    sorted((ROOT / "greenstatus").rglob("*.py")),
    ids=lambda module: module.relative_to(ROOT).as_posix(),
)
def test_docstrings_are_markdown(module: Path) -> None:
    """The reference renders docstrings as Markdown: a reST role (``:class:``),
    literal block marker (``Example::``) or ``>>>`` session would show as
    typed. This covers every string the reference may show: the docstrings of
    modules, classes and functions, and those under attributes."""
    for text in string_statements(module):
        assert not re.search(r":(func|meth|class|attr|data|exc|mod|obj):`", text), text
        assert not re.search(r"::[ \t]*$", text, re.MULTILINE), text
        assert ">>>" not in text, text


@pytest.mark.parametrize(
    "module",
    sorted((ROOT / "greenstatus").rglob("*.py")),
    ids=lambda module: module.relative_to(ROOT).as_posix(),
)
def test_code_examples_are_where_they_run(module: Path) -> None:
    """The suite runs the examples in the docstrings of modules, classes and
    functions; the reference also shows attributes' docstrings, which it does
    not reach, so those hold no code block."""
    source = module.read_text(encoding="utf-8")
    run = {text for _, _, text in PythonDocStringDocument.extract_docstrings(source)}
    for text in string_statements(module):
        if text not in run:
            assert not re.search(r"^\s*(```|~~~)", text, re.MULTILINE), text


def string_statements(module: Path) -> list[str]:
    """Every string that stands as a statement of its own: docstrings, and the
    strings under attributes that document them."""
    return [
        node.value.value
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]


def test_the_readme_names_how_to_build_and_serve_the_docs() -> None:
    development = (ROOT / "README.md").read_text(encoding="utf-8").split("## Development", 1)[1]
    assert "nox -s docs" in development
    assert "mkdocs serve" in development
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert '"mkdocs", "build", "--strict"' in noxfile
