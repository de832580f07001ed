"""Factory depth: capacity booking and quotes, fabric, overtime, unit times per family and the
family-batching rule; each checked against a number computed independently of the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import flexsim
from flexsim.metrics import finished_orders, utilisation
from flexsim.model.rules import family_batching, fifo
from flexsim.scenario import build_calendar

DAY = 24.0
WEEKDAYS = {
    "shifts": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]
}


def scenario(
    lines: list[dict[str, Any]],
    customer: dict[str, Any],
    factory: dict[str, Any] | None = None,
    **top: Any,
) -> flexsim.Scenario:
    return flexsim.Scenario.model_validate(
        {
            "name": "depth",
            "horizon_days": 200,
            "warmup_days": 20,
            "calendars": {"week": WEEKDAYS},
            "factories": [{"name": "f", "lines": lines, **(factory or {})}],
            "customers": [{"name": "c", "factory": "f", **customer}],
            **top,
        }
    )


# -- capacity booking ---------------------------------------------------------------------

DETERMINISTIC = {
    "interarrival_days": {"dist": "exponential", "mean": 0.3},
    "quantity": {"dist": "uniform_int", "low": 5, "high": 15},
    "families": {"a": 1, "b": 1},
    "styles_per_family": 3,
    "due_days": 60,
}
CHANGEOVER = {"same_family": 0.5, "other_family": 1.5}


@pytest.mark.parametrize("lines", [1, 2])
def test_quotes_are_exact_when_nothing_is_random_but_arrivals(lines: int) -> None:
    """With deterministic unit times, fifo lines and changeovers known in advance, the booked
    schedule is what happens: every order finishes exactly at its quote, on shift calendars
    and with one line or two (each order bound to the line that quoted earliest)."""
    line = {"unit_time_h": 0.5, "calendar": "week", "changeover_h": CHANGEOVER}
    spec = scenario(
        [line | {"name": f"l{i}"} for i in range(lines)],
        DETERMINISTIC,
        {"booking": {"horizon_days": 60}},
    )
    orders = flexsim.run(spec, seed=3).tables["orders"]
    done = orders[orders["finished_at"].notna()]
    assert len(done) > 200 and orders["quote_at"].notna().all()
    assert np.allclose(done["finished_at"], done["quote_at"], rtol=0, atol=1e-6)
    if lines == 2:
        assert set(done["line"]) == {"l0", "l1"}


def test_quotes_are_not_exact_when_unit_times_vary() -> None:
    """The control: the same plant with random unit times of the same mean misses its quotes
    (the quote is an expectation), so the exactness above is not a tautology."""
    line = {
        "name": "l",
        "unit_time_h": {"dist": "lognormal", "mean": 0.5, "cv": 0.3},
        "calendar": "week",
        "changeover_h": CHANGEOVER,
    }
    spec = scenario([line], DETERMINISTIC, {"booking": {"horizon_days": 60}})
    orders = flexsim.run(spec, seed=3).tables["orders"]
    done = orders[orders["finished_at"].notna()]
    error = done["finished_at"] - done["quote_at"]
    assert (error.abs() > 1e-3).mean() > 0.5 and (error > 1e-3).any() and (error < -1e-3).any()


BUSY = {
    "interarrival_days": {"dist": "exponential", "mean": 0.25},
    "quantity": 10,
    "due_days": 3,
}


def test_refusals_by_reason_follow_the_buyers_and_the_horizon() -> None:
    """Under overload a short horizon refuses for capacity (each such quote lies beyond it);
    buyers who always take a later date refuse nothing late, buyers who never do refuse every
    late quote."""
    line = {"name": "l", "unit_time_h": 0.7, "calendar": "week"}

    def refusals(**channel: Any) -> pd.DataFrame:
        spec = scenario(
            [line],
            BUSY,
            {"booking": {"horizon_days": 20}},
            channels={"offline": channel},
        )
        orders = flexsim.run(spec, seed=5).tables["orders"]
        return orders

    never = refusals(accept_later_probability=0.0)
    always = refusals(accept_later_probability=1.0, accept_later_days=1000)
    capacity = always[always["reason"] == "no_capacity"]
    assert len(capacity) > 0
    assert (capacity["quote_at"] > capacity["placed_at"] + 20 * DAY).all()
    assert (always["reason"] != "late_quote").all()
    accepted = never[never["status"] != "refused"]
    assert (accepted["quote_at"] <= accepted["due_at"]).all()
    late = never[never["reason"] == "late_quote"]
    assert len(late) > 0 and (late["quote_at"] > late["due_at"]).all()


def test_capacity_table_matches_the_calendar_and_never_overbooks() -> None:
    line = {"name": "l", "unit_time_h": 0.7, "calendar": "week"}
    spec = scenario([line], BUSY, {"booking": {"horizon_days": 10}})
    result = flexsim.run(spec, seed=2)
    capacity = result.tables["capacity"]
    calendar = build_calendar(spec.calendars["week"], spec.start_date)
    expected = [calendar.open_hours(d, d + DAY) for d in capacity["day_at"]]
    assert np.allclose(capacity["open_h"], expected)
    assert (capacity["booked_h"] <= capacity["open_h"] + 1e-9).all()
    assert (capacity["booked_h"] >= 0).all()
    assert len(capacity) == 10 * spec.horizon_days  # 10 days ahead, published daily
    # under overload the next days are fully booked most of the time
    tomorrow = capacity[(capacity["day_at"] == capacity["at"] + DAY) & (capacity["open_h"] > 0)]
    assert (tomorrow["booked_h"] == tomorrow["open_h"]).mean() > 0.5


# -- fabric -------------------------------------------------------------------------------


def test_ordered_fabric_waits_its_lead_time() -> None:
    """Orders whose fabric is ordered join the queue after its lead time: fabric_at −
    placed_at is the lead-time draw (uniform 4-6 days), the share ordered is 1 − the stock
    probability, and no order starts before its fabric is in."""
    line = {"name": "l", "unit_time_h": 0.1}
    fabric = {"in_stock_probability": 0.3, "lead_days": {"dist": "uniform", "low": 4, "high": 6}}
    spec = scenario([line], BUSY, {"fabric": fabric})
    orders = flexsim.run(spec, seed=1).tables["orders"]
    wait = (orders["fabric_at"] - orders["placed_at"]) / DAY
    ordered = wait[wait > 0]
    assert ordered.between(4, 6).all()
    assert abs(ordered.mean() - 5) < 0.1
    share = len(ordered) / len(wait)
    assert abs(share - 0.7) < 3 * (0.7 * 0.3 / len(wait)) ** 0.5
    started = orders[orders["setup_at"].notna()]
    assert (started["setup_at"] >= started["fabric_at"]).all()


# -- overtime -----------------------------------------------------------------------------

OVERTIME = {"hours_per_day": 3, "hours_per_month": 20, "backlog_h": 5, "premium_per_hour": 100}


def test_overtime_is_worked_up_to_the_monthly_allowance_and_paid() -> None:
    """Under overload the line works overtime every month, only in the hours its calendar
    extended by the overtime has and its own has not, never much more than the allowance (the
    order started inside it may run on), and the premium paid is the overtime hours times the
    premium."""
    line = {"name": "l", "unit_time_h": 0.7, "calendar": "week", "overtime": OVERTIME}
    spec = scenario([line], BUSY)
    result = flexsim.run(spec, seed=4)
    states = result.tables["line_states"]
    until = states["at"].shift(-1).fillna(spec.horizon_h)
    hours = (until - states["at"])[states["overtime"]]
    normal = build_calendar(spec.calendars["week"], spec.start_date)
    extended = build_calendar(spec.calendars["week"], spec.start_date, OVERTIME["hours_per_day"])
    for at, stop in zip(states.loc[hours.index, "at"], until[hours.index], strict=True):
        middle = (at + stop) / 2  # each overtime span lies after the shift, within the extension
        assert not normal.is_open(middle) and extended.is_open(middle)
    month = (pd.Timestamp(spec.start_date) + pd.to_timedelta(states["at"], "h")).dt.month
    per_month = hours.groupby(month[states["overtime"]]).sum()
    assert len(per_month) >= 6
    assert (per_month >= OVERTIME["hours_per_month"]).mean() > 0.5  # the allowance is used
    assert per_month.max() <= OVERTIME["hours_per_month"] + 7  # and not run far over
    ledger = result.tables["ledger"]
    paid = ledger[(ledger["reason"] == "overtime") & (ledger["party"] == "factory/f")]
    assert paid["amount"].sum() == pytest.approx(hours.sum() * OVERTIME["premium_per_hour"])
    shares = utilisation(states, 0, spec.horizon_h)
    assert shares.loc[("f", "l"), "overtime_h"] == pytest.approx(hours.sum())


def test_no_overtime_without_a_backlog() -> None:
    """A lightly loaded line never has more waiting work than the threshold."""
    line = {"name": "l", "unit_time_h": 0.1, "calendar": "week"}
    light = BUSY | {"interarrival_days": {"dist": "exponential", "mean": 2.0}}
    spec = scenario([line | {"overtime": OVERTIME | {"backlog_h": 50}}], light)
    states = flexsim.run(spec, seed=4).tables["line_states"]
    assert not states["overtime"].any()


# -- lines -------------------------------------------------------------------------------


def test_unit_time_per_family_and_efficiency_set_processing_time() -> None:
    """Processing hours are quantity × the family's unit time ÷ efficiency, exactly."""
    line = {
        "name": "l",
        "unit_time_h": 9.0,  # never used: both families have their own
        "unit_time_by_family": {"a": 0.2, "b": 0.6},
        "efficiency": 0.8,
    }
    customer = BUSY | {"families": {"a": 1, "b": 1}, "interarrival_days": 1.0}
    orders = flexsim.run(scenario([line], customer), seed=1).tables["orders"]
    done = finished_orders(orders, 0)
    unit = done["family"].map({"a": 0.2, "b": 0.6})
    assert set(done["family"]) == {"a", "b"}
    assert np.allclose(done["processing_h"], done["quantity"] * unit / 0.8)


def test_unit_time_by_family_must_name_a_family_of_the_line() -> None:
    with pytest.raises(ValueError, match="does not make family 'c'"):
        scenario(
            [{"name": "l", "unit_time_h": 1, "families": ["a"], "unit_time_by_family": {"c": 1}}],
            {"families": {"a": 1}},
        )


def test_overtime_needs_a_calendar_with_shifts() -> None:
    with pytest.raises(ValueError, match="always open"):
        scenario([{"name": "l", "unit_time_h": 1, "overtime": OVERTIME}], {})


class _Line:
    serves_all, visiting = True, ""

    def __init__(self, family: str | None) -> None:
        self.family = family

    def serves(self, order: Any) -> bool:
        return True


class _Order:
    def __init__(self, family: str) -> None:
        self.family = family


def test_family_batching_stays_on_the_family_then_takes_the_oldest() -> None:
    queue: Any = [_Order("b"), _Order("a"), _Order("b"), _Order("a")]
    assert family_batching(queue, _Line("a")) == 1
    assert family_batching(queue, _Line("b")) == 0
    assert family_batching(queue, _Line("c")) == 0  # none of its family: the oldest
    assert family_batching(queue, _Line(None)) == fifo(queue, _Line(None))
    assert family_batching([], _Line("a")) == -1
