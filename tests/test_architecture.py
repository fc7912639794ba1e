"""The shape of the package: which module may import which."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import greenstatus

PACKAGE = Path(greenstatus.__file__).parent


def module_name(path: Path) -> str:
    parts = ("greenstatus", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def run_time_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that can run, in functions too; not those only a type
    checker reads (``if TYPE_CHECKING:``)."""
    if isinstance(node, ast.If) and is_type_checking(node.test):
        children: list[ast.AST] = list(node.orelse)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        children = []
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from run_time_imports(child)


def imported_modules(name: str, source: str, *, is_package: bool = False) -> set[str]:
    """The modules of the package that module ``name``, of ``source``, imports."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in run_time_imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = package.split(".")
        base = base[: len(base) - node.level + 1] if node.level else []
        source = ".".join([*base, *(node.module.split(".") if node.module else [])])
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            found.add(submodule if submodule in MODULES else source)
    return {module for module in found if module in MODULES and module != name}


def import_graph() -> dict[str, set[str]]:
    return {
        name: imported_modules(
            name, path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py"
        )
        for name, path in MODULES.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the path that closes it, or ``None``."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            cycle = visit(target)
            if cycle is not None:
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle is not None:
            return cycle
    return None


SAMPLE = """
from typing import TYPE_CHECKING
import greenstatus._clock
from . import _numbers, testing
from ._methods import ApiMethod
from .testing import FakeGreenAPI
if TYPE_CHECKING:
    from ._client import AsyncStatusClient
else:
    from ._requests import Status
def late():
    from ._readiness import InstanceState
"""


def test_the_graph_counts_imports_inside_functions_and_not_type_checking_ones() -> None:
    assert imported_modules("greenstatus._sample", SAMPLE) == {
        "greenstatus._clock",
        "greenstatus._numbers",
        "greenstatus.testing",
        "greenstatus._methods",
        "greenstatus._requests",
        "greenstatus._readiness",
    }


def test_relative_imports_resolve_from_a_subpackage() -> None:
    source = "from .._methods import ApiMethod\nfrom ._fake import FakeGreenAPI\n"
    assert imported_modules("greenstatus.testing._sample", source) == {
        "greenstatus._methods",
        "greenstatus.testing._fake",
    }
    assert imported_modules("greenstatus.testing", "from ._fake import X", is_package=True) == {
        "greenstatus.testing._fake"
    }


def test_find_cycle_reports_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_module_of_greenstatus_imports_in_a_circle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or ())


def test_the_error_tree_imports_nothing_but_small_value_modules() -> None:
    assert import_graph()["greenstatus._exceptions"] <= {
        "greenstatus._instance_state",
        "greenstatus._numbers",
    }
