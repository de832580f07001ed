"""Plots: the figures of a report, drawn with seaborn's style on matplotlib's Agg canvas from
result tables and KPI estimates only, never computing a KPI a second way.

Each function returns a `Figure`: a file name, a title, a caption saying how to read it, and
the matplotlib figure. An input with nothing to draw gives a figure that says "nothing to show"
and why, never an exception. KPI estimates are tidy rows `variant, kpi, mean, low, high` (the
columns of an experiment's summary.csv; for one run, its flat KPI row with no bounds).
matplotlib and seaborn are imported when the first figure is drawn, so that `import flexsim`
stays quick; the figures are drawn on their own Agg canvas, never through pyplot's backend.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flexsim import metrics
from flexsim.vocabulary import (
    HOURS_PER_DAY,
    LINE_STATES,
    NO_ORDER,
    REFUSED,
    REPEAT,
    TRIAL,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as Canvas

FORMATS = ("png", "svg")
DPI = 110
WIDTH = 9.0  # inches
NOTHING = "nothing to show"
# colour-blind-safe colours (seaborn's "colorblind" palette) for the line states, fixed so that
# every figure shows a state in the same colour
STATE_COLOURS = {
    "processing": "#0173b2",
    "changeover": "#de8f05",
    "idle": "#dcdcdc",
    "down": "#d55e00",
    "off_shift": "#949494",
}
STATE_NAMES = {"off_shift": "off shift (closed)"}
OVERTIME_COLOUR = "#cc78bc"
# the rest of the palette for product families in the Gantt strip, brown (near orange) last
FAMILY_COLOURS = ("#0173b2", "#029e73", "#56b4e9", "#ece133", "#fbafe4", "#ca9161")
WARMUP_NOTE = "warm-up (not measured)"


@dataclass(frozen=True)
class Figure:
    """One figure: `name` is its file name without extension."""

    name: str
    title: str
    caption: str
    figure: Canvas

    def render(self, fmt: str = "png") -> bytes:
        """The figure as PNG or SVG bytes."""
        if fmt not in FORMATS:
            raise ValueError(f"a figure is written as {' or '.join(FORMATS)}, not {fmt!r}")
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {}  # the same input, the same file
        self.figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
        return buffer.getvalue()

    def says_nothing(self) -> bool:
        """Whether this is a "nothing to show" figure."""
        from matplotlib.text import Text

        texts = self.figure.findobj(Text)
        return any(isinstance(t, Text) and NOTHING in t.get_text() for t in texts)


@contextmanager
def _style() -> Iterator[None]:
    """seaborn's white-grid style, only while a figure is drawn (rcParams are global)."""
    import matplotlib
    import seaborn as sns

    with (
        matplotlib.rc_context({"svg.hashsalt": "flexsim"}),
        sns.axes_style("whitegrid"),
        sns.plotting_context("notebook", font_scale=0.85),
    ):
        yield


def _canvas(
    height: float, rows: int = 1, cols: int = 1, **options: Any
) -> tuple[Canvas, list[Axes]]:
    """A new figure on its own Agg canvas and its axes, row by row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False, **options)
    return figure, list(axes.ravel())


def _palette(count: int) -> list[str]:
    import seaborn as sns

    colours: list[str] = sns.color_palette("colorblind", max(count, 1)).as_hex()
    return colours


def _nothing(name: str, title: str, caption: str, why: str) -> Figure:
    figure, (ax,) = _canvas(1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, f"{NOTHING}: {why}", ha="center", va="center", transform=ax.transAxes)
    figure.suptitle(title, fontweight="bold")
    return Figure(name, title, caption, figure)


def _finish(name: str, title: str, caption: str, figure: Canvas) -> Figure:
    figure.suptitle(title, fontweight="bold")
    return Figure(name, title, caption, figure)


def _percent(ax: Axes, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def _legend_below(figure: Canvas, ax: Axes, columns: int) -> None:
    """The legend of `ax` under the whole figure, each label once."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    figure.legend(
        list(unique.values()), list(unique), loc="outside lower center",
        ncol=min(columns, len(unique)), frameon=False,
    )  # fmt: skip


def _warmup(ax: Axes, warmup_days: float) -> None:
    """Shade the warm-up, which the KPIs leave out."""
    if warmup_days > 0:
        ax.axvspan(0, warmup_days, color="#000000", alpha=0.06, lw=0)
        ax.text(
            warmup_days / 2, 0.97, WARMUP_NOTE, transform=ax.get_xaxis_transform(),
            ha="center", va="top", fontsize=8, color="#555555",
        )  # fmt: skip


# ── KPI estimates ────────────────────────────────────────────────────────────────────────────


def run_estimates(row: dict[str, Any], label: str) -> pd.DataFrame:
    """One run's flat KPI row as estimates without bounds, its variant called `label`."""
    values = [math.nan if value is None else float(value) for value in row.values()]
    return pd.DataFrame(
        {"variant": label, "kpi": list(row), "mean": values, "low": math.nan, "high": math.nan}
    )


def _section(estimates: pd.DataFrame, section: str) -> pd.DataFrame:
    """The estimates of one KPI section, with their key and KPI split out of the flat name."""
    rows = estimates[estimates["kpi"].astype(str).str.startswith(f"{section}.")]
    parts = [metrics.split_kpi_name(name) for name in rows["kpi"]]
    return rows.assign(key=[p[1] for p in parts], name=[p[2] for p in parts])


def _bounds(rows: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """Error-bar lengths below and above each mean, or None when there are no bounds."""
    if rows[["low", "high"]].isna().all().all():
        return None
    low = (rows["mean"] - rows["low"]).clip(lower=0).fillna(0)
    high = (rows["high"] - rows["mean"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(float), high.to_numpy(float)])


# ── lead time ────────────────────────────────────────────────────────────────────────────────

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
        return _nothing("lead-time", LEAD_TITLE, LEAD_CAPTION, why)
    if "variant" in done.columns and done["variant"].nunique() > 1:
        return _lead_time_by_variant(done)
    kinds = sorted(done["kind"].unique())
    with _style():
        figure, (ax,) = _canvas(3.6)
        for colour, kind in zip(_palette(len(kinds)), kinds, strict=True):
            days = done.loc[done["kind"] == kind, "lead_time_h"].to_numpy(float) / HOURS_PER_DAY
            ax.ecdf(days, label=f"{kind} ({len(days)} orders)", color=colour, lw=2)
        _ecdf_guides(ax, guides=True)
        ax.set_ylabel("share of orders finished within")
        ax.legend(loc="lower right", frameon=True, title="order kind")
    return _finish("lead-time", LEAD_TITLE, LEAD_CAPTION, figure)


def _lead_time_by_variant(done: pd.DataFrame) -> Figure:
    kinds = sorted(done["kind"].unique())
    variants = list(dict.fromkeys(done["variant"]))
    colours = dict(zip(variants, _palette(len(variants)), strict=True))
    with _style():
        figure, panels = _canvas(3.8, 1, len(kinds), sharey=True)
        for ax, kind in zip(panels, kinds, strict=True):
            mine = done[done["kind"] == kind]
            for variant, rows in mine.groupby("variant", sort=False):
                days = rows["lead_time_h"].to_numpy(float) / HOURS_PER_DAY
                ax.ecdf(days, label=str(variant), color=colours[str(variant)], lw=1.5)
            ax.set_title(f"{kind} orders ({len(mine)})")
            _ecdf_guides(ax, guides=ax is panels[-1])
        panels[0].set_ylabel("share of orders finished within")
        _legend_below(figure, panels[0], 2)
    return _finish("lead-time", LEAD_TITLE, LEAD_CAPTION, figure)


LEAD_KPI_CAPTION = (
    "For each kind of order and each variant: the dot is the mean lead time from placement to "
    "shipping, the diamond the 95th percentile (95 % of orders are quicker), each the mean over "
    "replications with its 95 % confidence interval."
)


def lead_time_estimates(estimates: pd.DataFrame) -> Figure:
    """The mean and the 95th percentile of lead time per order kind and variant, with their
    intervals: the lead-time figure of an experiment that kept no tables."""
    rows = _section(estimates, "lead_time")
    rows = rows[rows["name"].isin(["mean_h", "p95_h"])]
    if rows["mean"].isna().all():
        why = "no order placed after the warm-up was finished"
        return _nothing("lead-time", LEAD_TITLE, LEAD_KPI_CAPTION, why)
    kinds = list(dict.fromkeys(rows["key"]))
    variants = list(dict.fromkeys(rows["variant"]))
    colours = dict(zip(variants, _palette(len(variants)), strict=True))
    step = 0.7 / len(variants)
    with _style():
        figure, (ax,) = _canvas(1.3 + 0.35 * len(kinds) * len(variants))
        for (i, kind), (j, variant) in itertools.product(enumerate(kinds), enumerate(variants)):
            y = i + (j - (len(variants) - 1) / 2) * step
            mine = rows[(rows["key"] == kind) & (rows["variant"] == variant)]
            for name, marker in (("mean_h", "o"), ("p95_h", "D")):
                point = mine[mine["name"] == name]
                days = point[["mean", "low", "high"]] / HOURS_PER_DAY
                ax.errorbar(
                    days["mean"], [y] * len(point), xerr=_bounds(days), fmt=marker,
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
    return _finish("lead-time", LEAD_TITLE, LEAD_KPI_CAPTION, figure)


def _ecdf_guides(ax: Axes, guides: bool) -> None:
    """Dotted lines at 50 % and 95 %, named at the right (`guides`) of the last panel."""
    for share, text in ((0.5, "half of the orders"), (0.95, "95 %")):
        ax.axhline(share, color="#777777", lw=0.8, ls=":")
        if guides:
            ax.text(ax.get_xlim()[1], share, f" {text}", va="center", ha="left", fontsize=8)
    ax.set_xlabel("lead time (days)")
    ax.set_xlim(left=0)
    _percent(ax, "y")


# ── lines: time split and Gantt strip ────────────────────────────────────────────────────────

SPLIT_TITLE = "How each line spent its time (measured window)"
SPLIT_CAPTION = (
    "Each bar is one production line's calendar time after the warm-up, split by what the line "
    "was doing; beside it, the busy share (processing and changeover) of its open hours, and "
    "its overtime: hours worked beyond the normal shifts, already inside the coloured parts."
)


def time_split(estimates: pd.DataFrame) -> Figure:
    """Each line's shares of calendar time by state (stacked), overtime hours beside."""
    rows = _section(estimates, "utilisation")
    if rows.empty:
        return _nothing("time-split", SPLIT_TITLE, SPLIT_CAPTION, "the scenario has no lines")
    shares = rows.pivot_table(index=["key", "variant"], columns="name", values="mean", sort=False)
    several = rows["variant"].nunique() > 1
    labels = [f"{line} · {variant}" if several else line for line, variant in shares.index]
    with _style():
        figure, (ax,) = _canvas(1.2 + 0.45 * len(labels))
        left = np.zeros(len(labels))
        for state in LINE_STATES:
            width = shares.get(state, pd.Series(0.0, index=shares.index)).fillna(0).to_numpy()
            name = STATE_NAMES.get(state, state)
            ax.barh(labels, width, left=left, color=STATE_COLOURS[state], label=name)
            for y, (x, w) in enumerate(zip(left, width, strict=True)):
                if w >= 0.06:
                    dark = state in ("processing", "down")
                    colour = "white" if dark else "black"
                    ax.text(x + w / 2, y, f"{w:.0%}", ha="center", va="center", color=colour)
            left += width
        for y, (busy, hours) in enumerate(
            zip(_get(shares, "busy_of_open"), _get(shares, "overtime_h"), strict=True)
        ):
            text = f"busy {busy:.0%} of open hours\novertime {hours:,.0f} h"
            ax.text(1.01, y, text, va="center", fontsize=8)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        _percent(ax)
        ax.invert_yaxis()
        ax.set_xlabel("share of calendar time in the measured window")
        _legend_below(figure, ax, 5)
        ax.grid(False)
    return _finish("time-split", SPLIT_TITLE, SPLIT_CAPTION, figure)


GANTT_CAPTION = (
    "Each row is a line over the chosen days: coloured blocks are orders being made (colour = "
    "product family, #number = the order), orange slivers are changeovers between items, grey "
    "is time the line is closed, and white gaps are open hours with nothing to make."
)


def gantt(line_states: pd.DataFrame, orders: pd.DataFrame, window_h: tuple[float, float]) -> Figure:
    """What each line did in [start, end) h: orders by family, changeovers, breakdowns, closed
    time and overtime."""
    start, end = window_h
    title = f"What each line was doing, days {start / HOURS_PER_DAY:g}–{end / HOURS_PER_DAY:g}"
    spans = _spans(line_states, start, end)
    if spans.empty:
        return _nothing("gantt", title, GANTT_CAPTION, "no line records in these days")
    family = orders.set_index("order_id")["family"] if len(orders) else pd.Series(dtype=object)
    spans["family"] = spans["order_id"].map(family)
    lanes = list(dict.fromkeys(spans["lane"]))
    families = sorted(spans.loc[spans["state"] == "processing", "family"].dropna().unique())
    colours = dict(zip(families, itertools.cycle(FAMILY_COLOURS)))
    with _style():
        figure, (ax,) = _canvas(1.4 + 0.7 * len(lanes))
        for y, lane in enumerate(lanes):
            mine = spans[spans["lane"] == lane]
            _lane(ax, y, mine, colours)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.set_xlim(start / HOURS_PER_DAY, end / HOURS_PER_DAY)
        ax.set_xlabel("day of the run")
        ax.grid(axis="y", visible=False)
        _legend_below(figure, ax, 6)
    return _finish("gantt", title, GANTT_CAPTION, figure)


def _spans(line_states: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Each state record as a span clipped to [start, end), in days, with its lane name."""
    states = line_states.sort_values(["factory", "line", "at"], kind="stable")
    following = states.groupby(["factory", "line"])["at"].shift(-1).fillna(max(end, 0.0))
    begin, finish = states["at"].clip(start, end), following.clip(start, end)
    spans = states.assign(
        lane=states["factory"].astype(str) + "." + states["line"].astype(str),
        begin=begin / HOURS_PER_DAY,
        days=(finish - begin) / HOURS_PER_DAY,
    )
    return spans[spans["days"] > 0].reset_index(drop=True)


def _lane(ax: Axes, y: int, spans: pd.DataFrame, colours: dict[str, str]) -> None:
    """One line's row of the Gantt strip."""
    height = 0.7

    def bars(rows: pd.DataFrame, label: str, **style: Any) -> None:
        if len(rows):
            ranges = list(zip(rows["begin"], rows["days"], strict=True))
            ax.broken_barh(ranges, (y - height / 2, height), label=label, **style)

    making = spans[spans["state"] == "processing"]
    for family, colour in colours.items():
        bars(making[making["family"] == family], family, facecolors=colour)
    bars(
        spans[spans["state"] == "changeover"], "changeover", facecolors=STATE_COLOURS["changeover"]
    )
    bars(spans[spans["state"] == "down"], "down (breakdown)", facecolors=STATE_COLOURS["down"])
    closed = spans[spans["state"] == "off_shift"]
    bars(closed, "closed (off shift)", facecolors=STATE_COLOURS["off_shift"], alpha=0.35)
    extra = spans[spans["overtime"].astype(bool)] if "overtime" in spans else spans.iloc[:0]
    if len(extra):
        ranges = list(zip(extra["begin"], extra["days"], strict=True))
        ax.broken_barh(ranges, (y + height / 2, 0.1), facecolors=OVERTIME_COLOUR, label="overtime")
    window = ax.get_xlim()[1] - ax.get_xlim()[0]
    made = making[making["order_id"] != NO_ORDER]
    extent = made.assign(end=made["begin"] + made["days"]).groupby("order_id")
    spans = extent.agg(begin=("begin", "min"), end=("end", "max"))
    for order_id, begin, end in spans.itertuples():
        if end - begin >= 0.03 * window:  # label the orders wide enough to carry one
            ax.text(
                (begin + end) / 2, y - 0.36, f"#{order_id}", ha="center", va="bottom", fontsize=7
            )


# ── backlog and booked capacity ──────────────────────────────────────────────────────────────

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
        return _nothing("backlog", BACKLOG_TITLE, BACKLOG_CAPTION, "no orders were accepted")
    booked = _booked_week(capacity)
    warmup_days = warmup_h / HOURS_PER_DAY
    with _style():
        figure, axes = _canvas(5.2 if len(booked) else 3.0, 2 if len(booked) else 1, sharex=True)
        top = axes[0]
        for colour, (factory, rows) in zip(_palette(8), backlog.groupby("factory"), strict=False):
            top.plot(rows["day"], rows["pieces"], label=str(factory), color=colour, lw=1.2)
        _warmup(top, warmup_days)
        top.set_ylabel("backlog (pieces)")
        top.set_ylim(bottom=0)
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="factory")
        top.yaxis.set_major_formatter("{x:,.0f}")
        if len(booked):
            bottom = axes[1]
            for colour, (line, rows) in zip(_palette(8), booked.groupby("line"), strict=False):
                bottom.plot(rows["day"], rows["share"], label=str(line), color=colour, lw=1)
            _warmup(bottom, warmup_days)
            bottom.set_ylabel("next 7 days booked")
            bottom.set_ylim(0, 1.05)
            _percent(bottom, "y")
            bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="line")
        axes[-1].set_xlabel("day of the run")
    return _finish("backlog", BACKLOG_TITLE, BACKLOG_CAPTION, figure)


def _get(frame: pd.DataFrame, column: str) -> list[float]:
    """A column's values, NaN where the column is missing."""
    if column not in frame:
        return [math.nan] * len(frame)
    return [float(x) for x in frame[column]]


def _booked_week(capacity: pd.DataFrame) -> pd.DataFrame:
    """Per line and publication day: booked hours / open hours over the coming 7 days."""
    if capacity.empty:
        return pd.DataFrame(columns=["line", "day", "share"])
    week = capacity[capacity["day_at"] < capacity["at"] + 7 * HOURS_PER_DAY]
    line = week["factory"].astype(str) + "." + week["line"].astype(str)
    sums = week.groupby([line.rename("line"), week["at"]])[["booked_h", "open_h"]].sum()
    sums = sums[sums["open_h"] > 0].reset_index()
    return sums.assign(day=sums["at"] / HOURS_PER_DAY, share=sums["booked_h"] / sums["open_h"])


# ── money ────────────────────────────────────────────────────────────────────────────────────

CASH_TITLE = "Cash in hand at the end of each day"
CASH_CAPTION = (
    "Each panel is one party's cash: each factory, the platform, and all sellers together. A "
    "falling line is money going into stock and unpaid invoices, a line below zero an overdraft."
)
CASH_BAND = " Each line is the mean over replications, its band the 95 % confidence interval."


def cash(series: pd.DataFrame, warmup_days: float, currency: str) -> Figure:
    """Daily cash per party (columns party, day, cash), with a line per `variant` and a band
    from `low` to `high` when those columns are there."""
    caption = CASH_CAPTION + (CASH_BAND if "low" in series else "")
    if series.empty:
        return _nothing("cash", CASH_TITLE, caption, "no party had any money")
    parties = list(dict.fromkeys(series["party"]))
    variants = list(dict.fromkeys(series["variant"])) if "variant" in series else [""]
    colours = dict(zip(variants, _palette(len(variants)), strict=True))
    with _style():
        figure, panels = _canvas(1.0 + 2.1 * len(parties), len(parties), 1, sharex=True)
        for ax, party in zip(panels, parties, strict=True):
            mine = series[series["party"] == party]
            scale, unit = _money_scale(mine["cash"].abs().max(), currency)
            for variant, rows in (
                mine.groupby("variant", sort=False) if "variant" in mine else [("", mine)]
            ):
                colour = colours[variant]
                ax.plot(rows["day"], rows["cash"] / scale, color=colour, lw=1.3, label=variant)
                if "low" in rows and rows["low"].notna().any():
                    low, high = rows["low"] / scale, rows["high"] / scale
                    ax.fill_between(rows["day"], low, high, color=colour, alpha=0.25, lw=0)
            ax.axhline(0, color="black", lw=0.8)
            _warmup(ax, warmup_days)
            ax.set_title(party, loc="left", fontsize=10)
            ax.set_ylabel(f"cash ({unit})")
        if len(variants) > 1:
            panels[0].legend(loc="best", title="variant")  # one variant needs no legend
        panels[-1].set_xlabel("day of the run")
    return _finish("cash", CASH_TITLE, caption, figure)


def _money_scale(largest: float, currency: str) -> tuple[float, str]:
    if largest >= 1e6:
        return 1e6, f"million {currency}"
    if largest >= 1e3:
        return 1e3, f"thousand {currency}"
    return 1.0, currency


CCC_TITLE = "Cash conversion cycle and its parts"
CCC_CAPTION = (
    "For each party, the cash conversion cycle (CCC) is the days money is tied up: days of "
    "stock (DIO) plus days its customers take to pay (DSO), less the days it takes to pay its "
    "suppliers (DPO, drawn leftwards). Shorter is better; below zero, others finance the trade."
)
CCC_PARTS = {
    "dio_days": "DIO: days of stock",
    "dso_days": "DSO: days to be paid",
    "dpo_days": "−DPO: days to pay",
    "ccc_days": "CCC: cash cycle",
}


def cash_cycle(estimates: pd.DataFrame) -> Figure:
    """DIO, DSO, −DPO and CCC of every party where they are defined, per variant, with their
    intervals when there are replications."""
    rows = _section(estimates, "cash_cycle")
    rows = rows[rows["name"].isin(list(CCC_PARTS))]
    defined = rows.groupby("key")["mean"].apply(lambda m: m.notna().any())
    parties = [str(p) for p in rows["key"].unique() if defined.get(p, False)]
    if not parties:
        why = "no party bought, sold or held stock in the measured window"
        return _nothing("cash-cycle", CCC_TITLE, CCC_CAPTION, why)
    variants = list(dict.fromkeys(rows["variant"]))
    colours = _palette(len(variants))
    with _style():
        figure, axes = _canvas(1.2 + 0.5 * len(variants) * 4, 1, len(parties), sharey=True)
        for ax, party in zip(axes, parties, strict=True):
            mine = rows[rows["key"] == party]
            _ccc_panel(ax, mine, variants, colours)
            ax.set_title(party)
            ax.set_xlabel("days")
        if len(variants) > 1:
            _legend_below(figure, axes[0], 4)
    return _finish("cash-cycle", CCC_TITLE, CCC_CAPTION, figure)


def _ccc_panel(ax: Axes, rows: pd.DataFrame, variants: list[str], colours: list[str]) -> None:
    height = 0.8 / len(variants)
    for j, variant in enumerate(variants):
        mine = rows[rows["variant"] == variant].set_index("name").reindex(list(CCC_PARTS))
        sign = np.where(mine.index == "dpo_days", -1.0, 1.0)
        signed = mine.assign(
            mean=mine["mean"] * sign,
            low=np.where(sign < 0, -mine["high"], mine["low"]),
            high=np.where(sign < 0, -mine["low"], mine["high"]),
        )
        y = np.arange(len(CCC_PARTS)) + (j - (len(variants) - 1) / 2) * height
        values = signed["mean"].fillna(0).to_numpy(float)
        shades = [0.55, 0.55, 0.55, 1.0]  # the parts lighter than their sum, the cycle
        for k in range(len(CCC_PARTS)):
            part = signed.iloc[[k]]
            ax.barh(
                y[k], values[k], height, xerr=_bounds(part), color=colours[j], alpha=shades[k],
                label=variant if k == len(CCC_PARTS) - 1 else None,
            )  # fmt: skip
        ends = np.where(values >= 0, signed["high"], signed["low"])
        for yy, value, end, known in zip(y, values, ends, signed["mean"].notna(), strict=True):
            at = value if math.isnan(end) else end  # beyond the error bar
            text = f"{value:.1f}" if known else "—"
            ax.text(at, yy, f" {text} ", va="center", ha="left" if value >= 0 else "right")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(CCC_PARTS)), list(CCC_PARTS.values()))
    ax.set_ylim(len(CCC_PARTS) - 0.5, -0.5)
    ax.margins(x=0.25)


# ── comparisons ──────────────────────────────────────────────────────────────────────────────

DIFF_TITLE = "Differences against the baseline (paired over common random numbers)"
DIFF_CAPTION = (
    "Each row is one KPI: the dot is how much the variant changes it against the baseline, run "
    "on the same random numbers, as a share of the baseline's value, and the bar is its 95 % "
    "confidence interval. A bar that crosses the zero line (hollow dot) shows no clear difference."
)


def differences(summary: pd.DataFrame, currency: str = "") -> Figure:
    """A forest plot of each variant's paired difference from the baseline per KPI, relative
    to the baseline's mean (cut at ±110 %, an arrow head marking a cut), the absolute difference
    written beside; `summary` holds the columns of summary.csv and optionally `cell` (the
    design points compared with one baseline point)."""
    rows = summary.assign(cell=summary.get("cell", ""))
    base = rows[rows["verdict"] == "baseline"].set_index(["cell", "kpi"])["mean"]
    rows = rows[rows["verdict"] != "baseline"]
    if rows.empty:
        return _nothing("differences", DIFF_TITLE, DIFF_CAPTION, "one variant only: no comparison")
    keys = zip(rows["cell"], rows["kpi"], strict=True)
    scale = pd.Series([abs(base.get(key, math.nan)) for key in keys], index=rows.index)
    relative = rows[["diff_mean", "diff_low", "diff_high"]].div(scale.where(scale > 0), axis=0)
    ends = relative.abs().stack().dropna()
    limit = max(0.05, min(1.0, float(ends.to_numpy().max()) if len(ends) else 1.0)) * 1.1
    kpis = list(dict.fromkeys(rows["kpi"]))
    variants = list(dict.fromkeys(rows["variant"]))
    colours = dict(zip(variants, _palette(len(variants)), strict=True))
    step = 0.8 / len(variants)
    with _style():
        figure, (ax,) = _canvas(1.5 + 0.4 * len(kpis) * len(variants))
        for position, (_, row) in enumerate(rows.iterrows()):
            i, j = kpis.index(row["kpi"]), variants.index(row["variant"])
            y = i + (j - (len(variants) - 1) / 2) * step
            colour = colours[str(row["variant"])]
            _forest_row(ax, y, relative.iloc[position], row, colour, limit)
            unit = kpi_unit(str(row["kpi"]), currency)
            ax.text(
                1.02, y, _difference(row, unit), transform=ax.get_yaxis_transform(),
                va="center", fontsize=8, color=colours[str(row["variant"])],
            )  # fmt: skip
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(kpis)), [kpi_label(k) for k in kpis])
        ax.set_ylim(len(kpis) - 0.5, -0.5)
        ax.set_xlim(-limit, limit)
        _percent(ax)
        ax.set_xlabel("change against the baseline, as a share of the baseline's mean (95 % CI)")
        for variant, colour in colours.items():
            ax.plot([], [], "o", color=colour, label=variant)
        _legend_below(figure, ax, 4)
    return _finish("differences", DIFF_TITLE, DIFF_CAPTION, figure)


def _forest_row(
    ax: Axes, y: float, relative: pd.Series, row: pd.Series, colour: str, limit: float
) -> None:
    """One variant's difference in one KPI: a dot (hollow when not clear) on its interval."""
    middle, low, high = (float(relative[c]) for c in ("diff_mean", "diff_low", "diff_high"))
    if math.isnan(middle):
        return  # the baseline is 0 or undefined: only the text beside says the difference
    clear = str(row["verdict"]) in ("higher", "lower")
    edge = 0.97 * limit  # a value beyond the axis is drawn at its edge as an arrow head

    def at(x: float) -> float:
        return min(max(x, -edge), edge)

    if not math.isnan(low):
        ax.plot([at(low), at(high)], [y, y], color=colour, lw=2)
    marker = "o" if abs(middle) <= edge else (">" if middle > 0 else "<")
    ax.plot([at(middle)], [y], marker, color=colour, mfc=colour if clear else "white", ms=7)


def _difference(row: pd.Series, unit: str) -> str:
    """A paired difference with its interval in the KPI's unit (shares in percentage points)."""
    values = [float(row[c]) for c in ("diff_mean", "diff_low", "diff_high")]
    if unit == "share":
        values, unit = [100 * v for v in values], "pp"
    middle, low, high = (_signed(v) for v in values)
    interval = f" [{low}, {high}]" if not math.isnan(values[1]) else ""
    return (f"{middle} {unit}" if unit else middle) + interval


def _signed(x: float) -> str:
    if math.isnan(x):
        return "—"
    if x == 0:
        return "0"
    return f"{x:+,.0f}" if abs(x) >= 100 else f"{x:+.3g}"


# ── sellers ──────────────────────────────────────────────────────────────────────────────────

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
    rows = _section(estimates, "sellers")
    trade = rows.pivot_table(index="variant", columns="name", values="mean", sort=False)
    caption = SELLERS_CAPTION + (FUNNEL_CAPTION if steps is not None else "")
    if "demand" not in trade or not (trade["demand"] > 0).any():
        return _nothing("sellers", SELLERS_TITLE, caption, "no seller had any demand")
    fill = rows[rows["name"] == "fill_rate"].set_index("variant")
    with _style():
        figure, axes = _canvas(3.2, 1, 2 if steps is not None else 1)
        ax = axes[0]
        sold, lost = trade["sold"].to_numpy(float), trade["lost"].to_numpy(float)
        labels = [str(v) for v in trade.index]
        ax.barh(labels, sold, 0.6, color=_palette(1)[0], label="sold")
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
        _legend_below(figure, ax, 2)
        if steps is not None:
            _funnel_panel(axes[1], steps)
    return _finish("sellers", SELLERS_TITLE, caption, figure)


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
    ax.barh(steps["step"], steps["items"], color=_palette(1)[0])
    for y, count in enumerate(steps["items"]):
        ax.text(count, y, f" {count:,} ({count / first:.0%})", va="center")
    ax.invert_yaxis()
    ax.set_xlabel("items launched after the warm-up")
    ax.margins(x=0.45)


# ── names and units ──────────────────────────────────────────────────────────────────────────

KPI_WORDS = {
    "ccc_days": "cash conversion cycle",
    "profit": "profit",
    "busy_of_open": "busy share of open time",
    "mean_h": "mean lead time",
    "p95_h": "95th percentile lead time",
    "on_time_share": "on-time share",
    "fill_rate": "fill rate",
    "peak_funding_need": "peak funding need",
}
SHARES = {"fill_rate", "hit_rate", "sell_through", "busy_of_open", "ordered_share", *LINE_STATES}
PIECES = {"demand", "sold", "lost", "salvaged", "preorders"}


def kpi_label(name: str) -> str:
    """A flat KPI name in words: `lead_time.repeat.mean_h` → `mean lead time · repeat`."""
    section, key, kpi = metrics.split_kpi_name(name)
    words = KPI_WORDS.get(kpi, kpi.replace("_", " "))
    if section == "lead_time":
        key += " orders"
    return f"{words} · {key}" if key else f"{words} · {section.replace('_', ' ')}"


def kpi_unit(name: str, currency: str = "") -> str:
    """The unit of a flat KPI name, as docs/results.md gives it."""
    section, _, kpi = metrics.split_kpi_name(name)
    if kpi.endswith("_days"):
        return "days"
    if kpi.endswith("_h"):
        return "h"
    if kpi in SHARES or kpi.endswith("_share") or kpi.startswith("repeat_share"):
        return "share"
    if section == "orders":
        return "orders"
    if kpi in PIECES:
        return "pieces"
    if section == "cash_cycle" or kpi == "revenue":
        return currency
    return ""


FIGURES = (
    "lead-time",
    "time-split",
    "gantt",
    "backlog",
    "cash",
    "cash-cycle",
    "differences",
    "sellers",
)
"""Every figure's file name, in the order a report shows them."""
