"""Metrics of sellers: fill rate, lost sales, hit rate, repeat orders and leftover stock of all
sellers together, their items' timing and proofing, and which factories they kept.

docs/results.md defines every KPI.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from flexsim.vocabulary import HOURS_PER_DAY, REFUSED, REPEAT, SELLER_KINDS


def seller_kpis(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    """All sellers together: fill rate, lost sales, hit rate, repeat shares, leftover stock."""
    days = tables["sales_days"]
    days = days[(days["at"] >= start_h) & (days["at"] < end_h)]
    items = tables["items"]
    decided = items[(items["launched_at"] >= start_h) & items["ended_at"].notna()]
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["placed_at"] >= start_h)]
    repeat = bought["kind"] == REPEAT
    demand = int(days["demand"].sum())
    return {
        "demand": demand,
        "sold": int(days["sold"].sum()),
        "lost": int(days["lost"].sum()),
        "fill_rate": int(days["sold"].sum()) / demand if demand else math.nan,
        "revenue": float(days["revenue"].sum()),
        "items_launched": int((items["launched_at"] >= start_h).sum()),
        "hit_rate": float((decided["repeats"] > 0).mean()) if len(decided) else math.nan,
        "repeat_share_orders": float(repeat.mean()) if len(bought) else math.nan,
        "repeat_share_pieces": _share(
            bought.loc[repeat, "quantity"].sum(), bought["quantity"].sum()
        ),
        "salvaged": int(decided["salvaged"].sum()),
        "sell_through": _share(decided["sold"].sum(), decided["received"].sum()),
    } | item_timing(items[items["launched_at"] >= start_h], bought)


def item_timing(items: pd.DataFrame, bought: pd.DataFrame) -> dict[str, Any]:
    """Pre-orders, days from launch to first sale and to first repeat order, and proofing, over
    the items launched in the window."""
    first_sale = (items["first_sale_at"] - items["launched_at"]).dropna() / HOURS_PER_DAY
    repeats = bought[bought["kind"] == REPEAT].groupby("item")["placed_at"].min()
    launched = items.set_index("item")["launched_at"]
    first_repeat = (repeats - launched.reindex(repeats.index)).dropna() / HOURS_PER_DAY
    return {
        "preorders": int(items["preorders"].sum()),
        "first_sale_mean_days": _mean(first_sale),
        "first_repeat_mean_days": _mean(first_repeat),
    } | sample_kpis(items)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else math.nan


def seller_factories(tables: dict[str, pd.DataFrame], start_h: float) -> dict[str, Any]:
    """Per factory, over the sellers who asked it for a sample for an item launched in the
    window: how many, and the shares of them who placed an order and a repeat order there
    (Fuchun River: 85 % and 50 %)."""
    items = tables["items"]
    items = items[items["launched_at"] >= start_h]
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["status"] != REFUSED)]
    bought = bought[bought["item"].isin(items["item"])]
    made_by = dict(tuple(bought.groupby("factory")))  # a village has 50 factories
    result = {}
    for factory, asked in items.groupby("factory")["seller"]:
        sellers = set(asked)
        mine = made_by.get(factory, bought.iloc[:0])
        repeated = set(mine.loc[mine["kind"] == REPEAT, "customer"])
        result[str(factory)] = {
            "sellers": len(sellers),
            "ordering_share": len(sellers & set(mine["customer"])) / len(sellers),
            "repeating_share": len(sellers & repeated) / len(sellers),
        }
    return result


def sample_kpis(items: pd.DataFrame) -> dict[str, Any]:
    """Proofing of the given items: sample lead time (launch → approval) in days, samples made
    per item judged, items dropped, and the share of judged items that reached an order."""
    lead_days = (items["sampled_at"] - items["launched_at"]).dropna() / HOURS_PER_DAY
    judged = items[items["sampled_at"].notna() | items["dropped_at"].notna()]
    return {
        "sample_lead_mean_days": _mean(lead_days),
        "sample_lead_p95_days": float(lead_days.quantile(0.95)) if len(lead_days) else math.nan,
        "samples_per_item": float(judged["samples"].mean()) if len(judged) else math.nan,
        "items_dropped": int(items["dropped_at"].notna().sum()),
        "ordered_share": float((judged["ordered"] > 0).mean()) if len(judged) else math.nan,
    }


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole else math.nan
