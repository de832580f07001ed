"""`flexsim run`: one run (or its replications) of a scenario, its KPI tables printed and,
with --out, its results folder written."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import experiment, metrics, report, results, stats
from flexsim.cli.exits import UsageError
from flexsim.cli.experiment import _run_experiment
from flexsim.cli.folders import _print_audit, _write_report
from flexsim.cli.options import _check_report, _check_table_format, _replications
from flexsim.cli.scenarios import _warn_short_warmup
from flexsim.outfolder import OutFolderError, OutputFolder
from flexsim.run import Runaway, RunResult, run
from flexsim.scenario import Scenario, load, parse_assignments


def _run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    overrides = parse_assignments(args.assignments)
    scenario = load(args.scenario, overrides)
    _check_report(args, scenario)
    writes = args.out is not None and args.replications is None
    table_format = _check_table_format(args, writes, "by --out DIR of one run (no --replications)")
    if args.audit and not writes:
        raise UsageError(
            "--audit checks the results folder of one run: give --out DIR (and no --replications)"
        )
    _warn_short_warmup(scenario)
    if args.replications is not None:
        return _run_replicated(args, scenario)
    with _out_folder(args.out, args.overwrite) as folder:
        try:
            result = run(scenario, args.seed)
        except Runaway as error:
            if folder is not None and error.result is not None:  # kept in the partial folder
                results.write_partial(error.result, folder.path, table_format)
            raise
        kpis = metrics.scenario_kpis(result.tables, scenario)
        print(render(result, kpis))
        if args.kpis_file is not None:
            _write_kpis(args.kpis_file, pd.DataFrame([{"seed": args.seed} | metrics.kpi_row(kpis)]))
        if folder is not None:
            try:
                results.write(
                    result, kpis, folder.path, str(args.scenario), overrides, table_format
                )
            except OSError as error:
                raise UsageError(f"--out {args.out}: cannot write results ({error})") from None
            if args.report:
                _write_report(folder.path, args)
    if folder is not None:
        written = "tables, kpis.json, scenario.json, manifest.json"
        written += ", report.html, figures/" if args.report else ""
        print(f"\nwrote {folder.path}/ ({written})")
        if args.audit:
            print()
            return _print_audit(folder.path)
    return 0


def _write_kpis(name: str, frame: pd.DataFrame) -> None:
    """The KPIs as flat rows (seed, then the metrics.kpi_row names): a JSON list of objects
    (null for a KPI that cannot be computed) or a CSV table (an empty field)."""
    if name.endswith(".csv"):
        text = frame.to_csv(index=False)
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        text = json.dumps(records, indent=2) + "\n"
    try:
        results.write_text(Path(name), text)
    except OSError as error:
        raise UsageError(f"--kpis {name}: cannot write it ({error.strerror})") from None


@contextmanager
def _out_folder(out: str | None, overwrite: bool) -> Iterator[OutputFolder | None]:
    """The --out folder, claimed before the block and committed after it (None without
    --out); its refusals become usage errors naming --out."""
    if out is None:
        yield None
        return
    try:
        with OutputFolder(out, overwrite) as folder:
            yield folder
    except OutFolderError as error:
        raise UsageError(f"--out {shlex.quote(out)}: {error}") from None


def _run_replicated(args: argparse.Namespace, scenario: Scenario) -> int:
    """`run --replications N`: every KPI as mean ± half-width of its 95 % interval."""
    replications = _replications(args.replications)
    plan = experiment.experiment_from(scenario, {}, replications=replications, seed=args.seed)
    return _run_experiment(plan, args, args.out, lambda result: _replicated(result, args))


def _replicated(result: experiment.ExperimentResult, args: argparse.Namespace) -> str:
    """The KPI tables of `run`, each KPI as mean ± half-width over the replications; with
    --kpis, each replication's KPIs written as one row."""
    runs, plan = result.runs, result.experiment
    scenario, first = plan.points[0].scenario, plan.settings.seed
    columns = [c for c in runs.columns if "." in c and pd.api.types.is_numeric_dtype(runs[c])]
    if args.kpis_file is not None:
        _write_kpis(args.kpis_file, runs[["seed", *columns]])
    summary = stats.summarise(runs, plan.baseline, columns)
    header = (
        f"flexsim · scenario {scenario.name} · {len(runs)} replications, seeds {first} … "
        f"{first + len(runs) - 1} · {scenario.horizon_days:g} days, measured from day "
        f"{scenario.warmup_days:g} · {result.wall_s:.1f} s · each KPI: mean ± half-width of its "
        "95 % interval"
    )
    return header + "\n\n" + _tables(scenario, _nested(summary))


def render(result: RunResult, kpis: dict[str, Any]) -> str:
    """The KPI tables of one run as text."""
    scenario = result.scenario
    header = (
        f"flexsim · scenario {scenario.name} · seed {result.seed} · "
        f"{scenario.horizon_days:g} days, measured from day {scenario.warmup_days:g} · "
        f"{result.wall_s:.2f} s"
    )
    return header + "\n\n" + _tables(scenario, kpis)


def _tables(scenario: Scenario, kpis: dict[str, Any]) -> str:
    """The KPI tables of report.kpi_tables as text, then which were left out and why."""
    tables, left_out = report.kpi_tables(kpis, scenario)
    blocks = [f"{table.title}\n{report.text_table(table)}" for table in tables]
    return "\n\n".join([*blocks, left_out] if left_out else blocks)


def _nested(summary: pd.DataFrame) -> dict[str, Any]:
    """A summary's means and half-widths in the nested shape of `metrics.kpis`."""
    nested: dict[str, Any] = {section: {} for section in metrics.SECTIONS}
    for row in summary.to_dict(orient="records"):
        section, key, kpi = metrics.split_kpi_name(str(row["kpi"]))
        value = report.Estimate(float(row["mean"]), float(row["half_width"]))
        (nested[section].setdefault(key, {}) if key else nested[section])[kpi] = value
    return nested
