"""Behaviour tests: a change that must help does help, shown as a paired difference with a
95 % interval over replications on common random numbers (each seed runs both variants)."""

from __future__ import annotations

from typing import Any

import flexsim
from flexsim.metrics import finished_orders
from flexsim.stats import paired_difference

SEEDS = range(10)


def factory(lines: list[dict[str, Any]], customer: dict[str, Any]) -> flexsim.Scenario:
    return flexsim.Scenario.model_validate(
        {
            "name": "behaviour",
            "horizon_days": 400,
            "warmup_days": 40,
            "factories": [{"name": "f", "lines": lines}],
            "customers": [{"name": "c", "factory": "f", **customer}],
        }
    )


def paired(metric: Any, treatment: flexsim.Scenario, baseline: flexsim.Scenario) -> Any:
    return paired_difference(
        [metric(flexsim.run(treatment, seed), treatment) for seed in SEEDS],
        [metric(flexsim.run(baseline, seed), baseline) for seed in SEEDS],
    )


def mean_lead_time(result: flexsim.RunResult, scenario: flexsim.Scenario) -> float:
    return float(finished_orders(result.tables["orders"], scenario.warmup_h)["lead_time_h"].mean())


def throughput(result: flexsim.RunResult, scenario: flexsim.Scenario) -> float:
    return float(len(finished_orders(result.tables["orders"], scenario.warmup_h)))


LINE = {"name": "l1", "unit_time_h": {"dist": "exponential", "mean": 2.0}}
ORDERS = {"interarrival_days": {"dist": "exponential", "mean": 2.2 / 24}, "quantity": 1}


def test_more_lines_never_lengthen_lead_time() -> None:
    one = factory([LINE], ORDERS)
    two = factory([LINE, LINE | {"name": "l2"}], ORDERS)
    difference = paired(mean_lead_time, two, one)
    assert difference.high < 0, difference


def test_shorter_changeover_raises_throughput_under_load() -> None:
    """A line that cannot keep up (every order a new item, changeover included) makes more
    orders in the same time when its changeover is shorter."""
    orders = ORDERS | {"families": {"a": 1, "b": 1}, "styles_per_family": 50}
    slow = factory([LINE | {"changeover_h": {"same_family": 1.0, "other_family": 2.0}}], orders)
    quick = factory([LINE | {"changeover_h": {"same_family": 0.2, "other_family": 0.5}}], orders)
    difference = paired(throughput, quick, slow)
    assert difference.low > 0, difference
