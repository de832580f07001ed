"""Behaviour tests of a factory line: changeovers, processing time, shifts, dispatching."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import flexsim


def one_line(line: dict[str, Any], customer: dict[str, Any], **top: Any) -> flexsim.Scenario:
    data = {
        "name": "test",
        "horizon_days": 200,
        "warmup_days": 0,
        "factories": [{"name": "f", "lines": [{"name": "l", **line}]}],
        "customers": [{"name": "c", "factory": "f", **customer}],
        **top,
    }
    return flexsim.Scenario.model_validate(data)


def finished(scenario: flexsim.Scenario, seed: int = 1) -> pd.DataFrame:
    orders = flexsim.run(scenario, seed).tables["orders"]
    return orders[orders["finished_at"].notna()].sort_values("setup_at", ignore_index=True)


def test_changeover_follows_item_and_family_of_previous_order() -> None:
    scenario = one_line(
        {"unit_time_h": 0.1, "changeover_h": {"same_family": 1.0, "other_family": 3.0}},
        {"interarrival_days": 0.5, "quantity": 10, "families": {"a": 1, "b": 1}}
        | {"styles_per_family": 2},
    )
    orders = finished(scenario)
    previous = orders.shift(1)
    expected = np.where(
        previous["item"].isna() | (orders["item"] == previous["item"]),
        "none",
        np.where(orders["family"] == previous["family"], "same_family", "other_family"),
    )
    assert (orders["changeover"] == expected).all()
    assert set(expected) == {"none", "same_family", "other_family"}
    hours = {"none": 0.0, "same_family": 1.0, "other_family": 3.0}
    took = orders["start_at"] - orders["setup_at"]
    assert np.allclose(took, orders["changeover"].map(hours))


def test_same_item_back_to_back_needs_no_changeover() -> None:
    scenario = one_line(
        {"unit_time_h": 0.1, "changeover_h": {"same_family": 1.0, "other_family": 3.0}},
        {"interarrival_days": 0.5, "quantity": 10},
    )
    assert (finished(scenario)["changeover"] == "none").all()


def test_processing_time_is_quantity_times_one_unit_time_draw() -> None:
    """With an exponential unit time the per-piece time of an order keeps cv 1; one draw per
    piece would shrink it to 1/sqrt(quantity)."""
    scenario = one_line(
        {"unit_time_h": {"dist": "exponential", "mean": 0.01}},
        {"interarrival_days": 1.0, "quantity": 100},
    )
    orders = finished(scenario)
    per_piece = (orders["finished_at"] - orders["start_at"]) / orders["quantity"]
    cv = per_piece.std() / per_piece.mean()
    assert per_piece.mean() == pytest.approx(0.01, rel=0.15)
    assert 0.8 < cv < 1.2


def test_work_pauses_off_shift_and_resumes_next_open_window() -> None:
    """Day shift Mon-Fri 08:00-17:00 with lunch 12:00-13:00; an order of 10 h placed on day 100
    (a Wednesday 00:00) waits to 08:00, works 4 h + 4 h on Wednesday and 2 h on Thursday."""
    scenario = one_line(
        {"unit_time_h": 1.0, "calendar": "day"},
        {"interarrival_days": 100, "quantity": 10},
        start_date="2026-01-05",
        calendars={
            "day": {"shifts": [{"start": "08:00", "end": "17:00", "breaks": ["12:00-13:00"]}]}
        },
    )
    first = finished(scenario).iloc[0]
    placed = first["placed_at"]  # day 100 = a Wednesday 00:00 (100 = 14 weeks + 2 days)
    assert placed == 100 * 24
    assert first["setup_at"] == placed + 8
    assert first["finished_at"] == placed + 24 + 10  # Thursday 10:00


def test_order_placed_on_saturday_starts_monday_morning() -> None:
    scenario = one_line(
        {"unit_time_h": 1.0, "calendar": "day"},
        {"interarrival_days": 5, "quantity": 1},  # day 5 = Saturday
        calendars={"day": {"shifts": [{"start": "08:00", "end": "17:00"}]}},
    )
    first = finished(scenario).iloc[0]
    assert first["placed_at"] == 5 * 24
    assert first["setup_at"] == 7 * 24 + 8
    assert first["finished_at"] == 7 * 24 + 9


@pytest.mark.parametrize("rule", ["fifo", "edd", "spt"])
def test_dispatch_rule_picks_its_order(rule: str) -> None:
    """A busy line (rho 0.9): each order it takes from a queue is the one its rule ranks first."""
    scenario = one_line(
        {"unit_time_h": {"dist": "exponential", "mean": 21.6 / 20.5}, "dispatch": rule},
        {
            "interarrival_days": {"dist": "exponential", "mean": 1.0},
            "quantity": {"dist": "uniform_int", "low": 1, "high": 40},
            "due_days": {"dist": "uniform", "low": 1, "high": 60},
        },
        horizon_days=120,
    )
    orders = finished(scenario)
    key = {"fifo": "placed_at", "edd": "due_at", "spt": "quantity"}[rule]
    checked = 0
    for _, order in orders.iterrows():
        later = orders["setup_at"] > order["setup_at"]
        waiting = orders[(orders["placed_at"] <= order["setup_at"]) & later]
        if len(waiting):
            assert order[key] <= waiting[key].min()
            checked += 1
    assert checked > 20


def test_changeover_matrix_replaces_other_family_for_the_pairs_it_names() -> None:
    """a → b takes 5 h by the matrix; b → a falls back to other_family (2 h)."""
    scenario = one_line(
        {
            "unit_time_h": 0.1,
            "changeover_h": {"other_family": 2.0, "between": {"a": {"b": 5.0}}},
            "changeover_cost": {"other_family": 10.0, "between": {"a": {"b": 50.0}}},
        },
        {"interarrival_days": 0.5, "quantity": 10, "families": {"a": 1, "b": 1}},
    )
    orders = finished(scenario)
    previous = orders["family"].shift(1)
    a_to_b = (previous == "a") & (orders["family"] == "b")
    b_to_a = (previous == "b") & (orders["family"] == "a")
    took = orders["start_at"] - orders["setup_at"]
    assert a_to_b.any() and b_to_a.any()
    assert np.allclose(took[a_to_b], 5.0) and np.allclose(took[b_to_a], 2.0)
    assert (orders.loc[a_to_b, "changeover_cost"] == 50.0).all()
    assert (orders.loc[b_to_a, "changeover_cost"] == 10.0).all()


def test_work_pauses_over_a_holiday_and_resumes_after_it() -> None:
    """Mon-Fri 08:00-17:00; day 1 (Tue) to day 7 (Mon) closed. A 10-hour order placed on day 0
    works 9 h on Monday and its last hour on Tuesday of the next week (day 8, 08:00-09:00)."""
    scenario = one_line(
        {"unit_time_h": 1.0, "calendar": "day"},
        {"interarrival_days": 0.001, "quantity": 10},  # the first order at 00:01:26
        start_date="2026-01-05",
        horizon_days=9,
        calendars={
            "day": {
                "shifts": [{"start": "08:00", "end": "17:00"}],
                "holidays": [{"first_day": "2026-01-06", "last_day": "2026-01-12"}],
            }
        },
    )
    first = finished(scenario).iloc[0]
    assert first["setup_at"] == 8
    assert first["finished_at"] == 8 * 24 + 9
