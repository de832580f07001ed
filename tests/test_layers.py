"""The house: every import between the package's parts goes down the layers of docs/design.md's
`layers` block (or stays on its line), and no imports between parts go round in a cycle,
type-only imports included."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flexsim"


def layers() -> dict[str, int]:
    """Each part's layer number (0 = the bottom) from the design's fenced `layers` block."""
    text = (ROOT / "docs" / "design.md").read_text("utf-8")
    blocks = re.findall(r"^```layers\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, "docs/design.md needs exactly one ```layers block"
    return {part: n for n, line in enumerate(blocks[0].splitlines()) for part in line.split()}


def part_of(path: Path) -> str | None:
    """The part a source file belongs to: its module, or its package below flexsim/; None for
    the package's own __init__.py (the public API, outside the layers)."""
    relative = path.relative_to(PACKAGE)
    if relative == Path("__init__.py"):
        return None
    return relative.parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """The flexsim parts a file imports anywhere: at the top, inside functions, or under
    `if TYPE_CHECKING:`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "flexsim" and len(parts) > 1 and _is_part(parts[1]):
                found.add(parts[1])
    return found


def _is_part(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def dependencies() -> dict[str, set[str]]:
    """Part → the other parts it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        part = part_of(path)
        if part is not None:
            graph.setdefault(part, set()).update(imported_parts(path) - {part})
    return graph


def test_every_part_has_a_layer() -> None:
    missing = sorted(set(dependencies()) - set(layers()) - {"scenarios"})
    assert not missing, f"parts missing from docs/design.md's layers block: {missing}"


def test_imports_go_down_the_layers() -> None:
    level = layers()
    upward = [
        f"{part} (layer {level[part]}) imports {other} (layer {level[other]})"
        for part, others in dependencies().items()
        for other in others
        if part in level and other in level and level[other] > level[part]
    ]
    assert not upward, upward


def test_no_import_cycle_between_parts() -> None:
    graphlib.TopologicalSorter(dependencies()).prepare()  # raises CycleError naming the cycle


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """Negative control: an import of cli from metrics goes up; a ↔ b is a cycle."""
    level = layers()
    assert level["cli"] > level["metrics"]
    source = tmp_path / "bad.py"
    source.write_text("from flexsim.cli import main\nfrom flexsim import metrics\n")
    assert imported_parts(source) == {"cli", "metrics"}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter({"a": {"b"}, "b": {"a"}}).prepare()
