"""Metrics of orders: what became of them, their lead times by kind and stage, and each
factory's backlog.

Lead times cover the orders placed inside the window [start_h, end_h) that were made, from
placement to ex-works and to delivery; docs/results.md defines every KPI.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from flexsim.vocabulary import (
    HOURS_PER_DAY,
    ORDER_STATUSES,
    PAYMENT_STATES,
    REFUSAL_REASONS,
    REFUSED,
    TRIAL,
)

STAGES = ("fabric_wait_h", "waiting_h", "changeover_h", "processing_h", "transit_h")


def finished_orders(orders: pd.DataFrame, start_h: float) -> pd.DataFrame:
    """Orders placed at or after start_h that were made, with lead times and stages in hours.

    lead_time_h is ex-works (placed → finished); delivered_h adds transit (NaN while in transit).
    """
    done = orders[orders["finished_at"].notna() & (orders["placed_at"] >= start_h)]
    return done.assign(
        lead_time_h=done["finished_at"] - done["placed_at"],
        delivered_h=done["delivered_at"] - done["placed_at"],
        fabric_wait_h=done["fabric_at"] - done["placed_at"],
        waiting_h=done["setup_at"] - done["fabric_at"],
        changeover_h=done["start_at"] - done["setup_at"],
        processing_h=done["finished_at"] - done["start_at"],
        transit_h=done["delivered_at"] - done["finished_at"],
        on_time=done["finished_at"] <= done["due_at"],
        on_time_quote=(done["finished_at"] <= done["quote_at"]).where(done["quote_at"].notna()),
    )


def lead_times(
    orders: pd.DataFrame, start_h: float, items: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per order kind: count, mean, p50, p95 of ex-works lead time, mean stages, mean and p95
    of delivered lead time, share finished by the due date and by the quoted date; with the
    items table, the mean proof-sample time of the items of trial orders."""
    done = finished_orders(orders, start_h)
    if items is not None:
        sample_h = (items["sampled_at"] - items["launched_at"]).set_axis(items["item"])
        trial = done["kind"] == TRIAL
        # astype: mapping no orders keeps the item column's dtype, and with pyarrow installed
        # pandas' strings are pyarrow's, which have no mean
        done = done.assign(sample_h=done["item"].map(sample_h).astype(float).where(trial))
    grouped = done.groupby("kind")
    lead, delivered = grouped["lead_time_h"], grouped["delivered_h"]
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
    table["delivered_mean_h"] = delivered.mean()
    table["delivered_p95_h"] = delivered.quantile(0.95)
    table["on_time_share"] = grouped["on_time"].mean()
    table["on_time_quote_share"] = grouped["on_time_quote"].mean()
    if items is not None:
        table["sample_h"] = grouped["sample_h"].mean()
    return table


def peak_service(
    orders: pd.DataFrame, windows: list[tuple[float, float]], end_h: float
) -> dict[str, dict[str, float]]:
    """Per channel, the service of the orders placed in the peak `windows` (the sellers'
    seasons, cut to the measured window): `n` placed there and not refused, `refused_share` of
    all placed there, `on_time_share` of those due before `end_h` (an order not finished by
    then counts as late), and the mean and 95th percentile ex-works lead time of those
    finished. Empty without windows."""
    if not windows:
        return {}
    placed = orders["placed_at"]
    inside = np.zeros(len(orders), dtype=bool)
    for first, last in windows:
        inside |= ((placed >= first) & (placed < last)).to_numpy()
    peak = orders[inside]
    result: dict[str, dict[str, float]] = {}
    for channel, mine in peak.groupby("channel", sort=True):
        accepted = mine[mine["status"] != REFUSED]
        due = accepted[accepted["due_at"] < end_h]
        lead = (accepted["finished_at"] - accepted["placed_at"]).dropna()
        result[str(channel)] = {
            "n": len(accepted),
            "refused_share": 1 - len(accepted) / len(mine),
            "on_time_share": float((due["finished_at"] <= due["due_at"]).mean())
            if len(due)
            else math.nan,
            "mean_h": float(lead.mean()) if len(lead) else math.nan,
            "p95_h": float(lead.quantile(0.95)) if len(lead) else math.nan,
        }
    return result


def order_counts(orders: pd.DataFrame) -> dict[str, int]:
    """Orders placed, by physical status and by payment state at the horizon."""
    status, payment = orders["status"].value_counts(), orders["payment"].value_counts()
    result = {"placed": len(orders)}
    result.update({s: int(status.get(s, 0)) for s in ORDER_STATUSES})
    result.update({f"payment_{p}": int(payment.get(p, 0)) for p in PAYMENT_STATES})
    reasons = orders.loc[orders["status"] == REFUSED, "reason"].value_counts()
    result.update({f"refused_{r}": int(reasons.get(r, 0)) for r in REFUSAL_REASONS})
    return result


def backlog(orders: pd.DataFrame, end_h: float) -> pd.DataFrame:
    """Each factory's backlog at the end of each day d (just before (d + 1) × 24 h), for the
    days 0 … ⌈end_h / 24⌉ − 1: the pieces of the orders it accepted (placed before then and not
    refused) and had not finished before then, whether waiting for fabric, queued or on a line.
    Columns factory, day, pieces."""
    days = math.ceil(end_h / HOURS_PER_DAY)
    edges = np.arange(1, days + 1, dtype=np.float64) * HOURS_PER_DAY
    accepted = orders[orders["status"] != REFUSED]
    frames = [pd.DataFrame({"factory": pd.Series(dtype=object), "day": [], "pieces": []})]
    for factory, mine in accepted.groupby("factory", sort=True):
        pieces = mine["quantity"].to_numpy(float)
        placed = _pieces_before(mine["placed_at"].to_numpy(float), pieces, edges)
        finished = _pieces_before(mine["finished_at"].to_numpy(float), pieces, edges)
        frames.append(
            pd.DataFrame({"factory": factory, "day": np.arange(days), "pieces": placed - finished})
        )
    return pd.concat(frames, ignore_index=True).astype({"day": int, "pieces": int})


def _pieces_before(
    at: npt.NDArray[np.float64], pieces: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The pieces of the events stamped before each edge (NaN times: never)."""
    known = ~np.isnan(at)
    order = np.argsort(at[known], kind="stable")
    total = np.concatenate([[0.0], np.cumsum(pieces[known][order])])
    return total[np.searchsorted(at[known][order], edges, side="left")]
