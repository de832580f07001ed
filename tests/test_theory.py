"""Theory tests: the model reduced to textbook queues must match their formulas."""

from __future__ import annotations

from typing import Any

import pytest

import flexsim
from flexsim.experiment import replicate
from flexsim.stats import mean_interval

# 96 replications of ~16,000 orders: Wq's 95 % interval is about ±1.6 %. With 24 (seeds 0-23) the
# interval sat 2 standard errors above theory, which a 95 % interval does one time in twenty; a
# check on 48 more seeds (100-147) covered theory for λ, service time, ρ and Wq alike, and the
# test ran 48. When the unit times became each buyer's own stream (new numbers), seeds 0-47 sat
# 2.2 standard errors above (98.1 h, interval 96.2-99.9 h) while 192 seeds (0-191) covered it
# (96.4 h, 95.4-97.5 h; each block of 48 after the first covered it too), so it runs 96.
REPLICATIONS = 96
LAMBDA, MU = 0.8, 1.0  # orders and services per day in the built-in mm1 scenario
HOURS = 24.0
WAIT = "lead_time.offline.waiting_h"  # mean wait in queue of the orders placed after warm-up
BUSY = "utilisation.plant.line.processing"  # the line's processing share after warm-up


def mm1(overrides: dict[str, Any] | None = None) -> flexsim.Scenario:
    return flexsim.load_builtin("mm1", overrides)


def waits_and_busy(scenario: flexsim.Scenario) -> tuple[list[float], list[float]]:
    """Per replication: mean wait in queue (hours) and the line's processing share."""
    runs = replicate(scenario, REPLICATIONS, kpis=[WAIT, BUSY]).runs
    return runs[WAIT].tolist(), runs[BUSY].tolist()


def mm1_wq_h(lam: float, mu: float) -> float:
    """Mean wait in queue of M/M/1, Wq = ρ/(μ−λ), in hours for rates per day."""
    return (lam / mu) / (mu - lam) * HOURS


@pytest.fixture(scope="module")
def mm1_runs() -> tuple[list[float], list[float]]:
    return waits_and_busy(mm1())


@pytest.mark.slow
def test_single_line_matches_mm1_wait(mm1_runs: tuple[list[float], list[float]]) -> None:
    interval = mean_interval(mm1_runs[0])
    assert interval.relative_half_width <= 0.05, interval
    assert interval.covers(mm1_wq_h(LAMBDA, MU)), interval


@pytest.mark.slow
def test_single_line_utilisation_equals_rho(mm1_runs: tuple[list[float], list[float]]) -> None:
    interval = mean_interval(mm1_runs[1])
    assert interval.covers(LAMBDA / MU), interval


@pytest.mark.slow
def test_mm1_check_rejects_ten_percent_slower_service() -> None:
    """Negative control: the same check must fail for a model whose service is 10 % slower."""
    slower = mm1({"factories.plant.lines.line.unit_time_h": {"dist": "exponential", "mean": 26.4}})
    waits, _ = waits_and_busy(slower)
    assert not mean_interval(waits).covers(mm1_wq_h(LAMBDA, MU))


@pytest.mark.slow  # runs the default scenario's 725 days: 5-7 s
def test_littles_law_holds_on_default_scenario() -> None:
    """L = λW over the measured window, with L the time-average number of orders in the factory
    computed from the orders table, λ the arrival rate and W the mean time in the factory."""
    scenario = flexsim.load_builtin("tao-factory")
    orders = flexsim.run(scenario, seed=3).tables["orders"]
    start, end = scenario.warmup_h, scenario.horizon_h
    accepted = orders[orders["status"] != "refused"]
    left = accepted["finished_at"].fillna(end)
    overlap = left.clip(start, end) - accepted["placed_at"].clip(start, end)
    mean_in_system = overlap.sum() / (end - start)
    inside = accepted[(accepted["placed_at"] >= start) & (accepted["placed_at"] < end)]
    arrival_rate = len(inside) / (end - start)
    mean_time = (left[inside.index] - inside["placed_at"]).mean()
    assert mean_in_system == pytest.approx(arrival_rate * mean_time, rel=0.05)
