"""`flexsim check | show | scenarios | schema`: what a scenario, experiment or planning file
holds, the built-in scenarios and the files' JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys

from flexsim import experiment, report
from flexsim.experiment.design import ExperimentFile
from flexsim.plan import is_plan_file, load_plan
from flexsim.scenario import (
    Scenario,
    builtin_names,
    builtin_text,
    json_schema,
    load,
    load_builtin,
    parse_assignments,
)


def _check(args: argparse.Namespace) -> int:
    if experiment.is_experiment_file(args.scenario):
        print(_experiment_summary(experiment.load_experiment(args.scenario)))
        return 0
    if is_plan_file(args.scenario):
        plan = load_plan(args.scenario)
        size = plan.space_size()
        print(
            f"Planning file '{plan.settings.name}' is valid: {len(plan.variables)} variable(s) "
            f"({'infinitely many' if size is None else f'{size:,}'} candidates), objective "
            f"{plan.objective.name} ({plan.objective.direction}), {len(plan.constraints)} "
            f"constraint(s), a budget of {plan.settings.budget:,} runs; base scenario: "
            + report.describe_scenario(plan.base)
        )
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
