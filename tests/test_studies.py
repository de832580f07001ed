"""`flexsim audit DIR` passes (exit 0) on run folders of each study in experiments/*.toml and of
each validation scenario in experiments/validation/*.toml (issue 13: the audit holds on a run
of each study's base scenario).

The inner loop runs each study's first design point (its base scenario with the first variant's
keys, at the first factor values) at a short horizon; the slow tests run the first design point
of each variant, and each validation scenario, at its own horizon. A study's point is run at the
study's first seed and written as `flexsim run --out` writes it; a validation scenario is run by
`flexsim run`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flexsim import metrics, results
from flexsim.cli import main
from flexsim.experiment import load_experiment, run_experiment
from flexsim.plan import is_plan_file
from flexsim.run import run

EXPERIMENTS = Path(__file__).parent.parent / "experiments"
STUDIES = sorted(p for p in EXPERIMENTS.glob("*.toml") if not is_plan_file(p))  # not plans
VALIDATION = sorted((EXPERIMENTS / "validation").glob("*.toml"))
SHORT = {"horizon_days": 60, "warmup_days": 10}


def _points(each_variant: bool) -> list[Any]:
    """(study, point number) of the first design point of each variant, or of each study."""
    cases = []
    for study in STUDIES:
        variants: set[str] = set()
        for number, point in enumerate(load_experiment(study).points):
            if point.variant not in variants and (each_variant or not variants):
                cases.append(pytest.param(study, number, id=f"{study.stem}: {point.name}"))
            variants.add(point.variant)
    return cases


def _audit_point(study: Path, number: int, overrides: dict[str, Any], folder: Path) -> None:
    plan = load_experiment(study)
    point = plan.points[number]
    scenario = point.scenario
    if overrides:
        scenario = scenario.with_overrides(overrides, f"{study.name}: {point.name}")
    result = run(scenario, plan.settings.seed)
    kpis = metrics.scenario_kpis(result.tables, scenario)
    results.write(result, kpis, folder, str(study), point.factors | overrides)
    assert main(["audit", str(folder)]) == 0, f"{study.name}: the audit fails on {point.name}"


def test_there_are_studies_and_validation_scenarios_to_audit() -> None:
    assert len(STUDIES) >= 2
    assert len(VALIDATION) >= 5


@pytest.mark.parametrize(("study", "number"), _points(each_variant=False))
def test_audit_passes_on_each_study(
    study: Path, number: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _audit_point(study, number, SHORT, tmp_path_factory.mktemp("run"))


@pytest.mark.slow
@pytest.mark.parametrize(("study", "number"), _points(each_variant=True))
def test_audit_passes_on_each_variant_at_its_horizon(
    study: Path, number: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _audit_point(study, number, {}, tmp_path_factory.mktemp("run"))


def _run_and_audit(scenario: Path, options: list[str], folder: Path) -> None:
    assert main(["run", str(scenario), *options, "--out", str(folder)]) == 0
    assert main(["audit", str(folder)]) == 0


@pytest.mark.parametrize("scenario", VALIDATION, ids=lambda path: path.stem)
def test_audit_passes_on_each_validation_scenario(
    scenario: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    short = [f"--set={key}={value}" for key, value in SHORT.items()]
    _run_and_audit(scenario, short, tmp_path_factory.mktemp("run") / "run")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", VALIDATION, ids=lambda path: path.stem)
def test_audit_passes_on_each_validation_scenario_at_its_horizon(
    scenario: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _run_and_audit(scenario, [], tmp_path_factory.mktemp("run") / "run")


@pytest.mark.slow
@pytest.mark.parametrize("study", STUDIES, ids=lambda path: path.stem)
def test_each_study_runs_whole_at_a_short_horizon(study: Path, tmp_path: Path) -> None:
    """The smoke test of each study as its command runs it: every design point, 2 replications,
    120 days of which 30 warm up; the results folder holds each point's runs and a summary row
    of each of its KPIs (and the appraisal rows of a study whose points invest)."""
    plan = load_experiment(study)
    if plan.settings.sequential or plan.settings.warmup == "auto":
        _run_fixed(study)
        return
    short = ["--set=horizon_days=120", "--set=warmup_days=30"]
    out = tmp_path / "out"
    args = ["experiment", str(study), *short, "--replications", "2", "--out", str(out), "--quiet"]
    assert main(args) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 2 * len(plan.points)
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["variant"]) == {point.label for point in plan.points}
    appraisal = {kpi for kpi in summary["kpi"] if kpi.startswith("appraisal.")}
    assert set(summary["kpi"]) - appraisal == set(plan.kpis)


def _run_fixed(study: Path) -> None:
    """A study that replicates until a precision or finds its warm-up by MSER-5 needs its own
    horizon for those (minutes; tests/test_experiment.py and tests/test_stats.py test them):
    its design points run here on 2 fixed replications and the scenario's warm-up instead."""
    plan = load_experiment(study, {"horizon_days": 120, "warmup_days": 30})
    fixed = plan.settings.model_copy(update={"sequential": None, "warmup": "scenario"})
    result = run_experiment(replace(plan, settings=fixed), replications=2)
    assert not result.failed, result.failed
    assert len(result.runs) == 2 * len(plan.points)
    assert set(result.summary["kpi"]) == set(plan.kpis)
