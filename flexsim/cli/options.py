"""The options several commands share: their arguments on the parser, and the checks of their
values made before anything runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from flexsim import experiment, report, results
from flexsim.cli.exits import UsageError
from flexsim.limits import MAX_JOBS_PER_CORE, MAX_REPLICATIONS
from flexsim.plots import FORMATS
from flexsim.scenario import Scenario

KPI_FILES = (".json", ".csv")  # what `run --kpis FILE` writes


def _overwrite_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the results folder at --out DIR whole"
    )


def _set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """--set KEY=VALUE, repeatable, into `assignments`."""
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE", help=help
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
        "--format",
        type=_figure_format,
        choices=FORMATS,
        default="png",
        help="the figures' format (default: png)",
    )


def _figure_format(text: str) -> str:
    """--format names the figures' format; a table format gets pointed to --table-format."""
    if text in results.TABLE_FORMATS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is a table format, and --format the figures' ({', '.join(FORMATS)}): "
            f"write the tables as {text} with --table-format {text}"
        )
    return text


def _table_format_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--table-format", choices=list(results.TABLE_FORMATS), metavar="{csv,parquet}", help=help
    )


def _check_table_format(args: argparse.Namespace, writes_tables: bool, where: str) -> str:
    """The --table-format asked (csv when none), refused before anything runs when no tables
    are written or Parquet cannot be written here."""
    asked = getattr(args, "table_format", None)
    if asked is None:
        return "csv"
    if not writes_tables:
        raise UsageError(f"--table-format {asked}: the tables are only written {where}")
    try:
        results.check_table_format(asked)
    except results.TableFormatError as error:
        raise UsageError(f"--table-format {asked}: {error}") from None
    return str(asked)


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


def _check_jobs(args: argparse.Namespace) -> None:
    most = MAX_JOBS_PER_CORE * (os.cpu_count() or 1)
    if args.jobs is not None and not 1 <= args.jobs <= most:
        raise UsageError(
            f"--jobs must be from 1 to {most} ({MAX_JOBS_PER_CORE} per core), got {args.jobs}"
        )


def _backend(args: argparse.Namespace) -> experiment.Backend:
    """The backend --jobs and --dask name; a scheduler that cannot be reached is bad input."""
    try:
        return experiment.backend(args.jobs, args.dask)
    except (RuntimeError, OSError, TimeoutError) as error:
        raise UsageError(f"--dask {args.dask}: {error}") from None


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


def _check_resume(args: argparse.Namespace) -> None:
    if args.resume and args.out is None:
        raise UsageError("--resume goes on in a results folder: give it with --out DIR")


def _replications(count: int) -> int:
    if not 2 <= count <= MAX_REPLICATIONS:
        raise UsageError(
            f"--replications must be at least 2 (for an interval) and at most "
            f"{MAX_REPLICATIONS:,}, got {count}"
        )
    return count
