"""Line figures: how each line spent its time (shares of calendar time, busy share, overtime)
and a Gantt strip of what it did, order by order, over chosen days."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flexsim.plots.figure import (
    EDGE,
    FAMILY_COLOURS,
    OVERTIME_COLOUR,
    STATE_COLOURS,
    STATE_NAMES,
    Figure,
    canvas,
    finish,
    legend_below,
    nothing,
    percent,
    section_of,
    style,
    top_and_bottom,
    values_of,
)
from flexsim.vocabulary import (
    FACTORIES,
    HOURS_PER_DAY,
    LINE_STATES,
    MANY_FACTORIES,
    NO_ORDER,
    is_workshop,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SPLIT_TITLE = "How each line spent its time (measured window)"
SPLIT_CAPTION = (
    "Each bar is one production line's calendar time after the warm-up, split by what the line "
    "was doing; beside it, the busy share (processing and changeover) of its open hours, and "
    "its overtime: hours worked beyond the normal shifts, already inside the coloured parts."
)


SPLIT_MANY = (
    " With more than eight factories, the first bar is all the factories' lines taken together "
    "(each state's share of all their hours, the busy share of all their open hours, overtime "
    "summed), with the range and median of a line's busy share; then the {edge} lines busiest "
    "and the {edge} idlest by busy share of open time{first}. Every line's shares, the "
    "workshops' too, are in kpis.json."
)


def time_split(estimates: pd.DataFrame) -> Figure:
    """Each line's shares of calendar time by state (stacked), overtime hours beside; with
    more than MANY_FACTORIES factories, their lines together (the FACTORIES entry) with the
    spread of the lines' busy shares, and the EDGE busiest and idlest lines."""
    rows = section_of(estimates, "utilisation")
    lines = [str(key) for key in dict.fromkeys(rows["key"]) if key != FACTORIES]
    factories = {key.split(".")[0] for key in lines if not is_workshop(key)}
    many = len(factories) > MANY_FACTORIES
    several = rows["variant"].nunique() > 1
    caption = SPLIT_CAPTION
    notes: dict[tuple[str, str], str] = {}
    if many:
        first = f" (of {rows['variant'].iloc[0]}, the first design point)" if several else ""
        caption += SPLIT_MANY.format(edge=EDGE, first=first)
        rows, notes = _few_lines(rows)
    else:
        rows = rows[rows["key"] != FACTORIES]
    if rows.empty:
        return nothing("time-split", SPLIT_TITLE, caption, "the scenario has no lines")
    shares = rows.pivot_table(index=["key", "variant"], columns="name", values="mean", sort=False)
    names = dict(zip(rows["key"], rows["label"], strict=True)) if many else {}
    labels = [
        f"{names.get(line, line)} · {variant}" if several else names.get(line, line)
        for line, variant in shares.index
    ]
    with style():
        figure, (ax,) = canvas(1.2 + 0.45 * len(labels) + 0.15 * len(notes))
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
            zip(values_of(shares, "busy_of_open"), values_of(shares, "overtime_h"), strict=True)
        ):
            text = f"busy {busy:.0%} of open hours\novertime {hours:,.0f} h"
            note = notes.get(shares.index[y])
            ax.text(1.01, y, text + (f"\n{note}" if note else ""), va="center", fontsize=8)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        percent(ax)
        ax.invert_yaxis()
        ax.set_xlabel("share of calendar time in the measured window")
        legend_below(figure, ax, 5)
        ax.grid(False)
    return finish("time-split", SPLIT_TITLE, caption, figure)


def _few_lines(rows: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """Of the utilisation estimates of many factories: the rows of their lines together
    (FACTORIES) and of the EDGE busiest and idlest factory lines by busy share of open time
    (in the first variant), each with its `label`; and the note beside the first bar of each
    variant: the lowest, median and highest busy share of a factory line."""
    own = rows[(rows["key"] != FACTORIES) & ~rows["key"].map(is_workshop)]
    busy = own[own["name"] == "busy_of_open"]
    first = busy[busy["variant"] == rows["variant"].iloc[0]]
    ranked = list(first.sort_values("mean", ascending=False, kind="stable")["key"])
    top, bottom = top_and_bottom(ranked)
    count = own["key"].nunique()
    labels = {FACTORIES: f"all {count} factory lines"}
    labels |= {key: f"{key} (busiest)" for key in top}
    labels |= {key: f"{key} (idlest)" for key in bottom}
    chosen = rows[rows["key"].isin(list(labels))].copy()
    order = {key: k for k, key in enumerate(labels)}
    chosen = chosen.sort_values("key", key=lambda keys: keys.map(order), kind="stable")
    chosen["label"] = chosen["key"].map(labels)
    notes: dict[tuple[str, str], str] = {}
    for variant, mine in busy.groupby("variant", sort=False):
        values = mine["mean"].dropna()
        if len(values):
            low, mid, high = values.min(), values.median(), values.max()
            notes[(FACTORIES, str(variant))] = f"per line {low:.0%}–{high:.0%}, median {mid:.0%}"
    return chosen, notes


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
        return nothing("gantt", title, GANTT_CAPTION, "no line records in these days")
    family = orders.set_index("order_id")["family"] if len(orders) else pd.Series(dtype=object)
    spans["family"] = spans["order_id"].map(family)
    lanes = list(dict.fromkeys(spans["lane"]))
    families = sorted(spans.loc[spans["state"] == "processing", "family"].dropna().unique())
    colours = dict(zip(families, itertools.cycle(FAMILY_COLOURS)))
    with style():
        figure, (ax,) = canvas(1.4 + 0.7 * len(lanes))
        for y, lane in enumerate(lanes):
            mine = spans[spans["lane"] == lane]
            _lane(ax, y, mine, colours)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.set_xlim(start / HOURS_PER_DAY, end / HOURS_PER_DAY)
        ax.set_xlabel("day of the run")
        ax.grid(axis="y", visible=False)
        legend_below(figure, ax, 6)
    return finish("gantt", title, GANTT_CAPTION, figure)


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
