"""Execution backends: the same experiment gives bit-identical run tables serially, on local
processes (one or two) and on a Dask LocalCluster; workers send home KPI rows, write a run's
tables themselves when asked, and a run that raises is recorded while the others go on."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import flexsim
from flexsim import metrics
from flexsim.experiment import (
    Backend,
    Dask,
    Experiment,
    ExperimentResult,
    Processes,
    Serial,
    experiment_from,
    load_experiment,
    run_experiment,
)
from flexsim.experiment.execute import Task
from flexsim.results import read_tables

# The default scenario, short and with few sellers so that a run takes a tenth of a second, in a
# 2 × 3 grid: a variant that moves the money (the sellers' orders on offline credit) crossed with
# the number of sellers, two replications each. The whole model runs (sellers, platform, both
# lines, the ledger), so any process-dependent state (hash order, caches) would show.
STUDY = """\
[experiment]
name = "backends"
scenario = "tao-factory"
replications = 2
seed = 11
set = { "horizon_days" = 40, "warmup_days" = 5 }

[factors]
"sellers.count" = [20, 30, 40]

[variants.voucher]

[variants.credit]
"channels.ecommerce.payment.regime" = "offline_credit"
"""
FAILING_SEED = 2


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Experiment:
    path = tmp_path_factory.mktemp("study") / "backends.toml"
    path.write_text(STUDY, encoding="utf-8")
    return load_experiment(path)


@pytest.fixture(scope="module")
def serial(study: Experiment) -> ExperimentResult:
    return run_experiment(study, Serial())


def run_on(runner: Backend, study: Experiment) -> ExperimentResult:
    try:
        return run_experiment(study, runner)
    finally:
        runner.close()


def assert_identical(expected: ExperimentResult, got: ExperimentResult) -> None:
    assert not expected.failed and not got.failed
    pd.testing.assert_frame_equal(expected.runs, got.runs, check_exact=True)
    pd.testing.assert_frame_equal(expected.summary, got.summary, check_exact=True)


def test_the_study_is_a_real_grid(serial: ExperimentResult) -> None:
    # guards the comparisons below: 8 runs, and the variant and factor change the numbers
    runs = serial.runs
    assert len(runs) == 2 * 3 * 2
    assert sorted(runs["sellers.count"].unique()) == [20, 30, 40]
    dso = runs.groupby("variant")["cash_cycle.factory/fuchun.dso_days"].mean()
    assert dso["credit"] > dso["voucher"]
    assert runs.groupby("sellers.count")["orders.placed"].sum().is_monotonic_increasing


@pytest.mark.parametrize("jobs", [1, 2])
def test_processes_match_serial(study: Experiment, serial: ExperimentResult, jobs: int) -> None:
    assert_identical(serial, run_on(Processes(jobs), study))


@pytest.mark.slow
def test_dask_local_cluster_matches_serial(study: Experiment, serial: ExperimentResult) -> None:
    # without distributed this skips, except under CI=true, where Dask() fails with its message
    if importlib.util.find_spec("distributed") is None and os.environ.get("CI") != "true":
        pytest.skip('distributed is not installed: pip install -e ".[dask]"')
    # a real LocalCluster: its worker processes are spawned, not forked, so they import
    # flexsim afresh, each with its own hash seed
    runner = Dask("local", 2)
    assert runner.workers == 2
    assert_identical(serial, run_on(runner, study))


def short_mm1() -> flexsim.Scenario:
    return flexsim.load_builtin("mm1", {"horizon_days": 300, "warmup_days": 20})


def test_a_worker_writes_the_tables_and_sends_home_kpis(tmp_path: Path) -> None:
    scenario, seed = short_mm1(), 3
    folder = tmp_path / "run"
    runner = Processes(1)
    try:
        [outcome] = list(runner.run([Task(0, 0, seed, scenario, tables_dir=str(folder))]))
    finally:
        runner.close()
    assert outcome.error == ""
    # home: one flat row of numbers (and names), no table
    assert all(isinstance(v, int | float | str | None) for v in outcome.kpis.values())
    assert outcome.series == {}
    # the worker wrote the run's whole results folder, the same run as here
    assert (folder / "manifest.json").is_file()
    direct = flexsim.run(scenario, seed).tables["orders"]
    written = read_tables(folder)["orders"]
    assert written["order_id"].tolist() == direct["order_id"].tolist()
    kept = metrics.kpi_row(json.loads((folder / "kpis.json").read_text("utf-8")))
    assert kept.keys() == outcome.kpis.keys()
    assert kept["orders.placed"] == outcome.kpis["orders.placed"] == len(direct)


def fails_on_one_seed(result: flexsim.RunResult) -> float:
    """A measure that breaks on one seed (module-level, so that it pickles to a worker)."""
    if result.seed == FAILING_SEED:
        raise ValueError("no measure for this seed")
    return float(len(result.tables["orders"]))


def test_a_run_that_raises_is_recorded_and_the_others_go_on() -> None:
    experiment = experiment_from(short_mm1(), {}, replications=4)
    runner = Processes(2)
    try:
        result = run_experiment(experiment, runner, measures={"orders": fails_on_one_seed})
    finally:
        runner.close()
    [failed] = result.failed
    assert failed.seed == FAILING_SEED and failed.kpis == {}
    assert failed.error.startswith("ValueError: no measure for this seed (test_backends.py:")
    assert result.runs["seed"].tolist() == [1, 3, 4]
    assert (result.runs["orders"] == result.runs["orders.placed"]).all()
    assert result.value("base", "utilisation.plant.line.busy_of_open", "n") == 3
