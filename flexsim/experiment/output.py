"""Experiment output: the results folder of an experiment and the comparison table it prints.

DIR/experiment.json   the experiment's digest, written first: --resume checks it
DIR/runs/             one JSON file per finished run, written as each completes
DIR/runs.csv          one row per design point × replication (factor and KPI columns)
DIR/summary.csv       tidy: one row per cell × design point × KPI
DIR/summary.md        the comparison table as printed
DIR/scenario.json     the base scenario (with the experiment's `set`, before any variant or
                      factor), as a run folder has it
DIR/manifest.json     what made the results, written last
DIR/series/, tables/  each run's daily cash (--series), each run's results (--tables)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from flexsim.experiment.design import Experiment
from flexsim.experiment.errors import ExperimentError
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


def write(folder: Path, result: ExperimentResult) -> None:
    """runs.csv, summary.csv, summary.md, scenario.json and, last, manifest.json."""
    write_text(folder / "runs.csv", result.runs.to_csv(index=False))
    write_text(folder / "scenario.json", result.experiment.base.model_dump_json(indent=2))
    write_text(folder / "summary.csv", result.summary.to_csv(index=False))
    write_text(folder / "summary.md", markdown(result) + "\n")
    text = json.dumps(manifest(result), indent=2, default=str)
    write_text(folder / "manifest.json", text + "\n")


def comparison(result: ExperimentResult) -> pd.DataFrame:
    """The summary as people read it: per KPI, each design point's mean with its 95 %
    interval, and its paired difference against the baseline with its interval and verdict."""
    summary = result.summary
    factors = [c for c in summary.columns if c in result.experiment.factor_keys]
    rows = []
    for row in summary.to_dict(orient="records"):
        difference = _interval(row["diff_mean"], row["diff_low"], row["diff_high"])
        rows.append(
            {"KPI": row["kpi"]}
            | {factor: row[factor] for factor in factors}
            | {
                "variant": row["variant"],
                "n": row["n"],
                "mean [95 % CI]": _interval(row["mean"], row["low"], row["high"]),
                "difference vs baseline [95 % CI]": (
                    "" if row["verdict"] == "baseline" else difference
                ),
                "verdict": row["verdict"],
            }
        )
    return pd.DataFrame(rows)


def markdown(result: ExperimentResult) -> str:
    """The comparison as a markdown table."""
    table = comparison(result)
    if table.empty:
        return "(no finished runs)"
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        cells = [f"`{row[0]}`", *(str(cell) for cell in row[1:])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _interval(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return significant(mean)
    return f"{significant(mean)} [{significant(low)}, {significant(high)}]"


def significant(x: float) -> str:
    """Four significant digits, thousands separated (the comparison's numbers, also in reports)."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"
