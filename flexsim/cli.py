"""Command line: `flexsim run | check | scenarios | schema`; the only module that prints.

Bad input (a scenario file, a --set, an output folder) ends with one paragraph on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import metrics, results
from flexsim.run import DEFAULT_SEED, RunResult, run
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

BAD_INPUT = 2
WIDE = 10  # KPI tables with more columns than this print transposed


class UsageError(Exception):
    """Bad input other than the scenario itself (an output folder, a seed)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.command(args))
    except (ScenarioError, UsageError) as error:
        print(f"flexsim: error: {error}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:  # the reader (say `| head`) closed the pipe: nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


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
    run_p.add_argument("--out", type=Path, help="write tables, kpis.json and manifest.json here")
    run_p.set_defaults(command=_run)
    check_p = sub.add_parser("check", help="validate a scenario file and summarise it")
    check_p.add_argument("scenario", help="a scenario file or a built-in name")
    check_p.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE"
    )
    check_p.set_defaults(command=_check)
    sub.add_parser("scenarios", help="list the built-in scenarios").set_defaults(command=_scenarios)
    sub.add_parser("schema", help="print the JSON Schema of scenario files").set_defaults(
        command=_schema
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder")
    overrides = parse_assignments(args.assignments)
    scenario = load(args.scenario, overrides)
    _warn_short_warmup(scenario)
    result = run(scenario, args.seed)
    discount = scenario.finance.discount_rate
    kpis = metrics.kpis(result.tables, scenario.warmup_h, scenario.horizon_h, discount)
    print(render(result, kpis))
    if args.out is not None:
        try:
            results.write(result, kpis, args.out, str(args.scenario), overrides)
        except OSError as error:
            raise UsageError(f"--out {args.out}: cannot write results ({error})") from None
        print(f"\nwrote {args.out}/ (tables, kpis.json, scenario.json, manifest.json)")
    return 0


def _check(args: argparse.Namespace) -> int:
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
        sellers.count * sellers.launches_per_week * sellers.share_at_factory.expectation
        * sellers.size.expectation
    )  # fmt: skip
    return (
        f"{sellers.count} seller(s) ({sellers.sample_only_share:.0%} sample-only) launching "
        f"about {launches:.3g} items a week at the factories"
    )


def render(result: RunResult, kpis: dict[str, Any]) -> str:
    """The KPI tables of one run as text."""
    scenario = result.scenario
    counts = ", ".join(f"{k} {v}" for k, v in kpis["orders"].items())
    return "\n".join(
        [
            f"flexsim · scenario {scenario.name} · seed {result.seed} · "
            f"{scenario.horizon_days:g} days, measured from day {scenario.warmup_days:g} · "
            f"{result.wall_s:.2f} s",
            "",
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
