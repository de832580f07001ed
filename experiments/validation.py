"""Validation study: the simulator against queueing theory, one row per case and measured quantity.

    python -m experiments.validation [--replications N] [--seed S] [--out DIR] [--jobs J]

A case is a scenario (a file in experiments/validation/ or a built-in name), a quantity measured
on every run (a function of the run) and a theory (a function of the scenario, through
flexsim.theory). Each scenario is replicated once by `flexsim.experiment.replicate`, seeds S …
S + N − 1, measuring every quantity its cases need. A case passes when the Student-t 95 %
interval of its quantity covers the theory and is precise enough to mean something (relative
half-width at most 5 %). Each case also lists negative controls: wrong models that the same
check must reject on the same runs. docs/validation.md explains every case.

Writes summary.csv, controls.csv, summary.md and manifest.json into --out and prints the
summary; tests/test_validation.py runs every case shorter.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from tqdm import tqdm  # type: ignore[import-untyped]

import flexsim
from flexsim import theory
from flexsim.experiment import ExperimentResult, Measure, replicate
from flexsim.metrics import finished_orders, utilisation
from flexsim.results import provenance, write_text
from flexsim.run import DEFAULT_SEED
from flexsim.stats import LEVEL, Interval, mean_interval
from flexsim.theory import Moments, NotAQueue, QueueModel
from flexsim.vocabulary import HOURS_PER_DAY

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "validation"  # the case scenario files
DEFAULT_OUT = HERE.parent / "results" / "validation"
DEFAULT_REPLICATIONS = 100
SEED = DEFAULT_SEED  # replication r runs seed SEED + r, as everywhere in flexsim
MAX_RELATIVE_HALF_WIDTH = 0.05  # a wider interval would cover almost anything
# Little's law is measured on [warm-up, horizon − margin): every order placed in that window
# has left the factory by the horizon (offline orders, the slowest, took up to 72 days), so
# each one's full time in the factory is known. The default scenario is seasonal (6-day weeks,
# Spring Festival shutdowns), so the window is 52 whole weeks: it closes at the weekday and
# (within a day) the time of year it opens, and the orders present at its two edges then
# balance in expectation (docs/validation.md).
LITTLE_MARGIN_DAYS = 90.0
LITTLE_WINDOW_DAYS = 52 * 7
# Lead times settle well within 180 days; the default's longer warm-up is for its money
TAO_WARMUP_DAYS = 180.0
OVERRIDES: dict[str, dict[str, Any]] = {  # dotted keys a case scenario needs set
    "tao-factory": {
        "warmup_days": TAO_WARMUP_DAYS,
        "horizon_days": TAO_WARMUP_DAYS + LITTLE_WINDOW_DAYS + LITTLE_MARGIN_DAYS,
    },
}
# A routed variant of the default: the built-in scenario (BASES) with dotted keys on top.
ROUTED_TAO = "tao-factory, routed"
BASES = {ROUTED_TAO: "tao-factory"}


def routed_tao_keys() -> dict[str, Any]:
    """tao-factory's e-commerce line split into three stations, its unit time shared out
    (0.008 h a piece: cut 0.002, sew 0.005, finish 0.001): a cutting table laying up to 4
    orders of one family (at most 2,000 pieces) at once, the sewing line keeping the line's
    changeovers and overtime, a finishing line; the offline orders stay on `bulk` (a
    channel's routing). Capacity booking then quotes against the sewing station."""
    lines = {line.name: line for line in flexsim.load_builtin("tao-factory").factories[0].lines}
    ecom = lines["ecom"].model_dump(mode="json", exclude_unset=True)

    def station(name: str, mean_h: float, **more: Any) -> dict[str, Any]:
        unit = {"dist": "lognormal", "mean": mean_h, "cv": 0.25}
        keep = {"channels": ecom["channels"], "calendar": ecom["calendar"]}
        return {"name": name, "unit_time_h": unit} | keep | more

    cut = station(
        "cut",
        0.002,
        changeover_h={"other_family": 0.25},
        batch={
            "max_orders": 4,
            "max_pieces": 2000,
            "lay_h": {"dist": "uniform", "low": 0.2, "high": 0.4},
            "same_family": True,
        },
    )
    sew = ecom | {"name": "sew", "unit_time_h": {"dist": "lognormal", "mean": 0.005, "cv": 0.25}}
    bulk = lines["bulk"].model_dump(mode="json", exclude_unset=True)
    return {
        "factories.fuchun.lines": [bulk, cut, sew, station("finish", 0.001)],
        "factories.fuchun.routing": {"ecommerce": ["cut", "sew", "finish"], "offline": ["bulk"]},
    }


OVERRIDES[ROUTED_TAO] = OVERRIDES["tao-factory"] | routed_tao_keys()


# ── measured quantities: one number per run ────────────────────────────────────────────────


def mean_wait_h(result: flexsim.RunResult) -> float:
    """Mean wait in queue (placed → work on a line begins) of the orders placed after the
    warm-up that were made; the changeover belongs to the service, not to the wait."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    return float(done["waiting_h"].mean())


def mean_sojourn_h(result: flexsim.RunResult) -> float:
    """Mean time in the factory (placed → its last step finished) of the orders placed after
    the warm-up that were made."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    return float(done["lead_time_h"].mean())


def busy_share(result: flexsim.RunResult) -> float:
    """Share of [warm-up, horizon) the lines spent processing or changing over, averaged over
    the lines (a single line: its own share)."""
    scenario = result.scenario
    shares = utilisation(result.tables["line_states"], scenario.warmup_h, scenario.horizon_h)
    return float((shares["processing"] + shares["changeover"]).mean())


def little_ratio(result: flexsim.RunResult, leave: str = "finished_at") -> float:
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


def little_ratio_with_transit(result: flexsim.RunResult) -> float:
    """L/(λW) with W wrongly running to delivery: orders in transit counted as in the factory."""
    return little_ratio(result, leave="delivered_at")


def polling_weighted_wait_h(result: flexsim.RunResult) -> float:
    """Σ ρᵢ·Wᵢ over a polling line's families: each family's mean wait in queue weighted by its
    offered load ρᵢ, which the scenario fixes (the pseudo-conservation law's left side)."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    waits = done.groupby("family")["waiting_h"].mean()
    rates, services, _ = polling_system(result.scenario)
    families = result.scenario.factories[0].lines[0].families
    return sum(
        lam * s.mean * float(waits[f]) for lam, s, f in zip(rates, services, families, strict=True)
    )


class Quantity(NamedTuple):
    label: str  # what summary.csv calls it
    of: Measure  # a module-level function of a run, so that it pickles to the workers


QUANTITIES: dict[str, Quantity] = {
    "wait_h": Quantity("mean wait in queue (h)", mean_wait_h),
    "sojourn_h": Quantity("mean time in the factory (h)", mean_sojourn_h),
    "busy": Quantity("busy share of a line", busy_share),
    "little": Quantity("L / (λW), orders in the factory", little_ratio),
    "little_transit": Quantity("L / (λW) with W to delivery", little_ratio_with_transit),
    "polling_h": Quantity("Σ ρᵢWᵢ over the families (h)", polling_weighted_wait_h),
}


# ── theories: functions of the scenario (flexsim.theory reduces it to a queue) ─────────────

Theory = Callable[[flexsim.Scenario], float]


def queue(
    scenario: flexsim.Scenario,
    servers: int | None = None,
    exponential: bool = False,
    deterministic: bool = False,
) -> QueueModel:
    """The scenario as a queue, checked against the assumptions of the formula applied to it."""
    model = theory.queue_model(scenario)
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
    return theory.mm1_wq(q.arrival_rate_h, q.service_rate_h / slower)


def mmc_wait(scenario: flexsim.Scenario, lines_off: int = 0) -> float:
    """M/M/c Wq (h) by Erlang C, with `lines_off` lines fewer than the scenario has."""
    q = queue(scenario, exponential=True)
    return theory.mmc_wq(q.arrival_rate_h, q.service_rate_h, q.servers - lines_off)


def one_fast_line_wait(scenario: flexsim.Scenario) -> float:
    """Wrong model: the c lines as one line c times as fast (M/M/1 with rate cμ)."""
    q = queue(scenario, exponential=True)
    return theory.mm1_wq(q.arrival_rate_h, q.servers * q.service_rate_h)


def md1_wait(scenario: flexsim.Scenario) -> float:
    """M/D/1 Wq (h)."""
    q = queue(scenario, servers=1, deterministic=True)
    return theory.md1_wq(q.arrival_rate_h, q.service.mean)


def mm1_formula_on_md1(scenario: flexsim.Scenario) -> float:
    """Wrong model: the M/M/1 wait at the M/D/1 scenario's ρ (exponential service)."""
    q = queue(scenario, servers=1, deterministic=True)
    return theory.mm1_wq(q.arrival_rate_h, q.service_rate_h)


def pk_wait(scenario: flexsim.Scenario) -> float:
    """M/G/1 Wq (h) by Pollaczek-Khinchine, S = changeover + quantity × one unit-time draw."""
    q = queue(scenario, servers=1)
    return theory.mg1_wq(q.arrival_rate_h, q.service.mean, q.service.second)


def pk_wait_without_changeover(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with S = quantity × unit time, no changeover."""
    q = queue(scenario, servers=1)
    s = theory.order_service_moments(Moments(0.0, 0.0), q.quantity, q.unit_time)
    return theory.mg1_wq(q.arrival_rate_h, s.mean, s.second)


def pk_wait_per_piece(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with an independent unit-time draw per piece."""
    q = queue(scenario, servers=1)
    s = theory.per_piece_service_moments(q.changeover, q.quantity, q.unit_time)
    return theory.mg1_wq(q.arrival_rate_h, s.mean, s.second)


def pk_wait_without_repairs(scenario: flexsim.Scenario) -> float:
    """Wrong model: Pollaczek-Khinchine with the nominal service time, as if nothing failed."""
    return pk_wait(scenario.with_overrides({"factories.0.lines.0.breakdowns": None}))


def rho(scenario: flexsim.Scenario, slower: float = 1.0, lines_off: int = 0) -> float:
    """Busy share of each line, ρ = λE[S]/c; the keywords make wrong models."""
    q = queue(scenario)
    return theory.utilisation(q.arrival_rate_h, q.service.mean * slower, q.servers - lines_off)


def rho_without_changeover(scenario: flexsim.Scenario) -> float:
    """Wrong model: ρ counting processing only, λE[Q]E[U]."""
    q = queue(scenario, servers=1)
    return theory.utilisation(q.arrival_rate_h, q.quantity.mean * q.unit_time.mean)


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
            service = theory.order_service_moments(
                Moments(0, 0), Moments.of(customer.quantity), unit
            )
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
    return theory.polling_weighted_wait(rates, services, switchover, gated)


def symmetric_polling(scenario: flexsim.Scenario, gated: bool | None = None) -> float:
    """Mean wait (h) of a symmetric polling line by Takagi's formula, for its discipline or,
    as a wrong model, the other one."""
    rates, services, switchover = polling_system(scenario)
    if gated is None:
        gated = scenario.factories[0].lines[0].dispatch == "cyclic_gated"
    n = len(rates)
    return theory.symmetric_polling_wait(
        n, rates[0], services[0], Moments.constant(switchover.mean / n), gated
    )


def jackson_sojourn(scenario: flexsim.Scenario, slower: float = 1.0) -> float:
    """Stations in series as independent M/M/1 queues (Jackson): W = Σᵢ 1/(μᵢ − λ) (h);
    `slower` stretches every station's mean service time (a wrong model when ≠ 1)."""
    tandem = theory.tandem_model(scenario)
    if not tandem.exponential:
        raise NotAQueue(f"{scenario.name}: a station's service time is not exponential")
    rates = [1 / (station.mean * slower) for station in tandem.stations]
    return theory.tandem_sojourn(tandem.arrival_rate_h, rates)


def queue_at_the_bottleneck_only(scenario: flexsim.Scenario) -> float:
    """Wrong model: orders queue only at the busiest station (its M/M/1 sojourn) and pass
    the others in their bare service time (h)."""
    tandem = theory.tandem_model(scenario)
    lam = tandem.arrival_rate_h
    slowest = max(tandem.stations, key=lambda station: station.mean)
    others = sum(s.mean for s in tandem.stations) - slowest.mean
    return theory.mm1_sojourn(lam, 1 / slowest.mean) + others


def one_line_for_all_steps(scenario: flexsim.Scenario) -> float:
    """Wrong model: one line making every step of an order in one go, an M/G/1 queue with
    S = S₁ + S₂ + … (independent steps); its mean wait plus E[S] (h)."""
    tandem = theory.tandem_model(scenario)
    mean = sum(s.mean for s in tandem.stations)
    second = mean**2 + sum(s.variance for s in tandem.stations)
    return theory.mg1_wq(tandem.arrival_rate_h, mean, second) + mean


def bulk_wait(scenario: flexsim.Scenario, more: int = 0) -> float:
    """M/M^[1,K]/1 Wq (h), from the root of its characteristic equation; with `more`, for
    batches of K + more (a wrong model)."""
    bulk = theory.bulk_model(scenario)
    return theory.bulk_service_wq(bulk.arrival_rate_h, bulk.service_rate_h, bulk.max_orders + more)


def one_fast_server_for_batches(scenario: flexsim.Scenario) -> float:
    """Wrong model: the table as one server K times as fast (M/M/1 at rate Kμ)."""
    bulk = theory.bulk_model(scenario)
    return theory.mm1_wq(bulk.arrival_rate_h, bulk.max_orders * bulk.service_rate_h)


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
    """One check: a scenario, a measured quantity (a key of QUANTITIES) and its theory."""

    name: str
    scenario: str  # a file in experiments/validation/ (*.toml) or a built-in scenario name
    measure: str
    theory: Theory
    controls: tuple[Control, ...] = ()

    def measures(self) -> list[str]:
        return [self.measure, *(c.measure for c in self.controls if c.measure)]


SLOWER = 1.1  # "service 10 % slower"
CASES: tuple[Case, ...] = (
    Case("M/M/1", "mm1.toml", "wait_h", mm1_wait,
         (Control("service 10 % slower", lambda s: mm1_wait(s, SLOWER)),)),
    Case("M/M/1", "mm1.toml", "busy", rho,
         (Control("service 10 % slower", lambda s: rho(s, SLOWER)),)),
    Case("M/M/3", "mmc.toml", "wait_h", mmc_wait,
         (Control("one line 3 times as fast (M/M/1, rate cμ)", one_fast_line_wait),
          Control("Erlang C for c − 1 lines", lambda s: mmc_wait(s, lines_off=1)))),
    Case("M/M/3", "mmc.toml", "busy", rho,
         (Control("c − 1 lines", lambda s: rho(s, lines_off=1)),)),
    Case("M/D/1", "md1.toml", "wait_h", md1_wait, (Control("M/M/1 formula", mm1_formula_on_md1),)),
    Case("M/D/1", "md1.toml", "busy", rho,
         (Control("service 10 % slower", lambda s: rho(s, SLOWER)),)),
    Case("M/G/1 changeover + Q·U", "mg1.toml", "wait_h", pk_wait,
         (Control("Pollaczek-Khinchine without the changeover", pk_wait_without_changeover),
          Control("one unit-time draw per piece", pk_wait_per_piece))),
    Case("M/G/1 changeover + Q·U", "mg1.toml", "busy", rho,
         (Control("ρ without the changeover", rho_without_changeover),)),
    Case("Polling, symmetric, exhaustive", "polling_exhaustive.toml", "wait_h", symmetric_polling,
         (Control("the gated formula", lambda s: symmetric_polling(s, gated=True)),)),
    Case("Polling, symmetric, gated", "polling_gated.toml", "wait_h", symmetric_polling,
         (Control("the exhaustive formula", lambda s: symmetric_polling(s, gated=False)),)),
    Case("Polling, asymmetric, exhaustive", "polling_asymmetric_exhaustive.toml", "polling_h",
         polling_law,
         (Control("the law for gated service", lambda s: polling_law(s, gated=True)),)),
    Case("Polling, asymmetric, gated", "polling_asymmetric_gated.toml", "polling_h", polling_law,
         (Control("the law for exhaustive service", lambda s: polling_law(s, gated=False)),)),
    Case("Breakdowns, M/G/1", "breakdowns.toml", "wait_h", pk_wait,
         (Control("Pollaczek-Khinchine without the repairs", pk_wait_without_repairs),)),
    Case("Tandem (Jackson), two M/M/1 stations", "tandem.toml", "sojourn_h", jackson_sojourn,
         (Control("service 10 % slower", lambda s: jackson_sojourn(s, SLOWER)),
          Control("a queue at the bottleneck only", queue_at_the_bottleneck_only),
          Control("one line making both steps (M/G/1)", one_line_for_all_steps))),
    Case("Bulk service M/M^[1,2]/1", "bulk.toml", "wait_h", bulk_wait,
         (Control("one server K times as fast (M/M/1, rate Kμ)", one_fast_server_for_batches),
          Control("batches of K + 1", lambda s: bulk_wait(s, more=1)))),
    Case("Bulk service M/M^[1,4]/1", "bulk4.toml", "wait_h", bulk_wait,
         (Control("one server K times as fast (M/M/1, rate Kμ)", one_fast_server_for_batches),
          Control("batches of K + 1", lambda s: bulk_wait(s, more=1)))),
    Case("Little's law, tao-factory", "tao-factory", "little", one,
         (Control("W to delivery (transit counted in)", one, "little_transit"),)),
    Case("Little's law, routed tao-factory (cut → sew → finish)", ROUTED_TAO, "little", one,
         (Control("W to delivery (transit counted in)", one, "little_transit"),)),
)  # fmt: skip


def load(ref: str, overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
    """A case scenario with the keys it needs set, then `overrides` (the tests' horizons)."""
    source = str(SCENARIOS / ref) if ref.endswith(".toml") else BASES.get(ref, ref)
    return flexsim.load(source, OVERRIDES.get(ref, {}) | (overrides or {}) or None)


# ── running and checking ─────────────────────────────────────────────────────────────────

Overrides = dict[str, dict[str, Any]]  # scenario → dotted keys set on top of its own


def simulate(
    cases: Sequence[Case],
    replications: int,
    *,
    seed: int = SEED,
    overrides: Overrides | None = None,
    jobs: int | None = 1,
    progress: bool = False,
) -> dict[str, ExperimentResult]:
    """Each scenario of `cases` replicated once, measuring every quantity its cases need."""
    needed: dict[str, list[str]] = {}
    for case in cases:
        names = needed.setdefault(case.scenario, [])
        names += [name for name in case.measures() if name not in names]
    results = {}
    for ref, names in tqdm(needed.items(), desc="validation scenarios", disable=not progress):
        measures = {name: QUANTITIES[name].of for name in names}
        scenario = load(ref, (overrides or {}).get(ref))
        result = replicate(scenario, replications, seed=seed, measures=measures, jobs=jobs)
        if result.failed:  # a run that raised: the study must not pass on the others
            raise RuntimeError(f"{ref}, seed {result.failed[0].seed}: {result.failed[0].error}")
        results[ref] = result
    return results


def evaluate(
    cases: Sequence[Case],
    results: dict[str, ExperimentResult],
    overrides: Overrides | None = None,
    max_relative_half_width: float = MAX_RELATIVE_HALF_WIDTH,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The summary, one row per case: its interval, the theory and whether the interval covers
    it narrowly enough to mean it; the negative controls, one row per wrong model: whether the
    case's interval (or another quantity's of the same runs) rejects it."""
    rows, controls = [], []
    for case in cases:
        scenario = load(case.scenario, (overrides or {}).get(case.scenario))
        runs = results[case.scenario].runs
        row = _row(case, case.measure, case.theory(scenario), mean_interval(runs[case.measure]))
        narrow = row["relative_half_width"] <= max_relative_half_width
        rows.append(row | {"passed": row["covered"] and narrow})
        for control in case.controls:
            measure = control.measure or case.measure
            row = _row(case, measure, control.theory(scenario), mean_interval(runs[measure]))
            controls.append(row | {"control": control.label, "rejected": not row["covered"]})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS), pd.DataFrame(controls, columns=CONTROLS)


SUMMARY_COLUMNS = ["case", "quantity", "theory", "simulated_mean", "ci_low", "ci_high",
                   "relative_half_width", "replications", "passed"]  # fmt: skip
CONTROLS = ["case", "quantity", "control", "theory", "simulated_mean", "ci_low", "ci_high",
            "replications", "rejected"]  # fmt: skip


def _row(case: Case, measure: str, value: float, interval: Interval) -> dict[str, Any]:
    return {
        "case": case.name,
        "quantity": QUANTITIES[measure].label,
        "theory": value,
        "simulated_mean": interval.mean,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "relative_half_width": interval.relative_half_width,
        "replications": interval.n,
        "covered": interval.covers(value),
    }


# ── writing ──────────────────────────────────────────────────────────────────────────────


def markdown(summary: pd.DataFrame, controls: pd.DataFrame, seeds: str) -> str:
    """summary.md: both tables, readable, with what the columns mean."""
    lines = [
        "# Validation against queueing theory",
        "",
        "Rebuilt by `python -m experiments.validation`; docs/validation.md explains every case. "
        f"Each interval is a Student-t {LEVEL * 100:g} % interval over the replications (seeds "
        f"{seeds}); a case passes when it covers the theory and its relative half-width is at "
        f"most {MAX_RELATIVE_HALF_WIDTH * 100:g} %.",
        "",
        "| case | quantity | theory | simulated mean | 95 % interval | ± | runs | passed |",
        "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for r in summary.to_dict(orient="records"):
        lines.append(
            f"| {r['case']} | {r['quantity']} | {_num(r['theory'])} | {_num(r['simulated_mean'])} "
            f"| [{_num(r['ci_low'])}, {_num(r['ci_high'])}] | "
            f"{r['relative_half_width'] * 100:.1f} % | {r['replications']} | "
            f"{'pass' if r['passed'] else '**FAIL**'} |"
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
    for r in controls.to_dict(orient="records"):
        lines.append(
            f"| {r['case']} | {r['quantity']} | {r['control']} | {_num(r['theory'])} | "
            f"{_num(r['simulated_mean'])} | [{_num(r['ci_low'])}, {_num(r['ci_high'])}] | "
            f"{'yes' if r['rejected'] else '**NO**'} |"
        )
    return "\n".join(lines) + "\n"


def _num(cell: Any) -> str:
    value = float(cell)
    if math.isinf(value):
        return "∞ (unstable)"
    return f"{value:#.4g}" if abs(value) < 100 else f"{value:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        "python -m experiments.validation", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="N")
    parser.add_argument("--seed", type=int, default=SEED, metavar="S")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be at least 2 (an interval needs two)")
    if args.seed < 0 or args.jobs < 1:
        parser.error("--seed must be at least 0 and --jobs at least 1")
    started = time.perf_counter()
    results = simulate(CASES, args.replications, seed=args.seed, jobs=args.jobs, progress=True)
    summary, controls = evaluate(CASES, results)
    seeds = f"{args.seed} … {args.seed + args.replications - 1}"
    manifest = {
        "command": " ".join(["python -m experiments.validation", *(argv or sys.argv[1:])]),
        "seed": args.seed,
        "replications": args.replications,
        "level": LEVEL,
        "max_relative_half_width": MAX_RELATIVE_HALF_WIDTH,
        "scenarios": {  # the digest pins the scenario as run and the replications' settings
            ref: {"overrides": OVERRIDES.get(ref, {}), "digest": result.experiment.digest}
            for ref, result in results.items()
        },
        "jobs": args.jobs,
        **provenance(),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "summary.csv", summary.to_csv(index=False))
    write_text(args.out / "controls.csv", controls.to_csv(index=False))
    write_text(args.out / "summary.md", markdown(summary, controls, seeds))
    write_text(args.out / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    print(markdown(summary, controls, seeds))
    passed, rejected = int(summary["passed"].sum()), int(controls["rejected"].sum())
    print(
        f"{passed}/{len(summary)} cases passed, {rejected}/{len(controls)} controls rejected; "
        f"written to {args.out}"
    )
    return 0 if passed == len(summary) and rejected == len(controls) else 1


if __name__ == "__main__":
    sys.exit(main())
