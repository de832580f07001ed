"""Shared fixtures: a minimal valid scenario file, and edits of it written to tmp_path; a short
run folder and a short experiment folder with their reports, written once per session; and the
audit of every run folder a test leaves in its tmp_path (`flexsim audit`, every law must hold)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flexsim import load_builtin
from flexsim.audit import audit
from flexsim.cli import main
from flexsim.results import table_path

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


def assert_audit_passes(folder: Path) -> None:
    """Every law of `flexsim audit` holds on the run folder."""
    broken = [finding.line() for finding in audit(folder) if not finding.holds]
    assert not broken, f"{folder}: " + "; ".join(broken)


@pytest.fixture(autouse=True)
def audit_run_folders(tmp_path: Path) -> Iterator[None]:
    """After each test, audit every complete run folder (manifest.json beside the orders
    table, gzip CSV or Parquet) it wrote into its tmp_path: whatever writes a run folder, the
    laws hold on it. A test that corrupts a folder on purpose does so outside its tmp_path."""
    yield
    for manifest in sorted(tmp_path.rglob("manifest.json")):
        if table_path(manifest.parent, "orders").is_file():
            assert_audit_passes(manifest.parent)


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


TEST_SELLERS = 300
"""The most sellers a test runs a built-in with: taobao-village's 10,000 run for minutes (its
full size is for benchmarks/test_bench_village.py)."""
TEST_REVIEW_DAYS = 20  # an alliance's review period in a test: shorter than the tests' runs


def at_test_size(name: str) -> dict[str, Any]:
    """Overrides that bring the built-in `name` to a test's size: its sellers cut to
    TEST_SELLERS and its alliances reviewing every TEST_REVIEW_DAYS (the tests run a few
    months); none for a built-in that has neither more sellers nor alliances."""
    scenario = load_builtin(name)
    overrides: dict[str, Any] = {
        f"alliances.{alliance.name}.review_days": TEST_REVIEW_DAYS
        for alliance in scenario.alliances
    }
    if scenario.sellers.count > TEST_SELLERS:
        overrides["sellers.count"] = TEST_SELLERS
    return overrides


def at_test_size_args(name: str) -> list[str]:
    """at_test_size as `--set` arguments of the command line."""
    return [arg for key, value in at_test_size(name).items() for arg in ("--set", f"{key}={value}")]


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
    assert_audit_passes(folder)
    return folder


@pytest.fixture(scope="session")
def reported_village(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A short run of taobao-village at test size (50 factories) written with --report, and
    what `flexsim run` printed; read only, as reported_run."""
    folder = tmp_path_factory.mktemp("reported") / "village"
    argv = ["run", "taobao-village", *at_test_size_args("taobao-village"), *SHORT_DEFAULT]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*argv, "--out", str(folder), "--report"]) == 0
    assert_audit_passes(folder)
    return folder, printed.getvalue()


@pytest.fixture(scope="session")
def reported_experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SHORT_EXPERIMENT run with --series and --report, in SVG; read only, as reported_run."""
    where = tmp_path_factory.mktemp("reported")
    file, folder = where / "short.toml", where / "experiment"
    file.write_text(SHORT_EXPERIMENT, encoding="utf-8")
    argv = ["experiment", str(file), "--series", "--report", "--format", "svg", "--out"]
    assert main([*argv, str(folder), "--jobs", "1", "--quiet"]) == 0
    return folder
