"""Experiment output: the results folder of an experiment and the comparison table it prints.

DIR/experiment.json   the experiment's digest, written first: --resume checks it
DIR/runs/             one JSON file per finished run, written as each completes
DIR/runs.csv          one row per design point × replication (factor and KPI columns)
DIR/summary.csv       tidy: one row per cell × design point × KPI
DIR/summary.md        the comparison table as printed
DIR/manifest.json     what made the results, written last
DIR/series/, tables/  each run's daily cash (--series), each run's results (--tables)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from flexsim.experiment.design import Experiment, ExperimentError
from flexsim.experiment.runner import ExperimentResult, manifest
from flexsim.results import write_text

STARTED = "experiment.json"


def start(folder: Path, experiment: Experiment, resume: bool) -> None:
    """Record which experiment fills `folder`; when resuming, refuse a folder another
    experiment (or another version of the file) started."""
    path = folder / STARTED
    if resume and path.exists():
        started = json.loads(path.read_text("utf-8"))
        if started["digest"] != experiment.digest:
            raise ExperimentError(
                f"--resume: {folder} was started by another version of the experiment "
                f"({started['source']}, sha256 {started['digest'][:12]}…, now "
                f"{experiment.digest[:12]}…); run it into a new folder"
            )
        return
    text = json.dumps({"source": experiment.source, "digest": experiment.digest}, indent=2)
    write_text(path, text + "\n")


def write(folder: Path, result: ExperimentResult, backend: str, workers: int) -> None:
    """runs.csv, summary.csv, summary.md and, last, manifest.json."""
    write_text(folder / "runs.csv", result.runs.to_csv(index=False))
    write_text(folder / "summary.csv", result.summary.to_csv(index=False))
    write_text(folder / "summary.md", markdown(result) + "\n")
    text = json.dumps(manifest(result, backend, workers), indent=2, default=str)
    write_text(folder / "manifest.json", text + "\n")


def markdown(result: ExperimentResult) -> str:
    """The comparison as a markdown table: per KPI and design point, the mean with its 95 %
    interval, and the paired difference against the baseline with its interval and verdict."""
    summary = result.summary
    if summary.empty:
        return "(no finished runs)"
    factors = [c for c in summary.columns if c in result.experiment.factor_keys]
    head = [
        "KPI",
        *factors,
        "variant",
        "n",
        "mean [95 % CI]",
        "difference vs baseline [95 % CI]",
        "verdict",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary.to_dict(orient="records"):
        baseline = row["verdict"] == "baseline"
        difference = _interval(row["diff_mean"], row["diff_low"], row["diff_high"])
        cells = [
            f"`{row['kpi']}`",
            *(str(row[f]) for f in factors),
            str(row["variant"]),
            str(row["n"]),
            _interval(row["mean"], row["low"], row["high"]),
            "" if baseline else difference,
            str(row["verdict"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _interval(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return _number(mean)
    return f"{_number(mean)} [{_number(low)}, {_number(high)}]"


def _number(x: float) -> str:
    """Four significant digits, thousands separated."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"
