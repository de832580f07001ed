"""Behaviour tests: a change that must help does help, shown as a paired difference with a
95 % interval over replications on common random numbers (each seed runs both variants)."""

from __future__ import annotations

from typing import Any

import flexsim
from flexsim.metrics import finished_orders
from flexsim.stats import paired_difference

SEEDS = range(10)


def factory(lines: list[dict[str, Any]], customer: dict[str, Any], **top: Any) -> flexsim.Scenario:
    return flexsim.Scenario.model_validate(
        {
            "name": "behaviour",
            "horizon_days": 400,
            "warmup_days": 40,
            "factories": [{"name": "f", "lines": lines}],
            "customers": [{"name": "c", "factory": "f", **customer}],
            **top,
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


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEK = {"shifts": [{"days": WEEKDAYS, "start": "08:00", "end": "17:00"}]}


def lateness_h(result: flexsim.RunResult, scenario: flexsim.Scenario) -> float:
    done = finished_orders(result.tables["orders"], scenario.warmup_h)
    return float((done["finished_at"] - done["due_at"]).clip(lower=0).mean())


def test_overtime_lowers_lateness() -> None:
    """A shift line (45 open hours a week) loaded to 95 % of them: overtime when the backlog is
    long cuts the mean hours by which orders finish after their due date."""
    line = LINE | {"calendar": "week", "unit_time_h": {"dist": "exponential", "mean": 0.5}}
    per_week = 0.95 * 45 / 0.5
    orders = ORDERS | {"interarrival_days": {"dist": "exponential", "mean": 7 / per_week}}
    orders |= {"due_days": 3}
    plain = factory([line], orders, calendars={"week": WEEK})
    overtime = {"hours_per_day": 3, "hours_per_month": 40, "backlog_h": 4}
    extra = plain.with_overrides({"factories.0.lines.0.overtime": overtime})
    difference = paired(lateness_h, extra, plain)
    assert difference.high < 0, difference


def test_ordered_fabric_lengthens_lead_time() -> None:
    """Fabric ordered from a supplier (3-7 days) instead of taken from stock lengthens the
    mean lead time, and by no more than its mean lead (waiting for fabric overlaps queueing)."""
    stock = factory([LINE], ORDERS)
    fabric = {"in_stock_probability": 0.0, "lead_days": {"dist": "uniform", "low": 3, "high": 7}}
    ordered = stock.with_overrides({"factories.0.fabric": fabric})
    difference = paired(mean_lead_time, ordered, stock)
    assert difference.low > 0 and difference.high < 5 * 24 + 1, difference
