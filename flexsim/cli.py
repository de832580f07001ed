"""Command line: `flexsim run | compare | experiment | report | audit | check | show | scenarios
| schema`; the only module that prints.

Bad input (a scenario file, a --set, an output folder) ends with one paragraph on stderr and
exit code 2, never a traceback. SIGINT and SIGTERM end any command with one line on stderr and
exit code 130 or 143 (128 + the signal's number), also without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd
from tqdm import tqdm

from flexsim import audit, experiment, metrics, report, results, stats
from flexsim.experiment import output as experiment_output
from flexsim.experiment.design import ExperimentFile, check_runs
from flexsim.experiment.runner import describe
from flexsim.limits import MAX_JOBS_PER_CORE, MAX_PROBLEMS, MAX_REPLICATIONS
from flexsim.outfolder import OutFolderError, OutputFolder
from flexsim.plots import FORMATS
from flexsim.run import DEFAULT_SEED, Runaway, RunResult, run
from flexsim.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    ScenarioError,
    builtin_names,
    builtin_text,
    json_schema,
    load,
    load_builtin,
    parse_assignments,
)

FAILED = 1  # some runs of an experiment raised, or a law of the audit does not hold
BAD_INPUT = 2
KPI_FILES = (".json", ".csv")  # what `run --kpis FILE` writes


class UsageError(Exception):
    """Bad input other than the scenario itself (an output folder, a seed)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM asked flexsim to stop. A KeyboardInterrupt, so that whatever cleans up
    after Ctrl-C (an output folder keeping its partial results) does so after SIGTERM too.

    Its one argument is the signal number: SimPy rebuilds an exception raised inside a model
    process from its arguments (`type(error)(*error.args)`), and a signal arrives anywhere."""

    def __init__(self, signum: int) -> None:
        self.signal = signal.Signals(signum)
        super().__init__(int(signum))

    def __str__(self) -> str:
        return self.signal.name


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    with _signals_raise():
        try:
            return int(args.command(args))
        except (ScenarioError, UsageError, report.ReportError, audit.AuditError) as error:
            print(f"flexsim: error: {error}{_notes(error)}", file=sys.stderr)
            return BAD_INPUT
        except BrokenPipeError:  # the reader (say `| head`) closed the pipe: nothing is wrong
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except KeyboardInterrupt as stop:
            stopped = stop.signal if isinstance(stop, Interrupted) else signal.SIGINT
            print(f"flexsim: interrupted ({stopped.name}){_notes(stop)}", file=sys.stderr)
            return 128 + stopped


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Make SIGINT and SIGTERM raise Interrupted while the block runs, unless they are ignored
    (as SIGINT is in a background job) or this is not the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = {
        signum: signal.signal(signum, _interrupt)
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler)
    }
    try:
        yield
    finally:
        for signum, handler in taken.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _notes(error: BaseException) -> str:
    """The notes added to an error (where its partial results are), to end its line."""
    return "".join(f"; {note}" for note in getattr(error, "__notes__", []))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flexsim",
        description="Simulate online sellers and the small-batch factories that make their goods.",
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    run_p = sub.add_parser("run", help="run a scenario and print its KPIs")
    run_p.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"a scenario file or a built-in name (default: {DEFAULT_SCENARIO})",
    )
    run_p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    run_p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a dotted key, VALUE as TOML (e.g. --set horizon_days=60); repeatable",
    )
    run_p.add_argument(
        "--out",
        metavar="DIR",
        help="write tables, kpis.json and manifest.json into DIR, all or nothing",
    )
    _overwrite_option(run_p)
    run_p.add_argument(
        "--replications",
        type=int,
        metavar="N",
        help="run seeds SEED … SEED + N − 1 and print each KPI as mean ± 95 %% half-width",
    )
    run_p.add_argument(
        "--kpis",
        dest="kpis_file",
        metavar="FILE",
        help="write the KPIs alone to FILE.json or FILE.csv, one flat row per run",
    )
    _report_options(run_p, gantt=True)
    _jobs_options(run_p)
    run_p.set_defaults(command=_run)
    compare_p = sub.add_parser(
        "compare", help="compare variants of a scenario over common random numbers"
    )
    compare_p.add_argument("scenario", help="a scenario file or a built-in name (variant base)")
    compare_p.add_argument(
        "--variant",
        dest="variants",
        nargs="+",
        action="append",
        default=[],
        metavar=("NAME", "KEY=VALUE"),
        help="a variant: its name, then the dotted keys it changes; repeatable",
    )
    compare_p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key in every variant",
    )
    compare_p.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        default=[],
        metavar="NAME",
        help="a flat KPI name to compare (default: headline KPIs)",
    )
    compare_p.add_argument("--replications", type=int, default=10, metavar="N")
    compare_p.add_argument("--seed", type=int, default=1, help="the first seed (default: 1)")
    compare_p.add_argument("--out", metavar="DIR", help="write the experiment's results here")
    _overwrite_option(compare_p)
    _resume_option(compare_p)
    _report_options(compare_p)
    _jobs_options(compare_p)
    compare_p.set_defaults(command=_compare)
    exp_p = sub.add_parser("experiment", help="run an experiment file")
    exp_p.add_argument("file", help="an experiment file (TOML with an [experiment] table)")
    exp_p.add_argument(
        "--replications",
        type=int,
        metavar="N",
        help="replications per design point (default: the file's)",
    )
    exp_p.add_argument("--out", metavar="DIR", help="write the results here, all or nothing")
    _overwrite_option(exp_p)
    _resume_option(exp_p)
    exp_p.add_argument(
        "--series", action="store_true", help="keep each run's daily cash in DIR/series/"
    )
    exp_p.add_argument(
        "--tables", action="store_true", help="keep each run's results folder in DIR/tables/"
    )
    _report_options(exp_p)
    _jobs_options(exp_p)
    exp_p.set_defaults(command=_experiment)
    report_p = sub.add_parser(
        "report", help="write DIR/report.html with the figures of a run or experiment folder"
    )
    report_p.add_argument("folder", metavar="DIR", help="a run or an experiment results folder")
    _format_option(report_p)
    _gantt_option(report_p)
    report_p.add_argument("--quiet", action="store_true", help="no progress bar")
    report_p.set_defaults(command=_report)
    audit_p = sub.add_parser(
        "audit", help="check the conservation laws of a run folder from its tables (exit 1: broken)"
    )
    audit_p.add_argument("folder", metavar="DIR", help="a run results folder (flexsim run --out)")
    audit_p.set_defaults(command=_audit)
    check_p = sub.add_parser("check", help="validate a scenario or experiment file")
    check_p.add_argument("scenario", help="a scenario file, a built-in name or an experiment file")
    check_p.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE"
    )
    check_p.set_defaults(command=_check)
    show_p = sub.add_parser("show", help="print a built-in scenario's TOML file")
    show_p.add_argument("scenario", help=f"a built-in name: {', '.join(builtin_names())}")
    show_p.set_defaults(command=_show)
    sub.add_parser("scenarios", help="list the built-in scenarios").set_defaults(command=_scenarios)
    schema_p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema_p.add_argument("--experiment", action="store_true", help="of experiment files instead")
    schema_p.set_defaults(command=_schema)
    return parser


def _overwrite_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the results folder at --out DIR whole"
    )


def _resume_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resume", action="store_true", help="go on from what a stopped run left in DIR.partial/"
    )


def _report_options(parser: argparse.ArgumentParser, gantt: bool = False) -> None:
    parser.add_argument(
        "--report", action="store_true", help="also write DIR/report.html and DIR/figures/"
    )
    _format_option(parser)
    if gantt:
        _gantt_option(parser)


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="png", help="the figures' format (default: png)"
    )


def _gantt_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gantt-days",
        type=_days,
        metavar="A:B",
        help=f"the Gantt strip's days of the run (default: the last {report.GANTT_DAYS})",
    )


def _days(text: str) -> tuple[float, float]:
    first, colon, last = text.partition(":")
    try:
        if not colon:
            raise ValueError
        return float(first), float(last)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected A:B, two days of the run, got {text!r}"
        ) from None


def _jobs_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="J",
        help=f"worker processes (default: one per core; at most {MAX_JOBS_PER_CORE} per core)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="a Dask scheduler's ADDRESS, or `local` for a LocalCluster",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    overrides = parse_assignments(args.assignments)
    scenario = load(args.scenario, overrides)
    _check_report(args, scenario)
    _warn_short_warmup(scenario)
    if args.replications is not None:
        return _run_replicated(args, scenario)
    with _out_folder(args.out, args.overwrite) as folder:
        try:
            result = run(scenario, args.seed)
        except Runaway as error:
            if folder is not None and error.result is not None:  # kept in the partial folder
                results.write_partial(error.result, folder.path)
            raise
        discount, channels = scenario.finance.discount_rate, scenario.channels
        window = (scenario.warmup_h, scenario.horizon_h)
        kpis = metrics.kpis(result.tables, *window, discount, channels)
        print(render(result, kpis))
        if args.kpis_file is not None:
            _write_kpis(args.kpis_file, pd.DataFrame([{"seed": args.seed} | metrics.kpi_row(kpis)]))
        if folder is not None:
            try:
                results.write(result, kpis, folder.path, str(args.scenario), overrides)
            except OSError as error:
                raise UsageError(f"--out {args.out}: cannot write results ({error})") from None
            if args.report:
                _write_report(folder.path, args)
    if folder is not None:
        written = "tables, kpis.json, scenario.json, manifest.json"
        written += ", report.html, figures/" if args.report else ""
        print(f"\nwrote {folder.path}/ ({written})")
    return 0


def _check_report(args: argparse.Namespace, scenario: Scenario | None) -> None:
    """Refuse, before anything runs, --report without --out, a --gantt-days outside the run
    and a --kpis file that cannot be written."""
    if args.report and args.out is None:
        raise UsageError("--report writes DIR/report.html into the results folder: give --out DIR")
    days = getattr(args, "gantt_days", None)
    if days is not None and scenario is not None:
        first, last = days
        if not 0 <= first < last <= scenario.horizon_days:
            raise UsageError(
                f"--gantt-days {first:g}:{last:g}: expected A:B with 0 ≤ A < B ≤ "
                f"{scenario.horizon_days:g} (the run's days)"
            )
    kpis = getattr(args, "kpis_file", None)
    if kpis is not None:
        path = Path(kpis)
        if path.suffix not in KPI_FILES:
            raise UsageError(f"--kpis {kpis}: expected a file name ending in .json or .csv")
        if not path.parent.is_dir() or path.is_dir():
            raise UsageError(f"--kpis {kpis}: no folder {path.parent} to write it in")


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


def _write_report(folder: Path, args: argparse.Namespace) -> Path:
    """DIR/report.html and DIR/figures/, with a progress bar on a terminal."""
    bar = None
    if not args.quiet and sys.stderr.isatty():
        bar = tqdm(total=0, unit="figure", desc="report", file=sys.stderr)
    try:
        return report.write(
            folder,
            args.format,
            getattr(args, "gantt_days", None),
            _progress(bar) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()


def _report(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{args.folder}: no such results folder")
    path = _write_report(folder, args)
    print(f"wrote {path} and {folder / report.FIGURES}/")
    return 0


def _audit(args: argparse.Namespace) -> int:
    findings = audit.audit(Path(args.folder))
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.holds for finding in findings) else FAILED


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


def _check_resume(args: argparse.Namespace) -> None:
    if args.resume and args.out is None:
        raise UsageError("--resume goes on in a results folder: give it with --out DIR")


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
    plan = experiment.load_experiment(args.file)
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
    most = MAX_JOBS_PER_CORE * (os.cpu_count() or 1)
    if args.jobs is not None and not 1 <= args.jobs <= most:
        raise UsageError(
            f"--jobs must be from 1 to {most} ({MAX_JOBS_PER_CORE} per core), got {args.jobs}"
        )
    replications = getattr(args, "replications", None)
    if replications is not None:
        check_runs(len(plan.points), _replications(replications), "--replications")
    try:
        runner = experiment.backend(args.jobs, args.dask)
    except (RuntimeError, OSError, TimeoutError) as error:
        raise UsageError(f"--dask {args.dask}: {error}") from None
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
            progress=_progress(bar) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
        runner.close()


def _check(args: argparse.Namespace) -> int:
    if experiment.is_experiment_file(args.scenario):
        print(_experiment_summary(experiment.load_experiment(args.scenario)))
        return 0
    scenario = load(args.scenario, parse_assignments(args.assignments))
    print(f"Scenario '{scenario.name}' is valid: {report.describe_scenario(scenario)}")
    _warn_short_warmup(scenario)
    return 0


def _warn_short_warmup(scenario: Scenario) -> None:
    longest = scenario.longest_open_days()
    if scenario.warmup_days < longest:
        print(
            f"flexsim: note: warmup_days ({scenario.warmup_days:g}) is shorter than the longest "
            f"a payment stays owed ({longest:g} days: term, then late payment or write-off): "
            "receivables and write-offs in the measured window have not reached steady state, "
            "so DSO, CCC and bad_debt are biased low (bad_debt_with_expected_loss is not).",
            file=sys.stderr,
        )


def _show(args: argparse.Namespace) -> int:
    print(builtin_text(args.scenario), end="")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    for name in builtin_names():
        scenario = load_builtin(name)
        print(f"{name:<16} {scenario.description}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    if args.experiment:
        print(json.dumps(ExperimentFile.model_json_schema(), indent=2))
    else:
        print(json_schema())
    return 0


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


def _experiment_summary(plan: experiment.Experiment) -> str:
    """One paragraph saying what an experiment file contains."""
    settings = plan.settings
    sequential = settings.sequential
    more = (
        f", then more until each half-width is ≤ {sequential.target:g} of its mean or "
        f"≤ {sequential.abs_tol:g} (at most {sequential.max})"
        if sequential
        else ""
    )
    return (
        f"Experiment '{settings.name}' is valid: base scenario {plan.points[0].scenario.name} "
        f"({plan.source}); {len(plan.variants)} variant(s) ({', '.join(plan.variants)}), "
        f"baseline {plan.baseline}; {len(plan.points)} design point(s) over "
        f"{len(plan.factor_keys)} factor(s); {settings.replications} replications each from "
        f"seed {settings.seed}{more}; warm-up: {settings.warmup}; "
        f"{len(plan.kpis)} KPI(s) summarised. {settings.description}".rstrip()
    )


class RunsFailed(Exception):
    """Some runs of an experiment raised; the others finished."""

    def __init__(self, result: experiment.ExperimentResult) -> None:
        failed = result.failed
        names = [describe(result.experiment, o) + f": {o.error}" for o in failed[:MAX_PROBLEMS]]
        more = f"; and {len(failed) - len(names):,} more" if len(failed) > len(names) else ""
        super().__init__(f"{len(failed):,} run(s) failed: " + "; ".join(names) + more)


def _replications(count: int) -> int:
    if not 2 <= count <= MAX_REPLICATIONS:
        raise UsageError(
            f"--replications must be at least 2 (for an interval) and at most "
            f"{MAX_REPLICATIONS:,}, got {count}"
        )
    return count


def _progress(bar: Any) -> experiment.runner.Progress:
    def update(done: int, planned: int) -> None:
        bar.total = planned
        bar.n = done
        bar.refresh()

    return update


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
