"""The command line's parser: each command, its options, and the function that runs it."""

from __future__ import annotations

import argparse

from flexsim.cli.experiment import _compare, _experiment
from flexsim.cli.folders import _audit, _orderbook, _report
from flexsim.cli.options import (
    _format_option,
    _gantt_option,
    _jobs_options,
    _overwrite_option,
    _report_options,
    _resume_option,
    _set_option,
    _table_format_option,
)
from flexsim.cli.plan import _plan
from flexsim.cli.run import _run
from flexsim.cli.scenarios import _check, _scenarios, _schema, _show
from flexsim.run import DEFAULT_SEED
from flexsim.scenario import DEFAULT_SCENARIO, builtin_names


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
    _set_option(
        run_p, "override a dotted key, VALUE as TOML (e.g. --set horizon_days=60); repeatable"
    )
    run_p.add_argument(
        "--out",
        metavar="DIR",
        help="write tables, kpis.json and manifest.json into DIR, all or nothing",
    )
    _overwrite_option(run_p)
    _table_format_option(
        run_p, "the --out tables as gzip CSV (default) or Parquet (needs the extra `parquet`)"
    )
    run_p.add_argument(
        "--audit",
        action="store_true",
        help="once DIR is written, check its conservation laws in the same process, as "
        "`flexsim audit DIR` does (exit 1 when one does not hold)",
    )
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
    _set_option(compare_p, "override a key in every variant")
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
    _set_option(
        exp_p,
        "override a dotted key in every design point, as the file's `set` table does "
        "(e.g. --set horizon_days=60); repeatable",
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
    _table_format_option(
        exp_p,
        "the --tables tables as gzip CSV (default) or Parquet (needs the extra `parquet`)",
    )
    _report_options(exp_p)
    _jobs_options(exp_p)
    exp_p.set_defaults(command=_experiment)
    plan_p = sub.add_parser(
        "plan", help="find the best plan that meets a planning file's constraints, with a guarantee"
    )
    plan_p.add_argument("file", help="a planning file (TOML with a [plan] table)")
    plan_p.add_argument(
        "--out", metavar="DIR", help="write the results here, all or nothing (default: plan-NAME)"
    )
    _overwrite_option(plan_p)
    _resume_option(plan_p)
    _jobs_options(plan_p)
    plan_p.set_defaults(command=_plan)
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
    book_p = sub.add_parser(
        "orderbook", help="write a run folder's open orders at a day as an order book (CSV)"
    )
    book_p.add_argument("folder", metavar="DIR", help="a run results folder (flexsim run --out)")
    book_p.add_argument("--at-day", type=float, required=True, metavar="D", help="the day")
    book_p.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    book_p.set_defaults(command=_orderbook)
    check_p = sub.add_parser("check", help="validate a scenario, experiment or planning file")
    check_p.add_argument(
        "scenario", help="a scenario file, a built-in name, an experiment or a planning file"
    )
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
