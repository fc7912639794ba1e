"""Every Python example in README.md, docs/ and the docstrings (which the API
reference shows) passes ``mypy --strict``, and fits the site's code column.

The examples run in ``tests/docs_harness.py``; this checks their types too, as
a reader's type checker would. A page's ``python`` blocks become one module, in
order and at their own line numbers (an error names the page's line), as the
body of one coroutine function that takes what the harness gives them,
``client``: the blocks are written for ``python -m asyncio``, whose top-level
``await`` and ``async with`` mypy takes only inside such a function. Defining a
function again further down a page is allowed. Each ``pyi`` block (a listing of
signatures) is checked as a stub of its own.
"""

from __future__ import annotations

import ast
import inspect
import re
import shutil
from pathlib import Path

import attrs
import pytest
from mypy import api
from sybil import Document
from sybil.document import PythonDocStringDocument
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

import greenstatus

from .docs_harness import INCLUDE, ROOT, docstrings, fence_language, is_output, sybil

PRELUDE = [
    "from greenstatus import AsyncStatusClient as _Client",
    "async def _page(client: _Client) -> None:",
]


def pages() -> list[Path]:
    return [
        ROOT / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "greenstatus").rglob("*.py")),
    ]


def page_text(page: Path) -> str:
    """A Markdown page as it is; a module as its docstrings alone, at their
    own lines (everything else blanked, line breaks kept)."""
    text = page.read_text(encoding="utf-8")
    if page.suffix != ".py":
        return text
    kept = ["\n" if char == "\n" else " " for char in text]
    for start, end, _ in PythonDocStringDocument.extract_docstrings(text):
        kept[start:end] = text[start:end]
    return "".join(kept)


def fences(page: Path) -> list[tuple[str, int, str]]:
    """Every fenced block of the page: (its info string, the line of its first
    line, its text)."""
    text = page_text(page)
    document = Document(text, str(page))
    lexer = FencedCodeBlockLexer(r".*", mapping={"language": "info", "source": "source"})
    return [
        (
            str(region.lexemes["info"]),
            text.count("\n", 0, region.start) + 2,
            str(region.lexemes["source"]),
        )
        for region in lexer(document)
    ]


def blocks(page: Path, language: str) -> list[tuple[int, str]]:
    """The page's blocks in ``language`` (the first word of the info string, as
    the harness reads it): (the line of their first line, their text)."""
    return [
        (first_line, source)
        for info, first_line, source in fences(page)
        if fence_language(info)[0] == language
    ]


def as_module(page: Path) -> str:
    """The page's blocks as the body of one coroutine function, each at its line."""
    lines = list(PRELUDE)
    for first_line, source in blocks(page, "python"):
        if INCLUDE.match(source.strip()):
            continue  # an examples/ file, which mypy checks with the package
        assert len(lines) < first_line, f"{page}:{first_line}: block overlaps the prelude"
        lines.extend([""] * (first_line - 1 - len(lines)))
        lines.extend(f"    {line}" if line.strip() else "" for line in source.splitlines())
    lines.append("    pass")
    return "\n".join(lines) + "\n"


def as_stub(first_line: int, source: str) -> str:
    return "\n" * (first_line - 1) + source


def test_the_pages_have_python_examples() -> None:
    counted = {page.name: len(blocks(page, "python")) for page in pages()}
    assert counted["README.md"] >= 1
    assert sum(counted.values()) >= 30


def type_check(checked: list[Path], label: str) -> tuple[int, str]:
    """mypy --strict over the pages' examples: its exit status and report,
    with each error at its page and line.

    The modules are written under mypy's own cache directory, at paths that
    stay the same from run to run: mypy reuses what it found in an unchanged
    file, file name included, so a fresh path per run would report stale ones.
    """
    tmp_path = ROOT / ".mypy_cache" / "docs-examples" / label
    shutil.rmtree(tmp_path, ignore_errors=True)
    tmp_path.mkdir(parents=True)
    names: dict[str, Path] = {}
    for page in checked:
        stem = "_".join(page.relative_to(page.anchor).with_suffix("").parts[-2:])
        stem = stem.replace("-", "_").replace(".", "_")
        module = tmp_path / f"page_{stem}.py"
        module.write_text(as_module(page), encoding="utf-8")
        names[module.name] = page
        for first_line, source in blocks(page, "pyi"):
            stub = tmp_path / f"stub_{stem}_{first_line}.pyi"
            stub.write_text(as_stub(first_line, source), encoding="utf-8")
            names[stub.name] = page
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--config-file",
            "",
            "--python-version",
            "3.10",
            "--disable-error-code",
            "no-redef",
            # A page's blocks are one function body: after a block that raises
            # or exits, the next ones would be unreachable, and unchecked.
            "--warn-unreachable",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *(str(tmp_path / name) for name in sorted(names)),
        ]
    )
    for name, page in names.items():
        stdout = re.sub(rf"^\S*{re.escape(name)}", page.name, stdout, flags=re.MULTILINE)
    return status, stdout + stderr


def test_every_example_type_checks_strictly() -> None:
    status, report = type_check(pages(), "pages")
    assert status == 0, report


def test_a_wrongly_typed_example_fails_at_its_line(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(
        "# A page\n\n```python\nsent = await client.send_text_status(500)\n```\n\n"
        "```pyi\ndef f(x) -> None: ...\n```\n\n"
        "```python\nraise SystemExit(0)\n```\n\n```python\nn: int = 'ten'\n```\n",
        encoding="utf-8",
    )
    status, report = type_check([page], "wrongly-typed")
    assert status == 1
    assert 'page.md:4: error: Argument 1 to "send_text_status"' in report
    assert "page.md:8: error: Function is missing a type annotation" in report
    assert "page.md:16: error: Statement is unreachable" in report


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_no_block_is_python_that_is_not_run(page: Path) -> None:
    """Python is fenced as ``python`` (run) or ``pyi`` (a listing, checked as a
    stub): no ``py``, ``Python``, ``python3``, ``pycon`` or ``ipython`` block
    escapes both, and no ``>>>`` session."""
    for info, first_line, source in fences(page):
        language = fence_language(info)[0]
        if language in ("python", "pyi"):
            continue
        assert not re.match(r"(?i)(i?py|python)", language), f"{page.name}:{first_line}: {info}"
        assert not source.lstrip().startswith(">>>"), f"{page.name}:{first_line}"
        if re.search(r"(?i)title=\W*output", info):
            assert is_output(info), f"{page.name}:{first_line}: {info} is not checked"
    assert ">>> " not in page_text(page), f"{page.name}: a doctest outside a python block"


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_every_page_is_one_the_harness_runs(page: Path) -> None:
    assert sybil.should_parse(page) or docstrings.should_parse(page)


# The width of the site's code column at 1280 pixels, in characters: a longer
# line hides its end behind a scroll bar.
CODE_WIDTH = 80


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_no_example_line_is_wider_than_the_page(page: Path) -> None:
    """Python and shell lines fit, but for a one-line command joined with
    ``&&`` (the README's, made to be copied whole, not read)."""
    wide = [
        f"{page.name}:{first_line + number}: {len(line)} characters"
        for language in ("python", "pyi", "sh")
        for first_line, source in blocks(page, language)
        for number, line in enumerate(source.splitlines())
        if len(line) > CODE_WIDTH and not (language == "sh" and " && " in line)
    ]
    assert wide == []


def listed_signatures() -> list[tuple[str, int, ast.ClassDef]]:
    """The classes the pages' ``pyi`` listings show: (page, line, class)."""
    found = []
    for page in pages():
        for first_line, source in blocks(page, "pyi"):
            for node in ast.parse(source).body:
                if isinstance(node, ast.ClassDef):
                    found.append((page.name, first_line + node.lineno - 1, node))
    return found


Parameter = tuple[str, str, str, object]  # name, kind, annotation, default

NO_DEFAULT = "(none)"


def annotation(node: ast.expr | None) -> str:
    return "" if node is None else ast.unparse(node)


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Parameter]:
    """Each parameter as ``inspect`` describes it, and the return annotation."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults)) + list(
        arguments.defaults
    )
    listed: list[Parameter] = [
        (
            argument.arg,
            "POSITIONAL_ONLY" if argument in arguments.posonlyargs else "POSITIONAL_OR_KEYWORD",
            annotation(argument.annotation),
            NO_DEFAULT if default is None else ast.literal_eval(default),
        )
        for argument, default in zip(positional, defaults, strict=True)
    ]
    listed += [
        (
            argument.arg,
            "KEYWORD_ONLY",
            annotation(argument.annotation),
            NO_DEFAULT if default is None else ast.literal_eval(default),
        )
        for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    return [*listed, ("return", "", annotation(function.returns), NO_DEFAULT)]


def real_parameters(function: object) -> list[Parameter]:
    signature = inspect.signature(function)  # type: ignore[arg-type]

    def written(hint: object) -> str:
        if hint is inspect.Parameter.empty:
            return ""
        return hint if isinstance(hint, str) else inspect.formatannotation(hint)

    listed: list[Parameter] = [
        (
            name,
            parameter.kind.name,
            written(parameter.annotation),
            NO_DEFAULT if parameter.default is inspect.Parameter.empty else parameter.default,
        )
        for name, parameter in signature.parameters.items()
    ]
    return [*listed, ("return", "", written(signature.return_annotation), NO_DEFAULT)]


def listed_functions() -> list[tuple[str, int, str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function the listings show: (page, line, where, function)."""
    found = []
    for page in pages():
        for first_line, source in blocks(page, "pyi"):
            for node in ast.parse(source).body:
                if isinstance(node, ast.ClassDef):
                    members = [(f"{node.name}.", item) for item in node.body]
                else:
                    members = [("", node)]
                for prefix, item in members:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        line = first_line + item.lineno - 1
                        found.append((page.name, line, prefix + item.name, item))
    return found


@pytest.mark.parametrize(
    "listed", listed_functions(), ids=lambda listed: f"{listed[0]}:{listed[2]}"
)
def test_a_listed_signature_is_the_real_one(
    listed: tuple[str, int, str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> None:
    """A ``pyi`` listing shows greenstatus's own signatures: each parameter's
    name, kind, annotation and default, and the return annotation."""
    page, line, where, function = listed
    real: object = greenstatus
    for name in where.split("."):
        real = getattr(real, name)
    assert parameters(function) == real_parameters(real), f"{page}:{line}: {where}"


@pytest.mark.parametrize(
    "listed", listed_signatures(), ids=lambda listed: f"{listed[0]}:{listed[2].name}"
)
def test_a_listed_attrs_class_has_the_real_fields(listed: tuple[str, int, ast.ClassDef]) -> None:
    page, line, node = listed
    fields = [
        (item.target.id, ast.unparse(item.annotation))
        for item in node.body
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
    ]
    real = getattr(greenstatus, node.name)
    if fields:
        assert fields == [(field.name, field.type) for field in attrs.fields(real)], (
            f"{page}:{line}"
        )


def test_the_listings_are_compared() -> None:
    assert {where for _, _, where, _ in listed_functions()} >= {
        "TextStatus.__init__",
        "VoiceStatus.__init__",
        "MediaStatus.__init__",
        "RateLimiter.acquire",
        "RatePlace.release",
    }
    assert {node.name for _, _, node in listed_signatures()} >= {
        "TextStatus",
        "VoiceStatus",
        "MediaStatus",
        "RateLimiter",
        "RatePlace",
        "RateRequest",
    }
