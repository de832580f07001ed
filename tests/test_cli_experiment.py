"""The experiment commands as a user runs them: `flexsim compare`, `flexsim experiment` with its
results folder (all or nothing, resumable), `flexsim run --replications`, `check` and `schema`
of experiment files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flexsim import cli, experiment
from flexsim.experiment import execute

STUDY = """\
[experiment]
name = "study"
scenario = "mm1"
set = { "horizon_days" = 600, "warmup_days" = 50 }
replications = 3
kpis = ["lead_time.offline.mean_h", "utilisation.plant.line.processing"]

[factors]
"customers.poisson.interarrival_days.mean" = [1.25, 1.5]

[variants.base]

[variants.slower]
"factories.plant.lines.line.unit_time_h.mean" = 27.0

[variants.slower.factors]
"customers.poisson.due_days" = [500, 1000, 2000]
"""
SLOWER = "factories.plant.lines.line.unit_time_h.mean=27"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(STUDY, encoding="utf-8")
    return path


def test_compare_prints_intervals_and_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", "mm1", "--variant", "slower", SLOWER, "--set", "horizon_days=2000"]
    assert cli.main([*args, "--set", "warmup_days=100", "--replications", "3", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "baseline base" in out and "common random numbers" in out
    row = next(line for line in out.splitlines() if "utilisation.plant.line.busy_of_open" in line
               and "slower" in line)  # fmt: skip
    assert row.rstrip().endswith("higher"), row
    assert "[" in row and "]" in row  # an interval


@pytest.mark.slow  # runs an experiment: 7-10 s
def test_an_experiment_writes_its_folder_once(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2 global levels × (1 + 3) points × 3 replications = 24 runs; a second run into the same
    folder is refused unless --overwrite."""
    out = tmp_path / "out"
    assert cli.main(["experiment", str(study), "--out", str(out), "--jobs", "2"]) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 24 and len(list((out / "runs").glob("*.json"))) == 24
    assert {"variant", "seed", "customers.poisson.due_days"} <= set(runs.columns)
    assert not any("wall" in column for column in runs.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 * 4 * 2  # cells × points per cell × KPIs
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications"] == 3 and manifest["failed"] == []
    assert (manifest["backend"], manifest["workers"]) == ("processes", 2)
    assert "| KPI |" in (out / "summary.md").read_text()
    capsys.readouterr()
    assert cli.main(["experiment", str(study), "--out", str(out), "--jobs", "1"]) == cli.BAD_INPUT
    assert "--overwrite" in capsys.readouterr().err
    again = ["experiment", str(study), "--out", str(out), "--jobs", "1", "--overwrite"]
    assert cli.main(again) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), runs)  # serial = processes


def fail_on_seed_two(scenario: Any, seed: int = 1) -> Any:
    """flexsim.run, except that the run of seed 2 raises."""
    if seed == 2:
        raise RuntimeError("the machine caught fire")
    return REAL_RUN(scenario, seed)


REAL_RUN = execute.run


@pytest.mark.slow  # runs an experiment twice: 9-12 s
def test_failed_runs_exit_1_keep_the_rest_and_resume(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that raises is recorded and named; the others finish; the folder stays partial;
    --resume reruns only the failed runs and ends with the uninterrupted results."""
    out, whole = tmp_path / "out", tmp_path / "whole"
    assert cli.main(["experiment", str(study), "--out", str(whole), "--jobs", "1"]) == 0
    monkeypatch.setattr(execute, "run", fail_on_seed_two)
    assert cli.main(["experiment", str(study), "--out", str(out), "--jobs", "1"]) == cli.FAILED
    err = capsys.readouterr().err
    assert "8 run(s) failed" in err and "the machine caught fire" in err and "(seed 2)" in err
    assert not out.exists() and (out.parent / "out.partial" / "PARTIAL").exists()
    kept = list((out.parent / "out.partial" / "runs").glob("*.json"))
    assert len(kept) == 24  # 16 finished, 8 failed with their error
    again = ["experiment", str(study), "--out", str(out), "--jobs", "1"]
    assert cli.main(again) == cli.BAD_INPUT  # without --resume the finished runs are not lost
    assert "--resume goes on from it" in capsys.readouterr().err
    assert len(list((out.parent / "out.partial" / "runs").glob("*.json"))) == 24
    monkeypatch.setattr(execute, "run", REAL_RUN)
    assert cli.main(["experiment", str(study), "--out", str(out), "--resume", "--jobs", "1"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "runs.csv"), pd.read_csv(whole / "runs.csv"), check_exact=True
    )


def test_set_joins_the_files_set_table_and_refuses_a_key_a_variant_changes(
    study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`experiment --set` changes every design point as the file's `set` does (its horizon
    wins over the file's 600 days); a key a factor or a variant changes is refused, naming
    where, since their value would win; a different --set is another experiment to --resume."""
    out = tmp_path / "out"
    short = ["--set", "horizon_days=300", "--replications", "2", "--jobs", "1"]
    assert cli.main(["experiment", str(study), *short, "--out", str(out)]) == 0
    scenario = json.loads((out / "scenario.json").read_text())
    assert scenario["horizon_days"] == 300 and scenario["warmup_days"] == 50
    assert len(pd.read_csv(out / "runs.csv")) == 2 * 4 * 2
    for key, where in (
        ("customers.poisson.interarrival_days.mean=2", "in factors"),
        ("customers.poisson.due_days=9", "in variants.slower.factors"),
        (f"{SLOWER}.5", "in variants.slower"),
    ):
        capsys.readouterr()
        assert cli.main(["experiment", str(study), "--set", key]) == cli.BAD_INPUT
        assert f"changes this key {where}, which would win over --set" in capsys.readouterr().err
    plain = experiment.load_experiment(study)
    other = experiment.load_experiment(study, {"horizon_days": 300})
    assert plain.digest != other.digest


def test_resume_refuses_a_changed_file(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(execute, "run", fail_on_seed_two)
    assert cli.main(["experiment", str(study), "--out", str(out), "--jobs", "1"]) == cli.FAILED
    study.write_text(STUDY.replace("replications = 3", "replications = 4"), encoding="utf-8")
    capsys.readouterr()
    args = ["experiment", str(study), "--out", str(out), "--resume", "--jobs", "1"]
    assert cli.main(args) == cli.BAD_INPUT
    assert "another version of the experiment" in capsys.readouterr().err


@pytest.mark.slow
def test_a_killed_experiment_resumes_to_the_uninterrupted_results(
    study: Path, tmp_path: Path
) -> None:
    """SIGKILL a real `flexsim experiment` once some runs are kept; --resume finishes it with
    runs.csv identical to an uninterrupted run's."""
    longer = STUDY.replace('"horizon_days" = 600', '"horizon_days" = 6000')
    study.write_text(longer.replace("replications = 3", "replications = 6"), encoding="utf-8")
    out, whole = tmp_path / "out", tmp_path / "whole"
    command = [sys.executable, "-m", "flexsim.cli", "experiment", str(study), "--jobs", "1"]
    process = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL)
    runs = out.parent / "out.partial" / "runs"
    deadline = time.monotonic() + 120
    while len(list(runs.glob("*.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(runs.glob("*.json")))
    assert 5 <= done < 48, done
    subprocess.run([*command, "--out", str(out), "--resume"], check=True, capture_output=True)
    subprocess.run([*command, "--out", str(whole)], check=True, capture_output=True)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "runs.csv"), pd.read_csv(whole / "runs.csv"), check_exact=True
    )


def test_run_with_replications_prints_mean_plus_minus_half_width(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["run", "mm1", "--set", "horizon_days=600", "--set", "warmup_days=50"]
    args += ["--replications", "3", "--jobs", "1"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "3 replications, seeds 1 … 3" in out and " ± " in out


def test_check_and_schema_know_experiment_files(
    study: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", str(study)]) == 0
    out = capsys.readouterr().out
    assert "Experiment 'study' is valid" in out and "8 design point(s)" in out
    assert cli.main(["schema", "--experiment"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"experiment", "factors", "variants"} <= set(schema["properties"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "mm1"], "at least one --variant"),
        (["compare", "mm1", "--variant", "base", SLOWER], "the name is taken"),
        (["compare", "mm1", "--variant", "x", "nope.key=1"], "no key 'nope'"),
        (["compare", "mm1", "--variant", "x", SLOWER, "--replications", "1"], "at least 2"),
        (["compare", "mm1", "--variant", "x", SLOWER, "--jobs", "0"], "--jobs must be"),
        (["experiment", "missing.toml"], "cannot read the experiment file"),
        (["experiment", "mm1", "--resume"], "--resume goes on in a results folder"),
        (["compare", "mm1", "--variant", "x", SLOWER, "--resume"], "give it with --out DIR"),
    ],
)
def test_bad_experiment_input_is_one_paragraph_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(args) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_run_with_replications_writes_an_experiment_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reps"
    args = ["run", "mm1", "--set", "horizon_days=600", "--set", "warmup_days=50"]
    assert cli.main([*args, "--replications", "2", "--jobs", "1", "--out", str(out)]) == 0
    assert len(pd.read_csv(out / "runs.csv")) == 2 and (out / "summary.csv").exists()
    assert " ± " in capsys.readouterr().out
