"""Demand signal tests: seasons, the life cycle in daily demand, the funnel, and the policies
that decide from signals (early_signal, presale). Each compares the model with what its
specification implies, or runs two policies on the same seeds (common random numbers)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import flexsim
from flexsim.experiment import compare
from flexsim.model.seasons import life_factor
from flexsim.scenario import LifeCycleSpec
from flexsim.stats import paired_difference
from flexsim.vocabulary import HOURS_PER_DAY

SELLERS_ONLY: dict[str, Any] = {
    "horizon_days": 240,
    "warmup_days": 60,
    "customers": [],
    "sellers.record_days": True,  # the tests read each seller's days
}
FUNNEL = {"sellers.funnel": {"conversion": 0.05, "favourite_share": 0.1}}
REPLICATIONS = 4


def run(overrides: dict[str, Any], seed: int) -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("tao-factory", SELLERS_ONLY | overrides), seed)


def test_life_factor_ramps_peaks_and_halves() -> None:
    spec = LifeCycleSpec(ramp_days=10, start_factor=0.2, peak_days=5, half_life_days=10)
    ages = np.array([0.0, 5.0, 10.0, 15.0, 25.0, 35.0])
    assert life_factor(spec, ages) == pytest.approx([0.2, 0.6, 1.0, 1.0, 0.5, 0.25])


def expected_daily_demand(result: flexsim.RunResult, cycle: LifeCycleSpec) -> pd.DataFrame:
    """Per seller-day: the observed demand and the sum over the seller's listed items of
    rate × life factor at the item's age, as the specification says."""
    items, days = result.tables["items"], result.tables["seller_days"]
    life_h = result.scenario.sellers.life_days * HOURS_PER_DAY
    rows = []
    for seller, mine in days.groupby("seller"):
        listed = items[(items["seller"] == seller) & items["listed_at"].notna()]
        at = mine["at"].to_numpy()[:, None]
        start = listed["listed_at"].to_numpy()[None, :]
        live = (start <= at) & (at < start + life_h)
        age = np.where(live, (at - start) / HOURS_PER_DAY, 0.0)
        rate = listed["rate"].to_numpy()[None, :] * life_factor(cycle, age) * live
        rows.append(pd.DataFrame({"observed": mine["demand"], "expected": rate.sum(axis=1)}))
    return pd.concat(rows)


def test_life_cycle_shape_is_seen_in_daily_demand() -> None:
    """Daily demand is Poisson around Σ rate × f(age): the mean squared standardised residual
    is near 1. Negative control: the same data against a flat life cycle fit far worse."""
    cycle = {"ramp_days": 10, "start_factor": 0.2, "peak_days": 5, "half_life_days": 10}
    overrides = {
        "sellers.count": 3,
        "sellers.share_at_factory": 0.05,  # three sellers who each source 5 % here
        "sellers.popularity": 20,
        "sellers.life_cycle": cycle,
        "horizon_days": 200,
    }
    result = run(overrides, seed=2)
    table = expected_daily_demand(result, LifeCycleSpec(**cycle))
    table = table[table["expected"] > 0]
    assert len(table) > 300
    residual = (table["observed"] - table["expected"]) ** 2 / table["expected"]
    assert 0.8 < residual.mean() < 1.25, residual.mean()
    flat = expected_daily_demand(result, LifeCycleSpec())
    flat = flat[flat["expected"] > 0]
    control = (flat["observed"] - flat["expected"]) ** 2 / flat["expected"]
    assert control.mean() > 2.0, control.mean()


SEASON = {"first_day": "2026-04-01", "last_day": "2026-04-30", "launch_factor": 3.0}
SEASON_DAYS = 30
SEASON_START = (pd.Timestamp(SEASON["first_day"]) - pd.Timestamp("2026-01-05")).days * HOURS_PER_DAY
SEASON_END = SEASON_START + SEASON_DAYS * HOURS_PER_DAY
IN_SEASON, OUT_OF_SEASON = "launches.in_season", "launches.out_of_season"


def launches_in_season(result: flexsim.RunResult) -> float:
    launched = result.tables["items"]["launched_at"]
    return float(((launched >= SEASON_START) & (launched < SEASON_END)).sum())


def launches_out_of_season(result: flexsim.RunResult) -> float:
    launched = result.tables["items"]["launched_at"]
    return float(((launched < SEASON_START) | (launched >= SEASON_END)).sum())


@pytest.mark.slow
def test_seasons_raise_launches_in_the_season_window() -> None:
    """Launches per day inside a season with launch_factor 3 are about three times those
    outside it; without the season the two rates agree (the control)."""
    scenario = flexsim.load_builtin("tao-factory", SELLERS_ONLY)
    measures = {IN_SEASON: launches_in_season, OUT_OF_SEASON: launches_out_of_season}
    season, names = {"season": {"sellers.seasons": [SEASON]}}, list(measures)
    result = compare(scenario, season, replications=REPLICATIONS, kpis=names, measures=measures)
    launches = result.runs.groupby("variant")[names].sum()  # over all the runs
    days = SELLERS_ONLY["horizon_days"]
    ratio = (launches[IN_SEASON] / SEASON_DAYS) / (launches[OUT_OF_SEASON] / (days - SEASON_DAYS))
    assert 2.4 < ratio["season"] < 3.6, ratio
    assert 0.75 < ratio["base"] < 1.3, ratio


@pytest.mark.slow  # runs the default scenario: 4-6 s
def test_a_spread_of_shares_at_the_factory_makes_regular_and_occasional_clients() -> None:
    """Each seller draws its share of launches at the factory once: with a spread, items per
    seller are overdispersed (variance / mean well above 1); with one share for all they are
    Poisson (about 1), the control. The mean share, and so the items, stay the same."""
    mean_share = 0.0056

    def items_per_seller(share: Any) -> pd.Series:
        overrides = {"sellers.share_at_factory": share, "sellers.seasons": []}
        items = run(overrides, seed=4).tables["items"]
        count = flexsim.load_builtin("tao-factory").sellers.count
        return (
            items.groupby("seller")
            .size()
            .reindex([f"seller-{i}" for i in range(count)], fill_value=0)
        )

    spread = items_per_seller({"dist": "lognormal", "mean": mean_share, "cv": 2.0})
    same = items_per_seller(mean_share)
    assert spread.var() / spread.mean() > 3
    assert 0.7 < same.var() / same.mean() < 1.4
    assert spread.sum() == pytest.approx(same.sum(), rel=0.2)
    expected = len(same) * 10 * mean_share * SELLERS_ONLY["horizon_days"] / 7  # 10 a week
    assert same.sum() == pytest.approx(expected, rel=0.1)


def test_clicks_and_favourites_follow_the_funnel() -> None:
    result = run(FUNNEL, seed=1)
    items = result.tables["items"]
    listed = items[items["listed_at"].notna()]
    demand = (listed["sold"] + listed["lost"]).sum()
    assert listed["clicks"].sum() * 0.05 == pytest.approx(demand, rel=0.05)
    assert listed["favourites"].sum() == pytest.approx(0.1 * listed["clicks"].sum(), rel=0.05)


def first_repeat_days(result: flexsim.RunResult) -> pd.Series:
    """Days from launch to the first repeat order, per item that has one."""
    orders, items = result.tables["orders"], result.tables["items"].set_index("item")
    repeats = orders[orders["kind"] == "repeat"].groupby("item")["placed_at"].min()
    return (repeats - items.loc[repeats.index, "launched_at"]) / HOURS_PER_DAY


@pytest.mark.slow
def test_early_signal_reorders_hits_sooner_than_sell_through() -> None:
    """On the same seed the items are the same; over the items both policies reorder, the
    early-signal policy's first repeat comes sooner."""
    early, late = [], []
    for seed in range(REPLICATIONS):  # a loop, not compare: it pairs the two runs item by item
        signal = first_repeat_days(run(FUNNEL | {"sellers.reorder.policy": "early_signal"}, seed))
        sales = first_repeat_days(run(FUNNEL, seed))
        both = signal.index.intersection(sales.index)
        assert len(both) > 20
        early.append(float(signal[both].mean()))
        late.append(float(sales[both].mean()))
    difference = paired_difference(early, late)
    assert difference.high < 0, difference


def test_presale_fills_pre_orders_and_loses_none_before_stock() -> None:
    result = run(FUNNEL | {"sellers.reorder.policy": "presale"}, seed=1)
    items, days = result.tables["items"], result.tables["seller_days"]
    assert items["preorders"].sum() > 0
    assert (result.tables["orders"]["kind"] == "trial").sum() > 0
    assert (items["received"] == items["sold"] + items["in_stock"] + items["salvaged"]).all()
    assert items["sold"].sum() == days["sold"].sum()
    assert items["lost"].sum() == days["lost"].sum()
    # items listed at approval gather clicks before their first batch arrives
    listed = items[items["listed_at"].notna()]
    assert (listed["listed_at"] == listed["sampled_at"]).all()
    assert (listed["clicks"] > 0).mean() > 0.9


@pytest.mark.slow
def test_presale_leaves_less_stock_to_salvage_than_trial_orders() -> None:
    """Ordering what was pre-ordered (C2F) rather than a fixed trial batch sells a larger
    share of the pieces bought."""
    policy, sell_through = "sellers.reorder.policy", "sellers.sell_through"
    scenario = flexsim.load_builtin("tao-factory", SELLERS_ONLY | FUNNEL | {policy: "sell_through"})
    presale = {"presale": {policy: "presale"}}
    result = compare(scenario, presale, replications=REPLICATIONS, kpis=[sell_through])
    assert result.value("presale", sell_through, "diff_low") > 0, result.summary
