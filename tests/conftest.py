"""Shared fixtures: a minimal valid scenario file, and edits of it written to tmp_path; a short
run folder and a short experiment folder with their reports, written once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flexsim.cli import main

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


SHORT_DEFAULT = ["--set", "horizon_days=120", "--set", "warmup_days=30"]
"""The default scenario, short: its report has every figure of a run."""
SHORT_EXPERIMENT = """\
[experiment]
name = "short"
replications = 2
set = { horizon_days = 120, warmup_days = 30 }

[variants.voucher]

[variants.credit]
"channels.ecommerce.payment.regime" = "offline_credit"
"""


@pytest.fixture(scope="session")
def reported_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short run of the default scenario written with --report; tests read it, never change
    what it holds (a copy may be changed)."""
    folder = tmp_path_factory.mktemp("reported") / "run"
    assert main(["run", *SHORT_DEFAULT, "--out", str(folder), "--report", "--quiet"]) == 0
    return folder


@pytest.fixture(scope="session")
def reported_experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SHORT_EXPERIMENT run with --series and --report, in SVG; read only, as reported_run."""
    where = tmp_path_factory.mktemp("reported")
    file, folder = where / "short.toml", where / "experiment"
    file.write_text(SHORT_EXPERIMENT, encoding="utf-8")
    argv = ["experiment", str(file), "--series", "--report", "--format", "svg", "--out"]
    assert main([*argv, str(folder), "--jobs", "1", "--quiet"]) == 0
    return folder
