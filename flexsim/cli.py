"""Command line: `flexsim run | compare | experiment | check | scenarios | schema`; the only
module that prints.

Bad input (a scenario file, a --set, an output folder) ends with one paragraph on stderr and
exit code 2, never a traceback. SIGINT and SIGTERM end any command with one line on stderr and
exit code 130 or 143 (128 + the signal's number), also without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pandas as pd
from tqdm import tqdm

from flexsim import experiment, metrics, results, stats
from flexsim.experiment import output as experiment_output
from flexsim.experiment.design import ExperimentFile, check_runs
from flexsim.experiment.runner import describe
from flexsim.limits import MAX_JOBS_PER_CORE, MAX_PROBLEMS, MAX_REPLICATIONS
from flexsim.outfolder import OutFolderError, OutputFolder
from flexsim.run import Runaway, RunResult, run
from flexsim.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    ScenarioError,
    builtin_names,
    json_schema,
    load,
    load_builtin,
    parse_assignments,
)

FAILED = 1  # some runs of an experiment raised
BAD_INPUT = 2
WIDE = 10  # KPI tables with more columns than this print transposed


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
        except (ScenarioError, UsageError) as error:
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
    run_p.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
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
    exp_p.add_argument(
        "--resume", action="store_true", help="go on from what a stopped run left in DIR.partial/"
    )
    exp_p.add_argument(
        "--series", action="store_true", help="keep each run's daily cash in DIR/series/"
    )
    exp_p.add_argument(
        "--tables", action="store_true", help="keep each run's results folder in DIR/tables/"
    )
    _jobs_options(exp_p)
    exp_p.set_defaults(command=_experiment)
    check_p = sub.add_parser("check", help="validate a scenario or experiment file")
    check_p.add_argument("scenario", help="a scenario file, a built-in name or an experiment file")
    check_p.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE"
    )
    check_p.set_defaults(command=_check)
    sub.add_parser("scenarios", help="list the built-in scenarios").set_defaults(command=_scenarios)
    schema_p = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema_p.add_argument("--experiment", action="store_true", help="of experiment files instead")
    schema_p.set_defaults(command=_schema)
    return parser


def _overwrite_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the results folder at --out DIR whole"
    )


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
        discount = scenario.finance.discount_rate
        kpis = metrics.kpis(result.tables, scenario.warmup_h, scenario.horizon_h, discount)
        print(render(result, kpis))
        if folder is not None:
            try:
                results.write(result, kpis, folder.path, str(args.scenario), overrides)
            except OSError as error:
                raise UsageError(f"--out {args.out}: cannot write results ({error})") from None
    if folder is not None:
        print(f"\nwrote {folder.path}/ (tables, kpis.json, scenario.json, manifest.json)")
    return 0


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
    if args.out is not None:
        raise UsageError("--out writes one run's tables; with --replications use `flexsim compare`")
    replications = _replications(args.replications)
    plan = experiment.experiment_from(scenario, {}, replications=replications, seed=args.seed)
    result = _execute(plan, args, None)
    runs = result.runs
    columns = [c for c in runs.columns if "." in c and pd.api.types.is_numeric_dtype(runs[c])]
    summary = stats.summarise(runs, plan.baseline, columns)
    first = args.seed
    header = (
        f"flexsim · scenario {scenario.name} · {len(result.runs)} replications, seeds {first} … "
        f"{first + len(result.runs) - 1} · {scenario.horizon_days:g} days, measured from day "
        f"{scenario.warmup_days:g} · {result.wall_s:.1f} s · each KPI: mean ± half-width of its "
        "95 % interval"
    )
    print(header + "\n\n" + _tables(scenario, _nested(summary)))
    if result.failed:
        print(f"flexsim: {RunsFailed(result)}", file=sys.stderr)
        return FAILED
    return 0


def _compare(args: argparse.Namespace) -> int:
    variants: dict[str, dict[str, Any]] = {experiment.BASE: {}}
    for name, *assignments in args.variants:
        if name in variants or name == experiment.BASE:
            raise UsageError(f"--variant {name}: the name is taken; give each variant its own")
        variants[name] = parse_assignments(assignments)
    if len(variants) == 1:
        raise UsageError("compare needs at least one --variant NAME KEY=VALUE …")
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
    if args.resume and args.out is None:
        raise UsageError("--resume goes on in a results folder: give it with --out DIR")
    plan = experiment.load_experiment(args.file)
    return _run_experiment(plan, args, args.out)


def _run_experiment(plan: experiment.Experiment, args: argparse.Namespace, out: str | None) -> int:
    """Run an experiment into its --out folder (all or nothing) and print the comparison."""
    resume = getattr(args, "resume", False)
    try:
        folder = OutputFolder(out, args.overwrite, resume) if out is not None else None
        if folder is not None:
            folder.claim()
    except OutFolderError as error:
        raise UsageError(f"--out {shlex.quote(out or '')}: {error}") from None
    try:
        if folder is not None:
            experiment_output.start(folder.path, plan, resume)
        result = _execute(plan, args, folder)
        if folder is not None:
            experiment_output.write(folder.path, result, _backend_name(args), args.jobs or 0)
        print(_comparison(plan, result))
        if result.failed:
            raise RunsFailed(result)
    except BaseException as error:
        if folder is not None:
            kept = folder.abandon(f"{type(error).__name__}: {error}".removesuffix(": "))
            error.add_note(f"partial results kept in {kept}/ (--resume goes on from them)")
        if isinstance(error, RunsFailed):
            print(f"flexsim: {error}{_notes(error)}", file=sys.stderr)
            return FAILED
        raise
    if folder is not None:
        try:
            folder.commit()
        except OutFolderError as error:
            raise UsageError(f"--out {shlex.quote(out or '')}: {error}") from None
        print(f"\nwrote {folder.path}/ (runs.csv, summary.csv, summary.md, manifest.json)")
    return 0


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
    print(summary(scenario))
    _warn_short_warmup(scenario)
    return 0


def _warn_short_warmup(scenario: Scenario) -> None:
    longest = scenario.longest_term_days()
    if scenario.warmup_days < longest:
        print(
            f"flexsim: note: warmup_days ({scenario.warmup_days:g}) is shorter than the longest "
            f"payment term ({longest:g} days): receivables in the measured window have not "
            "reached steady state, so DSO and CCC are biased low.",
            file=sys.stderr,
        )


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


def summary(scenario: Scenario) -> str:
    """One paragraph saying what a scenario contains."""
    lines = sum(len(f.lines) for f in scenario.factories)
    customers = sum(c.count for c in scenario.customers)
    return (
        f"Scenario '{scenario.name}' is valid: {len(scenario.factories)} factory(ies) with "
        f"{lines} line(s), {customers} order-stream customer(s), {_sellers(scenario)}, "
        f"starting {scenario.start_date} "
        f"for {scenario.horizon_days:g} days with a {scenario.warmup_days:g}-day warm-up; "
        f"MOQ {scenario.channels.ecommerce.moq} e-commerce, {scenario.channels.offline.moq} "
        f"offline; money in {scenario.currency}. {scenario.description}".rstrip()
    )


def _sellers(scenario: Scenario) -> str:
    sellers = scenario.sellers
    if not sellers.count:
        return "no sellers"
    launches = (
        sellers.count
        * sellers.launches_per_week
        * sellers.share_at_factory.expectation
        * sellers.size.expectation
    )
    return (
        f"{sellers.count} seller(s) ({sellers.sample_only_share:.0%} sample-only) launching "
        f"about {launches:.3g} items a week at the factories"
    )


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
    """The KPI tables, numbers or text (mean ± half-width)."""
    counts = ", ".join(f"{k} {v}" for k, v in kpis["orders"].items())
    return "\n".join(
        [
            "Lead time in hours (orders placed after the warm-up and finished, placed → finished)",
            _frame(kpis["lead_time"], "kind"),
            "",
            "Line time shares (of calendar time; busy_of_open = processing + changeover over "
            "open; overtime in hours)",
            _frame(kpis["utilisation"], "line"),
            "",
            *_booked(kpis),
            f"Orders at the horizon: {counts}",
            "",
            "Cash conversion cycle of each factory, the sellers together and the platform "
            f"(days; money in {scenario.currency}; CCC = DIO + DSO - DPO from time-weighted "
            "balances; the platform's receivables are its voucher float)",
            _frame(kpis["cash_cycle"], "party"),
            "",
            "Sellers (all together, after the warm-up)",
            _frame({"sellers": kpis["sellers"]}, ""),
            "",
            "Sellers per factory (who asked for a sample after the warm-up; shares who ordered)",
            _frame(kpis["seller_factories"], "factory"),
        ]
    )


def _nested(summary: pd.DataFrame) -> dict[str, Any]:
    """A summary's means ± half-widths in the nested shape of `metrics.kpis`, as text."""
    nested: dict[str, Any] = {section: {} for section in metrics.SECTIONS}
    for row in summary.to_dict(orient="records"):
        section, key, kpi = metrics.split_kpi_name(str(row["kpi"]))
        mean, half_width = float(row["mean"]), float(row["half_width"])
        text = "n/a" if math.isnan(mean) else _number(mean)
        if not math.isnan(half_width):
            text += f" ± {_number(half_width)}"
        (nested[section].setdefault(key, {}) if key else nested[section])[kpi] = text
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
        f", then more until relative half-width ≤ {sequential.target:g} (at most {sequential.max})"
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


def _backend_name(args: argparse.Namespace) -> str:
    if args.dask:
        return f"dask {args.dask}"
    return "serial" if args.jobs == 1 else "processes"


def _progress(bar: Any) -> experiment.runner.Progress:
    def update(done: int, planned: int) -> None:
        bar.total = planned
        bar.n = done
        bar.refresh()

    return update


def _booked(kpis: dict[str, Any]) -> list[str]:
    """The booked shares of lines under capacity booking, if any."""
    if not kpis["capacity"]:
        return []
    title = "Booked share of open capacity (published daily; the next 7 days, the whole horizon)"
    return [title, _frame(kpis["capacity"], "line"), ""]


def _frame(rows: dict[str, dict[str, Any]], label: str, tall: bool = False) -> str:
    if not rows:
        return "  (none)"
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = label
    if tall or len(frame.columns) > WIDE:  # long rows read better standing up
        frame = frame.T
    return frame.to_string(float_format=_number)


def _number(x: float) -> str:
    """Counts and money without decimals, shares and short times with three."""
    if x == 0:
        return "0"  # also -0.0
    if abs(x) > 1 and float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:,.1f}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
