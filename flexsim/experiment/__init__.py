"""Experiments: replications, comparisons of variants and factorial sweeps of one scenario, with
common random numbers and confidence intervals, on local cores or a Dask cluster.

    flexsim.replicate(scenario, 20)                       # one scenario, 20 seeds
    flexsim.compare(scenario, {"credit": {KEY: VALUE}})   # the scenario vs its variants
    flexsim.load_experiment("study.toml")                 # an experiment file, then run it

docs/experiments.md shows each with a runnable example.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flexsim.experiment.design import (
    BASE,
    Experiment,
    Point,
    experiment_from,
    is_experiment_file,
    load_experiment,
)
from flexsim.experiment.errors import ExperimentError
from flexsim.experiment.execute import Backend, Dask, Measure, Outcome, Processes, Serial, backend
from flexsim.experiment.names import headline_kpis
from flexsim.experiment.runner import ExperimentResult, run_experiment
from flexsim.scenario import Scenario

__all__ = [
    "BASE",
    "Backend",
    "Dask",
    "Experiment",
    "ExperimentError",
    "ExperimentResult",
    "Measure",
    "Outcome",
    "Point",
    "Processes",
    "Serial",
    "backend",
    "compare",
    "experiment_from",
    "headline_kpis",
    "is_experiment_file",
    "load_experiment",
    "replicate",
    "run_experiment",
]


def replicate(
    scenario: Scenario | str | Path,
    replications: int = 10,
    *,
    seed: int = 1,
    kpis: list[str] | None = None,
    measures: Mapping[str, Measure] | None = None,
    jobs: int | None = 1,
    dask: str | None = None,
) -> ExperimentResult:
    """Run `scenario` with seeds seed … seed + replications − 1 and summarise its KPIs (and
    `measures`, functions of a RunResult) with 95 % intervals."""
    return compare(
        scenario, {}, replications=replications, seed=seed, kpis=kpis, measures=measures,
        jobs=jobs, dask=dask,
    )  # fmt: skip


def compare(
    scenario: Scenario | str | Path,
    variants: Mapping[str, Mapping[str, Any]],
    *,
    replications: int = 10,
    seed: int = 1,
    kpis: list[str] | None = None,
    measures: Mapping[str, Measure] | None = None,
    jobs: int | None = 1,
    dask: str | None = None,
    baseline: str = BASE,
) -> ExperimentResult:
    """The scenario as given (variant `base`, the baseline) against each named variant, a
    mapping of dotted keys to values applied like `--set`, over common random numbers: per KPI
    (and measure) each variant's mean with its 95 % interval and the paired difference against
    the baseline. A Scenario object is compared as it is; a name or file is loaded."""
    named: dict[str, dict[str, Any]] = {BASE: {}}
    named |= {name: dict(overrides) for name, overrides in variants.items()}
    settings: dict[str, Any] = {"replications": replications, "seed": seed, "baseline": baseline}
    kpi_names = [kpi for kpi in kpis or [] if kpi not in (measures or {})]  # measures come anyway
    if kpi_names:
        settings["kpis"] = kpi_names
    experiment = experiment_from(scenario, named, **settings)
    runner = backend(jobs, dask)
    try:
        return run_experiment(experiment, runner, measures=measures)
    finally:
        runner.close()
