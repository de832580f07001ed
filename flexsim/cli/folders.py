"""`flexsim report` and `flexsim audit`: the commands on a results folder, and the report
written into one with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from flexsim import audit, experiment, report
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
    findings = audit.audit(Path(args.folder))
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.holds for finding in findings) else FAILED


def _progress(bar: Any) -> experiment.runner.Progress:
    def update(done: int, planned: int) -> None:
        bar.total = planned
        bar.n = done
        bar.refresh()

    return update
