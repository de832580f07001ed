"""The house: every import between flexsim's modules (at the top, inside a function or under
`if TYPE_CHECKING:`, absolute or relative) goes down the layers of docs/design.md's `layers` block
or stays on its line, and no imports go round in a cycle, neither between parts nor between the
modules inside a package (type-only imports included). A negative control runs the same checks
on a small package with an upward import and a cycle, and asserts that they report both."""

from __future__ import annotations

import ast
import functools
import graphlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flexsim"
Graph = dict[str, set[str]]  # module → the package's modules it imports


def layers() -> dict[str, int]:
    """Each part's layer number (0 = the bottom) from the design's fenced `layers` block."""
    text = (ROOT / "docs" / "design.md").read_text("utf-8")
    blocks = re.findall(r"^```layers\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, "docs/design.md needs exactly one ```layers block"
    return {part: n for n, line in enumerate(blocks[0].splitlines()) for part in line.split()}


def module_name(path: Path, package: Path) -> str:
    """The dotted name of a source file of `package`: `flexsim.metrics.money`, and the
    package's own name for an __init__.py."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str | None:
    """The part a module belongs to: the module or package just below the top package; None
    for the top package's __init__.py (the public API, outside the layers)."""
    names = module.split(".")
    return names[1] if len(names) > 1 else None


def imported_modules(path: Path, package: Path, modules: set[str], type_checking: bool) -> set[str]:
    """The `modules` of the package a source file imports anywhere: at the top, inside
    functions, and (unless `type_checking` is false) under `if TYPE_CHECKING:`. `from P import N`
    counts as an import of the module P.N when there is one, else of P; relative imports are
    resolved."""
    here = module_name(path, package)
    inside = here if path.name == "__init__.py" else here.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    skipped = set() if type_checking else _type_checking_imports(tree)
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(_longest_module(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = inside.rsplit(".", node.level - 1)[0] if node.level > 1 else inside
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if name in modules else _longest_module(base, modules))
    return found - {"", here}


def _longest_module(name: str, modules: set[str]) -> str:
    """The longest leading part of a dotted name that is a module of the package, or ""."""
    names = name.split(".")
    for end in range(len(names), 0, -1):
        if ".".join(names[:end]) in modules:
            return ".".join(names[:end])
    return ""


def _type_checking_imports(tree: ast.Module) -> set[int]:
    """The ids of the nodes under `if TYPE_CHECKING:` (or `if typing.TYPE_CHECKING:`)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _names_type_checking(node.test):
            found.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return found


def _names_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


@functools.cache
def import_graph(package: Path = PACKAGE, type_checking: bool = True) -> Graph:
    """Each module of the package → the other modules of the package it imports (cached: the
    callers only read it)."""
    paths = sorted(package.rglob("*.py"))
    modules = {module_name(path, package) for path in paths}
    return {
        module_name(path, package): imported_modules(path, package, modules, type_checking)
        for path in paths
    }


def part_graph(graph: Graph) -> Graph:
    """Each part → the other parts its modules import (the top package's __init__ left out)."""
    parts: Graph = {}
    for module, imported in graph.items():
        part = part_of(module)
        if part is not None:
            others = {part_of(other) for other in imported} - {None, part}
            parts.setdefault(part, set()).update(p for p in others if p is not None)
    return parts


def upward_imports(graph: Graph, level: dict[str, int]) -> list[str]:
    """Each import of a module from a part on a higher line of the layers block."""
    found = []
    for module, imported in sorted(graph.items()):
        for other in sorted(imported):
            mine, theirs = part_of(module), part_of(other)
            if mine in level and theirs in level and level[theirs] > level[mine]:
                found.append(
                    f"{module} (layer {level[mine]}) imports {other} (layer {level[theirs]})"
                )
    return found


def cycle(graph: Graph) -> list[str] | None:
    """One cycle of imports (its modules, the first repeated at the end), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return None


def without(graph: Graph, edges: set[tuple[str, str]]) -> Graph:
    """The graph with the given (importer, imported) edges left out."""
    return {
        module: imported - {other for m, other in edges if m == module}
        for module, imported in graph.items()
    }


def test_every_part_has_a_layer() -> None:
    missing = sorted(set(part_graph(import_graph())) - set(layers()) - {"scenarios"})
    assert not missing, f"parts missing from docs/design.md's layers block: {missing}"


def test_every_layer_is_a_part() -> None:
    parts = {part_of(module) for module in import_graph()} - {None}
    assert not set(layers()) - parts, "the layers block names a part that does not exist"


def test_imports_go_down_the_layers() -> None:
    upward = upward_imports(import_graph(), layers())
    assert not upward, upward


def test_no_import_cycle_between_parts() -> None:
    assert cycle(part_graph(import_graph())) is None


def test_no_import_cycle_between_modules() -> None:
    found = cycle(import_graph())
    assert found is None, f"imports go round in a cycle: {' → '.join(found or [])}"


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "flexsim"


def test_the_checks_catch_upward_and_cyclic_imports_in_any_form(tmp_path: Path) -> None:
    """Negative control on a small package: a type-only import up the layers, a function-local
    import down them, and a cycle inside a subpackage closed by a relative type-only import."""
    checking = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    package = write_package(
        tmp_path,
        {
            "flexsim/__init__.py": "",
            "flexsim/low.py": checking + "    from flexsim.high import Thing\n",
            "flexsim/high.py": "def f():\n    from flexsim import low\n",
            "flexsim/pkg/__init__.py": "from .a import x\n",
            "flexsim/pkg/a.py": "import flexsim.pkg.b\n",
            "flexsim/pkg/b.py": checking + "    from . import a\n",
        },
    )
    graph = import_graph(package)
    assert graph == {
        "flexsim": set(),
        "flexsim.high": {"flexsim.low"},
        "flexsim.low": {"flexsim.high"},
        "flexsim.pkg": {"flexsim.pkg.a"},
        "flexsim.pkg.a": {"flexsim.pkg.b"},
        "flexsim.pkg.b": {"flexsim.pkg.a"},
    }
    level = {"low": 0, "pkg": 0, "high": 1}
    assert upward_imports(graph, level) == ["flexsim.low (layer 0) imports flexsim.high (layer 1)"]
    assert cycle(part_graph(graph)) is not None  # low ↔ high, though one side is a type hint
    inner = without(graph, {("flexsim.low", "flexsim.high")})
    assert set(cycle(inner) or []) == {"flexsim.pkg.a", "flexsim.pkg.b"}
    assert cycle(without(inner, {("flexsim.pkg.b", "flexsim.pkg.a")})) is None
    runtime = import_graph(package, type_checking=False)
    assert runtime["flexsim.low"] == set() and runtime["flexsim.pkg.b"] == set()
    assert runtime["flexsim.high"] == {"flexsim.low"}  # a function-local import is not skipped
