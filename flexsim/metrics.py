"""Metrics: KPIs as pure functions of record tables (lead time, utilisation, order counts).

Everything is measured over a window [start_h, end_h): the time after the warm-up up to the
horizon. Lead times cover the orders placed inside the window that finished; utilisation is
time-weighted from the line state records. docs/results.md defines every KPI.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from flexsim.records import LINE_STATES, ORDER_STATUSES

STAGES = ("waiting_h", "changeover_h", "processing_h")


def finished_orders(orders: pd.DataFrame, start_h: float) -> pd.DataFrame:
    """Finished orders placed at or after start_h, with lead time and its stages in hours."""
    done = orders[(orders["status"] == "finished") & (orders["placed_at"] >= start_h)]
    return done.assign(
        lead_time_h=done["finished_at"] - done["placed_at"],
        waiting_h=done["setup_at"] - done["placed_at"],
        changeover_h=done["start_at"] - done["setup_at"],
        processing_h=done["finished_at"] - done["start_at"],
        on_time=done["finished_at"] <= done["due_at"],
    )


def lead_times(orders: pd.DataFrame, start_h: float) -> pd.DataFrame:
    """Per order kind: count, mean, p50, p95 of lead time, mean stages, share on time."""
    done = finished_orders(orders, start_h)
    grouped = done.groupby("kind")
    lead = grouped["lead_time_h"]
    table = pd.DataFrame(
        {
            "n": grouped.size(),
            "mean_h": lead.mean(),
            "p50_h": lead.quantile(0.5),
            "p95_h": lead.quantile(0.95),
        }
    )
    for stage in STAGES:
        table[stage] = grouped[stage].mean()
    table["on_time_share"] = grouped["on_time"].mean()
    return table


def state_durations(line_states: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Hours each line spent in each state inside [start_h, end_h): rows factory, line."""
    states = line_states.sort_values(["factory", "line", "at"], kind="stable")
    following = states.groupby(["factory", "line"])["at"].shift(-1).fillna(end_h)
    hours = following.clip(start_h, end_h) - states["at"].clip(start_h, end_h)
    table = states.assign(hours=hours).pivot_table(
        index=["factory", "line"], columns="state", values="hours", aggfunc="sum", fill_value=0.0
    )
    return table.reindex(columns=list(LINE_STATES), fill_value=0.0)


def utilisation(line_states: pd.DataFrame, start_h: float, end_h: float) -> pd.DataFrame:
    """Share of calendar time per state, and processing + changeover as a share of open time."""
    hours = state_durations(line_states, start_h, end_h)
    shares = hours / (end_h - start_h)
    open_h = hours[["processing", "changeover", "idle"]].sum(axis=1)
    busy = hours["processing"] + hours["changeover"]
    shares["busy_of_open"] = (busy / open_h.where(open_h > 0)).fillna(0.0)
    return shares


def order_counts(orders: pd.DataFrame) -> dict[str, int]:
    """Orders by status at the horizon, and all placed."""
    counts = orders["status"].value_counts()
    result = {"placed": len(orders)}
    result.update({status: int(counts.get(status, 0)) for status in ORDER_STATUSES})
    return result


def kpis(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    """All KPIs of one run as a JSON-ready dict."""
    lead = lead_times(tables["orders"], start_h)
    util = utilisation(tables["line_states"], start_h, end_h)
    util.index = [f"{factory}.{line}" for factory, line in util.index]
    return {
        "window_h": [start_h, end_h],
        "orders": order_counts(tables["orders"]),
        "lead_time": _plain(lead.to_dict(orient="index")),
        "utilisation": _plain(util.to_dict(orient="index")),
    }


def _plain(value: Any) -> Any:
    """Nested dicts of numpy scalars → Python numbers, NaN → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
