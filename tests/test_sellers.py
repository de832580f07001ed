"""Seller tests: pieces are conserved from order to sale, the reorder policy behaves, and lead
time and trial quantity move lost sales and fill rate the right way (paired)."""

from __future__ import annotations

from typing import Any

import pytest

import flexsim
from flexsim.experiment import compare
from flexsim.metrics import seller_kpis
from flexsim.vocabulary import ORDER_STATUSES

SHORT = {"horizon_days": 300, "warmup_days": 100, "sellers.record_days": True}


@pytest.fixture(scope="module")
def run() -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("tao-factory", SHORT), seed=4)


def test_pieces_ordered_are_delivered_in_transit_in_production_waiting_or_refused(
    run: flexsim.RunResult,
) -> None:
    orders = run.tables["orders"]
    assert orders["order_id"].is_unique
    by_status = orders.groupby("status")["quantity"].sum()
    assert set(by_status.index) <= set(ORDER_STATUSES)
    assert by_status.sum() == orders["quantity"].sum()
    assert {"delivered", "in_transit"} <= set(by_status.index)
    in_transit = orders["status"] == "in_transit"
    assert orders.loc[in_transit, "finished_at"].notna().all()
    assert orders.loc[in_transit, "delivered_at"].isna().all()


def test_pieces_received_by_sellers_are_sold_in_stock_or_salvaged(run: flexsim.RunResult) -> None:
    items, orders, days = run.tables["items"], run.tables["orders"], run.tables["seller_days"]
    assert (items["received"] == items["sold"] + items["in_stock"] + items["salvaged"]).all()
    bought = orders[orders["kind"].isin(["trial", "repeat"])]
    accepted = bought[bought["status"] != "refused"]
    assert items["ordered"].sum() == accepted["quantity"].sum()
    delivered = accepted[accepted["status"] == "delivered"]
    assert items["received"].sum() == delivered["quantity"].sum()
    assert items["sold"].sum() == days["sold"].sum()  # item tallies = daily tallies
    together = run.tables["sales_days"].set_index("at")[["demand", "sold", "lost", "revenue"]]
    summed = days.groupby("at")[["demand", "sold", "lost", "revenue"]].sum()
    assert summed[["demand", "sold", "lost"]].equals(together[["demand", "sold", "lost"]])
    assert summed["revenue"].to_numpy() == pytest.approx(together["revenue"].to_numpy())
    assert items["lost"].sum() == days["lost"].sum()
    assert (days["sold"] + days["lost"] == days["demand"]).all()
    ended = items["ended_at"].notna()
    assert (items.loc[ended, "in_stock"] == 0).all()
    assert items["salvaged"].sum() > 0 and items["lost"].sum() > 0


def test_trial_orders_meet_the_moq_and_follow_the_sample(run: flexsim.RunResult) -> None:
    moq = run.scenario.channels.ecommerce.moq
    orders, items = run.tables["orders"], run.tables["items"].set_index("item")
    trials = orders[orders["kind"] == "trial"]
    assert (trials["quantity"] >= moq).all()
    assert trials["item"].is_unique  # one trial per item
    sampled = items.loc[trials["item"], "sampled_at"].to_numpy()
    assert (trials["placed_at"].to_numpy() == sampled).all()


def test_hit_rate_and_repeat_shares_match_the_tables(run: flexsim.RunResult) -> None:
    start, end = run.scenario.warmup_h, run.scenario.horizon_h
    kpis = seller_kpis(run.tables, start, end)
    items = run.tables["items"]
    decided = [row for row in items.itertuples() if row.launched_at >= start and row.ended_at > 0]
    assert kpis["hit_rate"] == pytest.approx(sum(r.repeats > 0 for r in decided) / len(decided))
    orders = run.tables["orders"]
    mine = orders[orders["kind"].isin(["trial", "repeat"]) & (orders["placed_at"] >= start)]
    repeats = mine[mine["kind"] == "repeat"]
    assert kpis["repeat_share_orders"] == pytest.approx(len(repeats) / len(mine))
    share = repeats["quantity"].sum() / mine["quantity"].sum()
    assert kpis["repeat_share_pieces"] == pytest.approx(share)
    assert 0 < kpis["hit_rate"] < 1


def test_turning_repeat_orders_off_removes_every_repeat_order(run: flexsim.RunResult) -> None:
    assert (run.tables["orders"]["kind"] == "repeat").any()  # the control: on, there are some
    scenario = flexsim.load_builtin("tao-factory", SHORT | {"sellers.reorder.policy": "none"})
    off = flexsim.run(scenario, seed=4)
    assert not (off.tables["orders"]["kind"] == "repeat").any()
    assert (off.tables["items"]["repeats"] == 0).all()
    assert (off.tables["orders"]["kind"] == "trial").sum() > 0


def test_sales_never_exceed_receipts_and_no_demand_before_listing(run: flexsim.RunResult) -> None:
    """Demand is only counted for listed items (which have received stock), and no item sells
    more than it received."""
    items = run.tables["items"]
    assert (items["sold"] <= items["received"]).all()
    lost = items[items["lost"] > 0]
    assert len(lost) > 0
    assert (lost["received"] > 0).all()  # no demand is lost before the item is listed


# --- behaviour: paired differences over common random numbers ---------------------------------

SELLERS_ONLY = {"horizon_days": 240, "warmup_days": 60, "customers": []}
REPLICATIONS = 6


def paired_sellers(
    kpi: str, change: dict[str, Any], baseline: dict[str, Any]
) -> tuple[float, float]:
    """The 95 % interval (low, high) of the paired difference in a seller KPI, the sellers-only
    default with `baseline` set, and `change` on top − without, over common random numbers."""
    scenario = flexsim.load_builtin("tao-factory", SELLERS_ONLY | baseline)
    name = f"sellers.{kpi}"
    result = compare(scenario, {"changed": change}, replications=REPLICATIONS, kpis=[name])
    return result.value("changed", name, "diff_low"), result.value("changed", name, "diff_high")


@pytest.mark.slow
def test_a_shorter_factory_lead_time_lowers_lost_sales() -> None:
    """A slower e-commerce line (busier, so orders wait longer) leaves sellers out of stock
    for longer while their repeat orders are made: lost sales rise."""
    unit_time = "factories.fuchun.lines.ecom.unit_time_h"
    slow = {unit_time: {"dist": "lognormal", "mean": 0.03, "cv": 0.25}}
    low, high = paired_sellers("lost", slow, {})
    assert low > 0, (low, high)


@pytest.mark.slow
def test_a_larger_trial_quantity_raises_the_trial_fill_rate() -> None:
    """Without repeat orders every piece sold comes from the trial batch, so the fill rate is
    the trial fill rate."""
    trial_only = {"sellers.reorder.policy": "none"}
    smaller = trial_only | {"sellers.trial_quantity": 50}
    low, high = paired_sellers("fill_rate", {"sellers.trial_quantity": 150}, smaller)
    assert low > 0, (low, high)
