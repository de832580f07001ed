"""Behaviour tests: a change that must help does help, shown as a paired difference with a
95 % interval over replications on common random numbers (`compare` runs the scenario and its
variant on the same seeds)."""

from __future__ import annotations

from typing import Any

import pytest

import flexsim
from flexsim.experiment import Measure, compare
from flexsim.metrics import finished_orders

REPLICATIONS = 10
LEAD_TIME = "lead_time.offline.mean_h"  # of the orders placed after the warm-up and made
MADE = "lead_time.offline.n"  # how many orders that is
LATENESS = "lateness.mean_h"  # measured below


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


def paired(
    kpi: str, baseline: flexsim.Scenario, change: dict[str, Any], measure: Measure | None = None
) -> tuple[float, float]:
    """The 95 % interval (low, high) of the paired difference changed − baseline in `kpi`, a
    flat KPI name or the name of `measure`, over common random numbers."""
    measures = {kpi: measure} if measure else None
    result = compare(
        baseline, {"changed": change}, replications=REPLICATIONS, kpis=[kpi], measures=measures
    )
    return result.value("changed", kpi, "diff_low"), result.value("changed", kpi, "diff_high")


LINE = {"name": "l1", "unit_time_h": {"dist": "exponential", "mean": 2.0}}
ORDERS = {"interarrival_days": {"dist": "exponential", "mean": 2.2 / 24}, "quantity": 1}


def test_more_lines_never_lengthen_lead_time() -> None:
    one = factory([LINE], ORDERS)
    low, high = paired(LEAD_TIME, one, {"factories.0.lines": [LINE, LINE | {"name": "l2"}]})
    assert high < 0, (low, high)


def test_shorter_changeover_raises_throughput_under_load() -> None:
    """A line that cannot keep up (every order a new item, changeover included) makes more
    orders in the same time when its changeover is shorter."""
    orders = ORDERS | {"families": {"a": 1, "b": 1}, "styles_per_family": 50}
    slow = factory([LINE | {"changeover_h": {"same_family": 1.0, "other_family": 2.0}}], orders)
    quick = {"factories.0.lines.0.changeover_h": {"same_family": 0.2, "other_family": 0.5}}
    low, high = paired(MADE, slow, quick)
    assert low > 0, (low, high)


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEK = {"shifts": [{"days": WEEKDAYS, "start": "08:00", "end": "17:00"}]}


def lateness_h(result: flexsim.RunResult) -> float:
    """Mean hours by which the orders placed after the warm-up finished after their due date."""
    done = finished_orders(result.tables["orders"], result.scenario.warmup_h)
    return float((done["finished_at"] - done["due_at"]).clip(lower=0).mean())


@pytest.mark.slow  # paired runs: 5-7 s
def test_overtime_lowers_lateness() -> None:
    """A shift line (45 open hours a week) loaded to 95 % of them: overtime when the backlog is
    long cuts the mean hours by which orders finish after their due date."""
    line = LINE | {"calendar": "week", "unit_time_h": {"dist": "exponential", "mean": 0.5}}
    per_week = 0.95 * 45 / 0.5
    orders = ORDERS | {"interarrival_days": {"dist": "exponential", "mean": 7 / per_week}}
    orders |= {"due_days": 3}
    plain = factory([line], orders, calendars={"week": WEEK})
    overtime = {"hours_per_day": 3, "hours_per_month": 40, "backlog_h": 4}
    low, high = paired(LATENESS, plain, {"factories.0.lines.0.overtime": overtime}, lateness_h)
    assert high < 0, (low, high)


def test_ordered_fabric_lengthens_lead_time() -> None:
    """Fabric ordered from a supplier (3-7 days) instead of taken from stock lengthens the
    mean lead time, and by no more than its mean lead (waiting for fabric overlaps queueing)."""
    stock = factory([LINE], ORDERS)
    fabric = {"in_stock_probability": 0.0, "lead_days": {"dist": "uniform", "low": 3, "high": 7}}
    low, high = paired(LEAD_TIME, stock, {"factories.0.fabric": fabric})
    assert low > 0 and high < 5 * 24 + 1, (low, high)
