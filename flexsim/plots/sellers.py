"""Seller figures: demand split into sold and lost pieces with the fill rate, and the items'
way from launch to a repeat order."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from flexsim.plots.figure import (
    STATE_COLOURS,
    Figure,
    canvas,
    finish,
    legend_below,
    nothing,
    palette,
    section_of,
    style,
)
from flexsim.vocabulary import REFUSED, REPEAT, TRIAL

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SELLERS_TITLE = "Sellers: filled demand, lost sales and how items went on"
SELLERS_CAPTION = (
    "Consumers' demand for the sellers' items after the warm-up, split into pieces sold and "
    "pieces lost because the item was out of stock; the fill rate is the sold share."
)
FUNNEL_CAPTION = (
    " Right: how many of the items launched after the warm-up reached each step (recent ones "
    "may not have got that far by the end of the run)."
)
FUNNEL = (
    "launched",
    "sample approved",
    "trial ordered",
    "on sale",
    "sold one or more",
    "reordered",
)


def funnel(items: pd.DataFrame, orders: pd.DataFrame, start_h: float) -> pd.DataFrame:
    """How many of the items launched at or after start_h reached each step of FUNNEL (trial
    and repeat orders counted when accepted). Columns step, items."""
    launched = items[items["launched_at"] >= start_h]
    accepted = orders[orders["status"] != REFUSED]
    trials = set(accepted.loc[accepted["kind"] == TRIAL, "item"])
    repeats = set(accepted.loc[accepted["kind"] == REPEAT, "item"])
    counts = [
        len(launched),
        int(launched["sampled_at"].notna().sum()),
        int(launched["item"].isin(trials).sum()),
        int(launched["listed_at"].notna().sum()),
        int(launched["first_sale_at"].notna().sum()),
        int(launched["item"].isin(repeats).sum()),
    ]
    return pd.DataFrame({"step": FUNNEL, "items": counts})


def sellers(estimates: pd.DataFrame, steps: pd.DataFrame | None = None) -> Figure:
    """The sellers' demand split into pieces sold and lost per variant, with the fill rate (and
    its interval) written in, and with `steps` (from `funnel`) the items' way from launch to a
    repeat order."""
    rows = section_of(estimates, "sellers")
    trade = rows.pivot_table(index="variant", columns="name", values="mean", sort=False)
    caption = SELLERS_CAPTION + (FUNNEL_CAPTION if steps is not None else "")
    if "demand" not in trade or not (trade["demand"] > 0).any():
        return nothing("sellers", SELLERS_TITLE, caption, "no seller had any demand")
    fill = rows[rows["name"] == "fill_rate"].set_index("variant")
    with style():
        figure, axes = canvas(3.2, 1, 2 if steps is not None else 1)
        ax = axes[0]
        sold, lost = trade["sold"].to_numpy(float), trade["lost"].to_numpy(float)
        labels = [str(v) for v in trade.index]
        ax.barh(labels, sold, 0.6, color=palette(1)[0], label="sold")
        ax.barh(labels, lost, 0.6, left=sold, color=STATE_COLOURS["down"], label="lost: no stock")
        for y, variant in enumerate(trade.index):
            text = f"fill rate {_share(fill.loc[variant])}" if variant in fill.index else ""
            ax.text(sold[y] / 2, y, text, ha="center", va="center", color="white")
            ax.text(sold[y] + lost[y], y, f" {lost[y]:,.0f} lost", va="center")
        ax.invert_yaxis()
        ax.set_xlabel("consumer demand after the warm-up (pieces)")
        ax.xaxis.set_major_formatter("{x:,.0f}")
        ax.locator_params(axis="x", nbins=4)
        ax.margins(x=0.2)
        legend_below(figure, ax, 2)
        if steps is not None:
            _funnel_panel(axes[1], steps)
    return finish("sellers", SELLERS_TITLE, caption, figure)


def _share(row: pd.Series) -> str:
    """A share as a percentage, with its interval when it has one."""
    if math.isnan(row["mean"]):
        return "—"
    text = f"{row['mean']:.1%}"
    if not math.isnan(row["low"]):
        text += f" [{row['low']:.1%}, {row['high']:.1%}]"
    return text


def _funnel_panel(ax: Axes, steps: pd.DataFrame) -> None:
    first = max(int(steps["items"].iloc[0]), 1)
    ax.barh(steps["step"], steps["items"], color=palette(1)[0])
    for y, count in enumerate(steps["items"]):
        ax.text(count, y, f" {count:,} ({count / first:.0%})", va="center")
    ax.invert_yaxis()
    ax.set_xlabel("items launched after the warm-up")
    ax.margins(x=0.45)
