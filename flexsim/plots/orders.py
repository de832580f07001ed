"""Order figures: the lead-time distribution by order kind (and design point), lead-time
estimates of an experiment, and each factory's backlog with its lines' booked capacity."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pandas as pd

from flexsim import metrics
from flexsim.plots.figure import (
    Figure,
    canvas,
    error_bars,
    finish,
    legend_below,
    nothing,
    palette,
    percent,
    section_of,
    shade_warmup,
    style,
)
from flexsim.vocabulary import HOURS_PER_DAY

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LEAD_TITLE = "Lead time: order placed → finished and shipped"
LEAD_CAPTION = (
    "Each line shows, for one kind of order, the share of orders (up the side) finished within "
    "the days along the bottom, counting from the day the order was placed. The further left a "
    "line climbs, the quicker those orders are made; where it crosses 50 % is the median."
)


def lead_time(orders: pd.DataFrame, start_h: float) -> Figure:
    """The distribution of lead time by order kind, from the orders placed at or after start_h
    and finished; with a `variant` column of several variants, a panel per kind and a line per
    variant."""
    done = metrics.finished_orders(orders, start_h)
    if done.empty:
        why = "no order placed after the warm-up was finished"
        return nothing("lead-time", LEAD_TITLE, LEAD_CAPTION, why)
    if "variant" in done.columns and done["variant"].nunique() > 1:
        return _lead_time_by_variant(done)
    kinds = sorted(done["kind"].unique())
    with style():
        figure, (ax,) = canvas(3.6)
        for colour, kind in zip(palette(len(kinds)), kinds, strict=True):
            days = done.loc[done["kind"] == kind, "lead_time_h"].to_numpy(float) / HOURS_PER_DAY
            ax.ecdf(days, label=f"{kind} ({len(days)} orders)", color=colour, lw=2)
        _ecdf_guides(ax, guides=True)
        ax.set_ylabel("share of orders finished within")
        ax.legend(loc="lower right", frameon=True, title="order kind")
    return finish("lead-time", LEAD_TITLE, LEAD_CAPTION, figure)


def _lead_time_by_variant(done: pd.DataFrame) -> Figure:
    kinds = sorted(done["kind"].unique())
    variants = list(dict.fromkeys(done["variant"]))
    colours = dict(zip(variants, palette(len(variants)), strict=True))
    with style():
        figure, panels = canvas(3.8, 1, len(kinds), sharey=True)
        for ax, kind in zip(panels, kinds, strict=True):
            mine = done[done["kind"] == kind]
            for variant, rows in mine.groupby("variant", sort=False):
                days = rows["lead_time_h"].to_numpy(float) / HOURS_PER_DAY
                ax.ecdf(days, label=str(variant), color=colours[str(variant)], lw=1.5)
            ax.set_title(f"{kind} orders ({len(mine)})")
            _ecdf_guides(ax, guides=ax is panels[-1])
        panels[0].set_ylabel("share of orders finished within")
        legend_below(figure, panels[0], 2)
    return finish("lead-time", LEAD_TITLE, LEAD_CAPTION, figure)


LEAD_KPI_CAPTION = (
    "For each kind of order and each variant: the dot is the mean lead time from placement to "
    "shipping, the diamond the 95th percentile (95 % of orders are quicker), each the mean over "
    "replications with its 95 % confidence interval."
)


def lead_time_estimates(estimates: pd.DataFrame) -> Figure:
    """The mean and the 95th percentile of lead time per order kind and variant, with their
    intervals: the lead-time figure of an experiment that kept no tables."""
    rows = section_of(estimates, "lead_time")
    rows = rows[rows["name"].isin(["mean_h", "p95_h"])]
    if rows["mean"].isna().all():
        why = "no order placed after the warm-up was finished"
        return nothing("lead-time", LEAD_TITLE, LEAD_KPI_CAPTION, why)
    kinds = list(dict.fromkeys(rows["key"]))
    variants = list(dict.fromkeys(rows["variant"]))
    colours = dict(zip(variants, palette(len(variants)), strict=True))
    step = 0.7 / len(variants)
    with style():
        figure, (ax,) = canvas(1.3 + 0.35 * len(kinds) * len(variants))
        for (i, kind), (j, variant) in itertools.product(enumerate(kinds), enumerate(variants)):
            y = i + (j - (len(variants) - 1) / 2) * step
            mine = rows[(rows["key"] == kind) & (rows["variant"] == variant)]
            for name, marker in (("mean_h", "o"), ("p95_h", "D")):
                point = mine[mine["name"] == name]
                days = point[["mean", "low", "high"]] / HOURS_PER_DAY
                ax.errorbar(
                    days["mean"], [y] * len(point), xerr=error_bars(days), fmt=marker,
                    color=colours[variant], mfc="white" if name == "p95_h" else colours[variant],
                    capsize=3,
                )  # fmt: skip
        ax.set_yticks(range(len(kinds)), [f"{kind} orders" for kind in kinds])
        ax.set_ylim(len(kinds) - 0.5, -0.5)
        ax.set_xlim(left=0)
        ax.set_xlabel("lead time (days)")
        for variant, colour in colours.items():
            ax.plot([], [], "s", color=colour, label=variant)
        ax.plot([], [], "o", color="#555555", label="mean")
        ax.plot([], [], "D", color="#555555", mfc="white", label="95th percentile")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return finish("lead-time", LEAD_TITLE, LEAD_KPI_CAPTION, figure)


def _ecdf_guides(ax: Axes, guides: bool) -> None:
    """Dotted lines at 50 % and 95 %, named at the right (`guides`) of the last panel."""
    for share, text in ((0.5, "half of the orders"), (0.95, "95 %")):
        ax.axhline(share, color="#777777", lw=0.8, ls=":")
        if guides:
            ax.text(ax.get_xlim()[1], share, f" {text}", va="center", ha="left", fontsize=8)
    ax.set_xlabel("lead time (days)")
    ax.set_xlim(left=0)
    percent(ax, "y")


BACKLOG_TITLE = "Backlog and booked capacity over time"
BACKLOG_CAPTION = (
    "Top: pieces ordered and accepted but not yet made, per factory, at the end of each day. "
    "Bottom (factories that book capacity): the share of each line's open hours in the coming "
    "7 days already booked, as published each morning; the shaded start is the warm-up."
)


def backlog(backlog: pd.DataFrame, capacity: pd.DataFrame, warmup_h: float) -> Figure:
    """`metrics.backlog` per factory over the days, and each line's booked share of the next 7
    days' open hours at each daily publication of the capacity table."""
    if backlog.empty:
        return nothing("backlog", BACKLOG_TITLE, BACKLOG_CAPTION, "no orders were accepted")
    booked = _booked_week(capacity)
    warmup_days = warmup_h / HOURS_PER_DAY
    with style():
        figure, axes = canvas(5.2 if len(booked) else 3.0, 2 if len(booked) else 1, sharex=True)
        top = axes[0]
        for colour, (factory, rows) in zip(palette(8), backlog.groupby("factory"), strict=False):
            top.plot(rows["day"], rows["pieces"], label=str(factory), color=colour, lw=1.2)
        shade_warmup(top, warmup_days)
        top.set_ylabel("backlog (pieces)")
        top.set_ylim(bottom=0)
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="factory")
        top.yaxis.set_major_formatter("{x:,.0f}")
        if len(booked):
            bottom = axes[1]
            for colour, (line, rows) in zip(palette(8), booked.groupby("line"), strict=False):
                bottom.plot(rows["day"], rows["share"], label=str(line), color=colour, lw=1)
            shade_warmup(bottom, warmup_days)
            bottom.set_ylabel("next 7 days booked")
            bottom.set_ylim(0, 1.05)
            percent(bottom, "y")
            bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="line")
        axes[-1].set_xlabel("day of the run")
    return finish("backlog", BACKLOG_TITLE, BACKLOG_CAPTION, figure)


def _booked_week(capacity: pd.DataFrame) -> pd.DataFrame:
    """Per line and publication day: booked hours / open hours over the coming 7 days."""
    if capacity.empty:
        return pd.DataFrame(columns=["line", "day", "share"])
    week = capacity[capacity["day_at"] < capacity["at"] + 7 * HOURS_PER_DAY]
    line = week["factory"].astype(str) + "." + week["line"].astype(str)
    sums = week.groupby([line.rename("line"), week["at"]])[["booked_h", "open_h"]].sum()
    sums = sums[sums["open_h"] > 0].reset_index()
    return sums.assign(day=sums["at"] / HOURS_PER_DAY, share=sums["booked_h"] / sums["open_h"])
