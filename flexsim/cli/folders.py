"""`flexsim report`, `flexsim audit` and `flexsim orderbook`: the commands on a results folder,
and the report written into one with a progress bar."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from flexsim import audit, experiment, report, restart
from flexsim.cli.exits import FAILED, UsageError


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
    return _print_audit(Path(args.folder))


def _print_audit(folder: Path) -> int:
    """One line per conservation law of a run folder; FAILED when one does not hold."""
    findings = audit.audit(folder)
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.holds for finding in findings) else FAILED


def _orderbook(args: argparse.Namespace) -> int:
    """`orderbook DIR --at-day D --out FILE`: the open orders, and how to start from them."""
    run = audit.read_run(Path(args.folder))
    day, out = args.at_day, Path(args.out)
    if not 0 < day < run.scenario.horizon_days:
        raise UsageError(f"--at-day {day:g}: give a day after 0, before the horizon")
    if not out.parent.is_dir() or out.is_dir():
        raise UsageError(f"--out {args.out}: no folder {out.parent} to write it in")
    book = restart.order_book(run.tables, run.scenario, day)
    try:
        cash = restart.cash_at(run.tables, run.scenario, day)
        reviews = run.tables.get("alliance_reviews")
        overrides = restart.restart_overrides(run.scenario, day, out.resolve(), cash, reviews)
        restart.write_book(book, out)
    except (ValueError, OSError) as error:
        raise UsageError(f"--out {args.out}: {error}") from None
    sets = " ".join(shlex.quote(f"--set={key}={_toml(value)}") for key, value in overrides.items())
    print(f"wrote {out}: {len(book):,} open orders at day {day:g}; start from them with")
    print(f"flexsim run {shlex.quote(str(Path(args.folder) / 'scenario.json'))} {sets}")
    return 0


def _toml(value: Any) -> str:
    """A `--set` value as TOML reads it back (true, not Python's True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _progress(bar: Any) -> experiment.runner.Progress:
    def update(done: int, planned: int) -> None:
        bar.total = planned
        bar.n = done
        bar.refresh()

    return update
