"""`flexsim plan`: a planning file searched and its finalists selected on a backend, into an
all-or-nothing, resumable results folder; the chosen plan and its guarantee printed."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from flexsim.cli.exits import UsageError
from flexsim.cli.experiment import _claim
from flexsim.cli.options import _backend, _check_jobs
from flexsim.outfolder import OutFolderError
from flexsim.plan import PlanResult, load_plan, run_plan
from flexsim.plan import output as plan_output
from flexsim.plots import tradeoff

FIGURE = "figures/tradeoff.png"


def _plan(args: argparse.Namespace) -> int:
    plan = load_plan(args.file)
    out = args.out or f"plan-{plan.settings.name}"
    _check_jobs(args)
    folder = _claim(out, args.overwrite, args.resume)
    assert folder is not None
    try:
        runner = _backend(args)
        bar = None
        if not args.quiet and sys.stderr.isatty():
            total = plan.settings.budget + plan.settings.finalists * plan.settings.first_stage
            bar = tqdm(total=total, unit="run", desc=plan.settings.name, file=sys.stderr)
        try:
            result = run_plan(plan, folder.path, runner, _progress(bar))
        finally:
            if bar is not None:
                bar.close()
            runner.close()
        table = plan_output.write(folder.path, result)
        _figure(folder.path, result, table)
    except BaseException as error:
        kept = folder.abandon(f"{type(error).__name__}: {error}".removesuffix(": "))
        error.add_note(f"the search so far is kept in {kept}/ (--resume goes on from it)")
        raise
    try:
        folder.commit()
    except OutFolderError as error:
        raise UsageError(f"--out {shlex.quote(out)}: {error}") from None
    print(plan_output.statement(result))
    written = "candidates.csv, guarantee.md, optuna.db, " + FIGURE + ", manifest.json"
    written = ("PLAN.json, " if result.scenario is not None else "") + written
    print(f"\nwrote {folder.target}/ ({written})")
    if result.scenario is not None:
        print(f"rerun the plan: flexsim run {shlex.quote(str(folder.target / 'PLAN.json'))}")
    return 0


def _progress(bar: Any) -> Callable[[int], None] | None:
    if bar is None:
        return None

    def update(runs: int) -> None:
        if bar.n + runs > bar.total:
            bar.total = bar.n + runs
        bar.update(runs)

    return update


def _figure(folder: Path, result: PlanResult, table: pd.DataFrame) -> None:
    plan = result.plan
    figure = tradeoff(table, plan.objective.name, [(c.kpi, c.bound) for c in plan.constraints])
    (folder / "figures").mkdir(exist_ok=True)
    (folder / FIGURE).write_bytes(figure.render("png"))
