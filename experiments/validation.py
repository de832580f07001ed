"""Validation study: the simulator against queueing theory, one row per case and measured quantity.

    python experiments/validation.py [--replications N] [--seed S] [--out results/validation]
                                     [--jobs J]

A case is a scenario file (experiments/validation/*.toml, or a built-in scenario by name), a
measured quantity (a function of one run's tables) and a theory function of the scenario
(flexsim.theory). Every scenario runs once per replication, seeds S … S + N − 1 (S = 1 unless
--seed says otherwise; the seed depends on the replication only); each quantity gets a
Student-t 95 % interval over the replications, and a case passes when its interval covers the
theory and is precise enough to mean something (relative half-width at most 5 %). Each case
also lists negative controls: wrong models whose values the same check must reject on the same
data. docs/validation.md explains every case.

Writes summary.csv, controls.csv, summary.md and manifest.json into --out, each atomically, and
prints the summary table. tests/test_validation.py imports this file and runs every case
shorter.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

import flexsim
from flexsim.metrics import finished_orders, utilisation
from flexsim.results import provenance, write_text
from flexsim.run import DEFAULT_SEED, RunResult, replication_seeds
from flexsim.stats import Interval, mean_interval
from flexsim.theory import (
    Moments,
    NotAQueue,
    QueueModel,
    md1_wq,
    mg1_wq,
    mm1_wq,
    mmc_wq,
    order_service_moments,
    per_piece_service_moments,
    polling_weighted_wait,
    queue_model,
    symmetric_polling_wait,
)
from flexsim.theory import utilisation as offered_load
from flexsim.vocabulary import HOURS_PER_DAY

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "validation"  # the case scenario files
REPO = HERE.parent
DEFAULT_OUT = REPO / "results" / "validation"
DEFAULT_REPLICATIONS = 100
LEVEL = 0.95
MAX_RELATIVE_HALF_WIDTH = 0.05  # a wider interval would cover almost anything
PACKAGES = ("flexsim", "simpy", "numpy", "pandas", "scipy", "pydantic", "tqdm")
# Little's law is measured on [warm-up, horizon − margin): every order placed in that window
# has left the factory by the horizon (offline orders, the slowest, took up to 72 days), so
# each one's full time in the factory is known. The default scenario is seasonal (6-day weeks,
# Spring Festival shutdowns), so the window is 52 whole weeks: it closes at the weekday and
# (within a day) the time of year it opens, and the orders present at its two edges then
# balance in expectation (docs/validation.md).
LITTLE_MARGIN_DAYS = 90.0
LITTLE_WINDOW_DAYS = 52 * 7
TAO_WARMUP_DAYS = 180.0  # the default scenario's warm-up


# ── measured quantities: one number per run ────────────────────────────────────────────────


def mean_wait_h(result: RunResult) -> float:
    """Mean wait in queue (placed → work on a line begins) of the orders placed after the
    warm-up that were made; the changeover belongs to the service, not to the wait."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    return float(done["waiting_h"].mean())


def busy_share(result: RunResult) -> float:
    """Share of [warm-up, horizon) the lines spent processing or changing over, averaged over
    the lines (a single line: its own share)."""
    scenario = result.scenario
    shares = utilisation(result.tables["line_states"], scenario.warmup_h, scenario.horizon_h)
    return float((shares["processing"] + shares["changeover"]).mean())


def little_ratio(result: RunResult, leave: str = "finished_at") -> float:
    """L/(λW) over [warm-up, horizon − margin) for the orders in the factory (accepted, from
    placement until `leave`): L the time-average number present, λ the orders placed per hour
    in the window, W their mean time present. Little's law says L = λW. NaN when an order
    placed in the window has not left by the horizon: its stay is unknown, so the margin is
    too short (and the case fails visibly)."""
    scenario = result.scenario
    start, end = scenario.warmup_h, scenario.horizon_h - LITTLE_MARGIN_DAYS * HOURS_PER_DAY
    if end <= start:
        raise ValueError("Little's law needs horizon − warm-up longer than the margin")
    orders = result.tables["orders"]
    accepted = orders[orders["status"] != "refused"]
    placed = accepted["placed_at"]
    gone = accepted["finished_at"].fillna(math.inf)  # still in the factory at the horizon
    present_h = (gone.clip(start, end) - placed.clip(start, end)).clip(lower=0).sum()
    arrivals = accepted[(placed >= start) & (placed < end)]
    stay_h = arrivals[leave] - arrivals["placed_at"]
    if stay_h.isna().any():
        return math.nan
    mean_in_factory = present_h / (end - start)
    arrival_rate = len(arrivals) / (end - start)
    return float(mean_in_factory / (arrival_rate * stay_h.mean()))


def little_ratio_with_transit(result: RunResult) -> float:
    """L/(λW) with W wrongly running to delivery: orders in transit counted as in the factory."""
    return little_ratio(result, leave="delivered_at")


def polling_weighted_wait_h(result: RunResult) -> float:
    """Σ ρᵢ·Wᵢ over a polling line's families: each family's mean wait in queue weighted by its
    offered load ρᵢ, which the scenario fixes (the pseudo-conservation law's left side)."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    waits = done.groupby("family")["waiting_h"].mean()
    rates, services, _ = polling_system(result.scenario)
    families = result.scenario.factories[0].lines[0].families
    return sum(
        lam * s.mean * float(waits[f]) for lam, s, f in zip(rates, services, families, strict=True)
    )


@dataclass(frozen=True)
class Measure:
    """A quantity measured on every run."""

    name: str  # key in MEASURES and in the replication results
    label: str  # what summary.csv calls it
    of: Callable[[RunResult], float]


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("wait_h", "mean wait in queue (h)", mean_wait_h),
        Measure("busy", "busy share of a line", busy_share),
        Measure("little", "L / (λW), orders in the factory", little_ratio),
        Measure("little_transit", "L / (λW) with W to delivery", little_ratio_with_transit),
        Measure("polling_h", "Σ ρᵢWᵢ over the families (h)", polling_weighted_wait_h),
    )
}


# ── theories: functions of the scenario (flexsim.theory reduces it to a queue) ─────────────

Theory = Callable[[flexsim.Scenario], float]
Overrides = tuple[tuple[str, Any], ...]  # hashable and picklable, for the worker processes


def merged(base: Overrides, extra: dict[str, Any] | None) -> Overrides:
    """Dotted-key overrides, `extra` winning, as a sorted tuple."""
    return tuple(sorted((dict(base) | (extra or {})).items()))


def queue(
    scenario: flexsim.Scenario,
    servers: int | None = None,
    exponential: bool = False,
    deterministic: bool = False,
) -> QueueModel:
    """The scenario as a queue, checked against the assumptions of the formula applied to it."""
    model = queue_model(scenario)
    if servers is not None and model.servers != servers:
        raise NotAQueue(f"{scenario.name}: expected {servers} line(s), found {model.servers}")
    if exponential and not model.exponential:
        raise NotAQueue(f"{scenario.name}: the service time is not exponential")
    if deterministic and not model.deterministic:
        raise NotAQueue(f"{scenario.name}: the service time is not deterministic")
    return model


def mm1_wait(scenario: flexsim.Scenario, slower: float = 1.0) -> float:
    """M/M/1 Wq (h); `slower` stretches the mean service time (a wrong model when ≠ 1)."""
    q = queue(scenario, servers=1, exponential=True)
    return mm1_wq(q.arrival_rate_h, q.service_rate_h / slower)


def mmc_wait(scenario: flexsim.Scenario, lines_off: int = 0) -> float:
    """M/M/c Wq (h) by Erlang C, with `lines_off` lines fewer than the scenario has."""
    q = queue(scenario, exponential=True)
    return mmc_wq(q.arrival_rate_h, q.service_rate_h, q.servers - lines_off)


def one_fast_line_wait(scenario: flexsim.Scenario) -> float:
    """Wrong model: the c lines as one line c times as fast (M/M/1 with rate cμ)."""
    q = queue(scenario, exponential=True)
    return mm1_wq(q.arrival_rate_h, q.servers * q.service_rate_h)


def md1_wait(scenario: flexsim.Scenario) -> float:
    """M/D/1 Wq (h)."""
    q = queue(scenario, servers=1, deterministic=True)
    return md1_wq(q.arrival_rate_h, q.service.mean)


def mm1_formula_on_md1(scenario: flexsim.Scenario) -> float:
    """Wrong model: the M/M/1 wait at the M/D/1 scenario's ρ (exponential service)."""
    q = queue(scenario, servers=1, deterministic=True)
    return mm1_wq(q.arrival_rate_h, q.service_rate_h)


def pk_wait(scenario: flexsim.Scenario) -> float:
    """M/G/1 Wq (h) by Pollaczek-Khinchine, S = changeover + quantity × one unit-time draw."""
    q = queue(scenario, servers=1)
    return mg1_wq(q.arrival_rate_h, q.service.mean, q.service.second)


def pk_wait_without_changeover(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with S = quantity × unit time, no changeover."""
    q = queue(scenario, servers=1)
    s = order_service_moments(Moments(0.0, 0.0), q.quantity, q.unit_time)
    return mg1_wq(q.arrival_rate_h, s.mean, s.second)


def pk_wait_per_piece(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with an independent unit-time draw per piece."""
    q = queue(scenario, servers=1)
    s = per_piece_service_moments(q.changeover, q.quantity, q.unit_time)
    return mg1_wq(q.arrival_rate_h, s.mean, s.second)


def rho(scenario: flexsim.Scenario, slower: float = 1.0, lines_off: int = 0) -> float:
    """Busy share of each line, ρ = λE[S]/c; the keywords make wrong models."""
    q = queue(scenario)
    return offered_load(q.arrival_rate_h, q.service.mean * slower, q.servers - lines_off)


def rho_without_changeover(scenario: flexsim.Scenario) -> float:
    """Wrong model: ρ counting processing only, λE[Q]E[U]."""
    q = queue(scenario, servers=1)
    return offered_load(q.arrival_rate_h, q.quantity.mean * q.unit_time.mean)


def polling_system(scenario: flexsim.Scenario) -> tuple[list[float], list[Moments], Moments]:
    """A polling line's families as queues: arrival rates per hour, service-time moments
    (S = quantity × one exponential unit-time draw, mixed over the customers ordering the
    family), and the moments of a cycle's total switchover (deterministic switches)."""
    (line,) = scenario.factories[0].lines
    unit = Moments.of(line.unit_time_h)
    rates, services = [], []
    for family in line.families:
        parts = []  # (rate, service moments) of each customer's orders of this family
        for customer in scenario.customers:
            share = customer.families.get(family, 0.0) / sum(customer.families.values())
            rate = share / (customer.interarrival_days.expectation * HOURS_PER_DAY)
            service = order_service_moments(Moments(0, 0), Moments.of(customer.quantity), unit)
            parts.append((rate, service))
        rate = sum(r for r, _ in parts)
        rates.append(rate)
        services.append(
            Moments(
                sum(r * s.mean for r, s in parts) / rate, sum(r * s.second for r, s in parts) / rate
            )
        )
    cycle = line.families + line.families[:1]
    switch = sum(line.changeover_h.value(a, b) for a, b in itertools.pairwise(cycle))
    return rates, services, Moments.constant(switch)


def polling_law(scenario: flexsim.Scenario, gated: bool | None = None) -> float:
    """Σ ρᵢE[Wᵢ] (h) by the pseudo-conservation law for the line's discipline, or for the
    other discipline (a wrong model) when `gated` says so."""
    rates, services, switchover = polling_system(scenario)
    if gated is None:
        gated = scenario.factories[0].lines[0].dispatch == "cyclic_gated"
    return polling_weighted_wait(rates, services, switchover, gated)


def symmetric_polling(scenario: flexsim.Scenario, gated: bool | None = None) -> float:
    """Mean wait (h) of a symmetric polling line by Takagi's formula, for its discipline or,
    as a wrong model, the other one."""
    rates, services, switchover = polling_system(scenario)
    if gated is None:
        gated = scenario.factories[0].lines[0].dispatch == "cyclic_gated"
    n = len(rates)
    return symmetric_polling_wait(
        n, rates[0], services[0], Moments.constant(switchover.mean / n), gated
    )


def pk_wait_without_repairs(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with the nominal service time, as if nothing failed."""
    return pk_wait(scenario.with_overrides({"factories.0.lines.0.breakdowns": None}))


def one(_scenario: flexsim.Scenario) -> float:
    """Little's law: L/(λW) = 1 in any system in steady state."""
    return 1.0


# ── cases ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Control:
    """A negative control: a wrong model the check must reject. It applies `theory` to the
    case's data, or to another quantity measured on the same runs."""

    label: str
    theory: Theory
    measure: str | None = None  # None: the case's own measure


@dataclass(frozen=True)
class Case:
    """One check: a scenario, a measured quantity and the theory it must match."""

    name: str
    scenario: str  # a file in experiments/validation/ (*.toml) or a built-in scenario name
    measure: str  # a key of MEASURES
    theory: Theory
    controls: tuple[Control, ...] = ()
    overrides: Overrides = ()  # dotted keys set on the scenario (cases sharing it agree)

    def load(self, overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
        """The case's scenario with its own overrides, then `overrides` (the tests' shorter
        horizons)."""
        return _scenario(self.scenario, merged(self.overrides, overrides))

    def measures(self) -> list[str]:
        return [self.measure, *(c.measure for c in self.controls if c.measure)]


SLOWER = 1.1  # "service 10 % slower"

CASES: tuple[Case, ...] = (
    Case(
        "M/M/1",
        "mm1.toml",
        "wait_h",
        mm1_wait,
        (Control("service 10 % slower", lambda s: mm1_wait(s, SLOWER)),),
    ),
    Case(
        "M/M/1",
        "mm1.toml",
        "busy",
        rho,
        (Control("service 10 % slower", lambda s: rho(s, SLOWER)),),
    ),
    Case(
        "M/M/3",
        "mmc.toml",
        "wait_h",
        mmc_wait,
        (
            Control("one line 3 times as fast (M/M/1, rate cμ)", one_fast_line_wait),
            Control("Erlang C for c − 1 lines", lambda s: mmc_wait(s, lines_off=1)),
        ),
    ),
    Case(
        "M/M/3", "mmc.toml", "busy", rho, (Control("c − 1 lines", lambda s: rho(s, lines_off=1)),)
    ),
    Case("M/D/1", "md1.toml", "wait_h", md1_wait, (Control("M/M/1 formula", mm1_formula_on_md1),)),
    Case(
        "M/D/1",
        "md1.toml",
        "busy",
        rho,
        (Control("service 10 % slower", lambda s: rho(s, SLOWER)),),
    ),
    Case(
        "M/G/1 changeover + Q·U",
        "mg1.toml",
        "wait_h",
        pk_wait,
        (
            Control("Pollaczek-Khinchine without the changeover", pk_wait_without_changeover),
            Control("one unit-time draw per piece", pk_wait_per_piece),
        ),
    ),
    Case(
        "M/G/1 changeover + Q·U",
        "mg1.toml",
        "busy",
        rho,
        (Control("ρ without the changeover", rho_without_changeover),),
    ),
    Case(
        "Polling, symmetric, exhaustive",
        "polling_exhaustive.toml",
        "wait_h",
        symmetric_polling,
        (Control("the gated formula", lambda s: symmetric_polling(s, gated=True)),),
    ),
    Case(
        "Polling, symmetric, gated",
        "polling_gated.toml",
        "wait_h",
        symmetric_polling,
        (Control("the exhaustive formula", lambda s: symmetric_polling(s, gated=False)),),
    ),
    Case(
        "Polling, asymmetric, exhaustive",
        "polling_asymmetric_exhaustive.toml",
        "polling_h",
        polling_law,
        (Control("the law for gated service", lambda s: polling_law(s, gated=True)),),
    ),
    Case(
        "Polling, asymmetric, gated",
        "polling_asymmetric_gated.toml",
        "polling_h",
        polling_law,
        (Control("the law for exhaustive service", lambda s: polling_law(s, gated=False)),),
    ),
    Case(
        "Breakdowns, M/G/1",
        "breakdowns.toml",
        "wait_h",
        pk_wait,
        (Control("Pollaczek-Khinchine without the repairs", pk_wait_without_repairs),),
    ),
    Case(
        "Little's law, tao-factory",
        "tao-factory",
        "little",
        one,
        (Control("W to delivery (transit counted in)", one, "little_transit"),),
        (("horizon_days", TAO_WARMUP_DAYS + LITTLE_WINDOW_DAYS + LITTLE_MARGIN_DAYS),),
    ),
)


def scenario_source(ref: str) -> str:
    """A case's scenario: a file in experiments/validation/, or a built-in by name."""
    return str(SCENARIOS / ref) if ref.endswith(".toml") else ref


# ── running ───────────────────────────────────────────────────────────────────────────────


@cache
def _scenario(ref: str, overrides: Overrides) -> flexsim.Scenario:
    return flexsim.load(scenario_source(ref), dict(overrides) or None)


def measure_run(
    ref: str, overrides: Overrides, seed: int, names: tuple[str, ...]
) -> dict[str, float]:
    """Run one replication of a scenario and measure the named quantities."""
    result = flexsim.run(_scenario(ref, overrides), seed)
    return {name: MEASURES[name].of(result) for name in names}


def needed(cases: Iterable[Case]) -> dict[str, tuple[Overrides, tuple[str, ...]]]:
    """Scenario → its overrides and the quantities its cases measure, each scenario once."""
    by_scenario: dict[str, tuple[Overrides, list[str]]] = {}
    for case in cases:
        overrides, names = by_scenario.setdefault(case.scenario, (case.overrides, []))
        if overrides != case.overrides:
            raise ValueError(f"cases on {case.scenario} disagree on its overrides")
        names += [n for n in case.measures() if n not in names]
    return {ref: (over, tuple(names)) for ref, (over, names) in by_scenario.items()}


Values = dict[str, dict[str, list[float]]]  # scenario → measure → one value per replication


def replicate(
    cases: Sequence[Case],
    seeds: Sequence[int],
    overrides: dict[str, dict[str, Any]] | None = None,
    jobs: int = 1,
    progress: bool = False,
) -> Values:
    """Run every scenario of `cases` once per seed (in `jobs` processes) and measure it.

    `overrides` maps a scenario reference to dotted-key overrides set on top of the cases' own
    (the tests shorten horizons).
    """
    runs = needed(cases)
    tasks = [  # seed by seed, so the long runs of some scenario spread over the whole study
        (ref, merged(base, (overrides or {}).get(ref)), seed, names)
        for seed in seeds
        for ref, (base, names) in runs.items()
    ]
    values: Values = {
        ref: {n: [math.nan] * len(seeds) for n in names} for ref, (_, names) in runs.items()
    }
    position = {seed: i for i, seed in enumerate(seeds)}
    bar = tqdm(total=len(tasks), desc="validation runs", unit="run", disable=not progress)

    def keep(task: tuple[str, Overrides, int, tuple[str, ...]], measured: dict[str, float]) -> None:
        for name, value in measured.items():
            values[task[0]][name][position[task[2]]] = value
        bar.update()

    if jobs <= 1:
        for task in tasks:
            keep(task, measure_run(*task))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(measure_run, *task): task for task in tasks}
            for future in as_completed(futures):
                keep(futures[future], future.result())
    bar.close()
    return values


@dataclass(frozen=True)
class Check:
    """A value (right or wrong theory) against a measured interval."""

    theory: float
    interval: Interval
    covered: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "covered", self.interval.covers(self.theory))


def check(values: Sequence[float], theory: float, level: float = LEVEL) -> Check:
    return Check(theory, mean_interval(values, level))


def passes(result: Check, max_relative_half_width: float = MAX_RELATIVE_HALF_WIDTH) -> bool:
    """A case passes when its interval covers the theory and is narrow enough to mean it."""
    return result.covered and result.interval.relative_half_width <= max_relative_half_width


def evaluate(
    cases: Sequence[Case], values: Values, overrides: dict[str, dict[str, Any]] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary (one row per case) and the negative controls (one row per control)."""
    rows, controls = [], []
    for case in cases:
        scenario = case.load((overrides or {}).get(case.scenario))
        data = values[case.scenario]
        result = check(data[case.measure], case.theory(scenario))
        rows.append(_row(case, case.measure, result) | {"passed": passes(result)})
        for control in case.controls:
            measure = control.measure or case.measure
            wrong = check(data[measure], control.theory(scenario))
            row = _row(case, measure, wrong)
            del row["relative_half_width"]
            row["control"] = control.label
            controls.append(row | {"rejected": not wrong.covered})
    summary = pd.DataFrame(rows, columns=[*SUMMARY_COLUMNS])
    return summary, pd.DataFrame(controls, columns=[*CONTROL_COLUMNS])


SUMMARY_COLUMNS = (
    "case",
    "quantity",
    "theory",
    "simulated_mean",
    "ci_low",
    "ci_high",
    "relative_half_width",
    "replications",
    "passed",
)
CONTROL_COLUMNS = (
    "case",
    "quantity",
    "control",
    "theory",
    "simulated_mean",
    "ci_low",
    "ci_high",
    "replications",
    "rejected",
)


def _row(case: Case, measure: str, result: Check) -> dict[str, Any]:
    interval = result.interval
    return {
        "case": case.name,
        "quantity": MEASURES[measure].label,
        "theory": result.theory,
        "simulated_mean": interval.mean,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "relative_half_width": interval.relative_half_width,
        "replications": interval.n,
    }


# ── writing ──────────────────────────────────────────────────────────────────────────────


def markdown(summary: pd.DataFrame, controls: pd.DataFrame, seeds: Sequence[int]) -> str:
    """summary.md: both tables, readable, with what the columns mean."""
    lines = [
        "# Validation against queueing theory",
        "",
        "Rebuilt by `python experiments/validation.py`; docs/validation.md explains every case. "
        f"Each interval is a Student-t {LEVEL * 100:g} % interval over the replications (seeds "
        f"{seeds[0]} … {seeds[-1]}); a case passes when it covers the theory and its relative "
        f"half-width is at most {MAX_RELATIVE_HALF_WIDTH * 100:g} %.",
        "",
        "| case | quantity | theory | simulated mean | 95 % interval | ± | runs | passed |",
        "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for r in summary.itertuples(index=False):
        lines.append(
            f"| {r.case} | {r.quantity} | {_num(r.theory)} | {_num(r.simulated_mean)} | "
            f"[{_num(r.ci_low)}, {_num(r.ci_high)}] | {r.relative_half_width * 100:.1f} % | "
            f"{r.replications} | {'pass' if r.passed else '**FAIL**'} |"
        )
    lines += [
        "",
        "## Negative controls",
        "",
        "Wrong models checked against the same runs: each must be rejected (its value outside "
        "the interval), showing the check can tell a right model from a wrong one.",
        "",
        "| case | quantity | wrong model | its value | simulated mean | 95 % interval | rejected |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in controls.itertuples(index=False):
        lines.append(
            f"| {r.case} | {r.quantity} | {r.control} | {_num(r.theory)} | "
            f"{_num(r.simulated_mean)} | [{_num(r.ci_low)}, {_num(r.ci_high)}] | "
            f"{'yes' if r.rejected else '**NO**'} |"
        )
    return "\n".join(lines) + "\n"


def _num(cell: Any) -> str:
    value = float(cell)
    if math.isinf(value):
        return "∞ (unstable)"
    return f"{value:#.4g}" if abs(value) < 100 else f"{value:.1f}"


def manifest(args: argparse.Namespace, seeds: Sequence[int], wall_s: float) -> dict[str, Any]:
    """What made the results: command, seeds, inputs, versions, commit, wall time."""
    return {
        "command": " ".join(["python", "experiments/validation.py", *sys.argv[1:]]),
        "replications": len(seeds),
        "seeds": list(seeds),
        "level": LEVEL,
        "max_relative_half_width": MAX_RELATIVE_HALF_WIDTH,
        "scenarios": {
            ref: scenario_input(ref) | ({"overrides": dict(over)} if over else {})
            for ref, (over, _) in needed(CASES).items()
        },
        "jobs": args.jobs,
        **provenance(PACKAGES),
        "wall_s": round(wall_s, 1),
    }


def scenario_input(ref: str) -> dict[str, str]:
    """A case scenario as the manifest records it: its file and the file's SHA-256."""
    source = Path(scenario_source(ref))
    if not source.is_file():  # a built-in scenario: the flexsim version and commit pin it
        return {"builtin": ref}
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    return {"file": str(source.relative_to(REPO)), "sha256": digest}


def write(out: Path, summary: pd.DataFrame, controls: pd.DataFrame, meta: dict[str, Any]) -> None:
    """The results folder; the manifest last, so a folder with one is complete."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "summary.csv", summary.to_csv(index=False))
    write_text(out / "controls.csv", controls.to_csv(index=False))
    write_text(out / "summary.md", markdown(summary, controls, meta["seeds"]))
    text = json.dumps(meta, indent=2, ensure_ascii=False)
    # one line for a list of numbers (the seeds), not one line per number
    text = re.sub(r"\[\s+([-\d.,\s]+?)\s+\]", lambda m: "[" + " ".join(m[1].split()) + "]", text)
    write_text(out / "manifest.json", text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="N")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be at least 2 (an interval needs two)")
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    started = time.perf_counter()
    seeds = replication_seeds(args.replications, args.seed)
    values = replicate(CASES, seeds, jobs=args.jobs, progress=True)
    summary, controls = evaluate(CASES, values)
    write(args.out, summary, controls, manifest(args, seeds, time.perf_counter() - started))
    print(markdown(summary, controls, seeds))
    passed, rejected = int(summary["passed"].sum()), int(controls["rejected"].sum())
    print(
        f"{passed}/{len(summary)} cases passed, {rejected}/{len(controls)} controls rejected; "
        f"written to {args.out}"
    )
    return 0 if passed == len(summary) and rejected == len(controls) else 1


if __name__ == "__main__":
    sys.exit(main())
