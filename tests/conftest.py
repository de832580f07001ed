"""Shared fixtures: a minimal valid scenario file, and edits of it written to tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MINIMAL_SCENARIO = """\
name = "tiny"
horizon_days = 100
warmup_days = 10

[[factories]]
name = "plant"

[[factories.lines]]
name = "line"
unit_time_h = 0.5
"""
"""One always-open line with a deterministic unit time; the smallest valid scenario."""

WriteScenario = Callable[..., Path]


@pytest.fixture
def write_scenario(tmp_path: Path) -> WriteScenario:
    """A function writing MINIMAL_SCENARIO, edited, to a fresh .toml file and returning its path.

    `write_scenario(("old", "new"), …, append="…")` replaces each `old` (which must occur, so a
    test never silently checks the unedited file) and appends text at the end.
    """
    count = 0

    def write(*edits: tuple[str, str], append: str = "") -> Path:
        nonlocal count
        text = MINIMAL_SCENARIO
        for old, new in edits:
            assert old in text, f"edit target {old!r} not in the minimal scenario"
            text = text.replace(old, new)
        count += 1
        path = tmp_path / f"scenario-{count}.toml"
        path.write_text(text + append, encoding="utf-8")
        return path

    return write
