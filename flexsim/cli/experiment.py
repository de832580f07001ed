"""`flexsim compare` and `flexsim experiment`: variants or an experiment file run over common
random numbers on a backend, into an all-or-nothing, resumable results folder."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from flexsim import experiment
from flexsim.cli.exits import FAILED, UsageError, _notes
from flexsim.cli.folders import _progress, _write_report
from flexsim.cli.options import (
    _backend,
    _check_jobs,
    _check_report,
    _check_resume,
    _check_table_format,
    _replications,
)
from flexsim.experiment import output as experiment_output
from flexsim.experiment.design import check_runs
from flexsim.experiment.runner import describe
from flexsim.limits import MAX_PROBLEMS
from flexsim.outfolder import OutFolderError, OutputFolder
from flexsim.scenario import parse_assignments


def _compare(args: argparse.Namespace) -> int:
    _check_resume(args)
    variants: dict[str, dict[str, Any]] = {experiment.BASE: {}}
    for name, *assignments in args.variants:
        if name in variants or name == experiment.BASE:
            raise UsageError(f"--variant {name}: the name is taken; give each variant its own")
        variants[name] = parse_assignments(assignments)
    if len(variants) == 1:
        raise UsageError("compare needs at least one --variant NAME KEY=VALUE …")
    _check_report(args, None)
    settings: dict[str, Any] = {
        "replications": _replications(args.replications),
        "seed": args.seed,
        "set": parse_assignments(args.assignments),
    }
    if args.kpis:
        settings["kpis"] = args.kpis
    plan = experiment.experiment_from(args.scenario, variants, **settings)
    return _run_experiment(plan, args, args.out)


def _experiment(args: argparse.Namespace) -> int:
    _check_report(args, None)
    _check_resume(args)
    _check_table_format(args, args.tables, "with --tables (each run's results folder)")
    plan = experiment.load_experiment(args.file, parse_assignments(args.assignments))
    return _run_experiment(plan, args, args.out)


def _run_experiment(
    plan: experiment.Experiment,
    args: argparse.Namespace,
    out: str | None,
    show: Callable[[experiment.ExperimentResult], str] | None = None,
) -> int:
    """Run an experiment into its --out folder (all or nothing) and print it: the comparison
    table, or what `show` makes of the result."""
    resume = getattr(args, "resume", False)
    folder = _claim(out, args.overwrite, resume)
    try:
        if folder is not None:
            experiment_output.start(folder.path, plan, resume)
    except experiment.ExperimentError:
        if folder is not None:
            folder.release()  # refused: what is in the partial folder stays as it was
        raise
    try:
        result = _execute(plan, args, folder)
        if folder is not None:
            experiment_output.write(folder.path, result)
            if getattr(args, "report", False):
                _write_report(folder.path, args)
        print(show(result) if show is not None else _comparison(plan, result))
        if result.failed:
            raise RunsFailed(result)
    except BaseException as error:
        if folder is not None:
            kept = folder.abandon(f"{type(error).__name__}: {error}".removesuffix(": "))
            more = " (--resume goes on from them)" if hasattr(args, "resume") else ""
            error.add_note(f"partial results kept in {kept}/{more}")
        if isinstance(error, RunsFailed):
            print(f"flexsim: {error}{_notes(error)}", file=sys.stderr)
            return FAILED
        raise
    if folder is not None:
        try:
            folder.commit()
        except OutFolderError as error:
            raise UsageError(f"--out {shlex.quote(out or '')}: {error}") from None
        written = "runs.csv, summary.csv, summary.md, scenario.json, manifest.json"
        written += ", report.html, figures/" if args.report else ""
        print(f"\nwrote {folder.path}/ ({written})")
    return 0


def _claim(out: str | None, overwrite: bool, resume: bool) -> OutputFolder | None:
    """The --out folder of an experiment, claimed before any run (None without --out)."""
    if out is None:
        return None
    try:
        folder = OutputFolder(out, overwrite, resume, resumable=True)
        folder.claim()
    except OutFolderError as error:
        raise UsageError(f"--out {shlex.quote(out)}: {error}") from None
    return folder


def _execute(
    plan: experiment.Experiment, args: argparse.Namespace, folder: OutputFolder | None
) -> experiment.ExperimentResult:
    """Run the plan on the backend the options name, with a progress bar on a terminal."""
    _check_jobs(args)
    replications = getattr(args, "replications", None)
    if replications is not None:
        check_runs(len(plan.points), _replications(replications), "--replications")
    runner = _backend(args)
    bar = None
    if not args.quiet and sys.stderr.isatty():
        bar = tqdm(total=0, unit="run", desc=plan.settings.name, file=sys.stderr)
    try:
        return experiment.run_experiment(
            plan,
            runner,
            folder=folder.path if folder is not None else None,
            replications=replications,
            series=getattr(args, "series", False),
            tables=getattr(args, "tables", False),
            table_format=getattr(args, "table_format", None) or "csv",
            progress=_progress(bar) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
        runner.close()


def _comparison(plan: experiment.Experiment, result: experiment.ExperimentResult) -> str:
    table = experiment_output.comparison(result)
    first = plan.settings.seed
    replications = result.runs["replication"].nunique() if len(result.runs) else 0
    header = (
        f"flexsim · {plan.settings.name} · base scenario {plan.points[0].scenario.name} · "
        f"{len(plan.points)} design point(s) × {replications} replications "
        f"(seeds {first} …, common random numbers) · baseline {plan.baseline} · "
        f"{result.wall_s:.1f} s"
    )
    if result.warmup is not None:
        header += f" · warm-up {result.warmup.point} days (MSER-5 by variant: "
        header += ", ".join(f"{k} {v}" for k, v in result.warmup.by_variant.items()) + ")"
    if table.empty:
        return header + "\n\n(no finished runs)"
    return header + "\n\n" + table.to_string(index=False)


class RunsFailed(Exception):
    """Some runs of an experiment raised; the others finished."""

    def __init__(self, result: experiment.ExperimentResult) -> None:
        failed = result.failed
        names = [describe(result.experiment, o) + f": {o.error}" for o in failed[:MAX_PROBLEMS]]
        more = f"; and {len(failed) - len(names):,} more" if len(failed) > len(names) else ""
        super().__init__(f"{len(failed):,} run(s) failed: " + "; ".join(names) + more)
