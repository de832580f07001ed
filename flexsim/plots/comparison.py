"""Comparison figure: a forest plot of each variant's paired difference from the baseline."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from flexsim.plots.figure import (
    Figure,
    canvas,
    finish,
    legend_below,
    nothing,
    palette,
    percent,
    style,
)
from flexsim.plots.names import kpi_label, kpi_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

DIFF_TITLE = "Differences against the baseline (paired over common random numbers)"
DIFF_CAPTION = (
    "Each row is one KPI: the dot is how much the variant changes it against the baseline, run "
    "on the same random numbers, as a share of the baseline's value, and the bar is its 95 % "
    "confidence interval. A bar that crosses the zero line (hollow dot) shows no clear difference."
)


def differences(summary: pd.DataFrame, currency: str = "", cells: str = "") -> Figure:
    """A forest plot of each variant's paired difference from the baseline per KPI, relative
    to the baseline's mean (cut at ±110 %, an arrow head marking a cut), the absolute difference
    written beside; `summary` holds the columns of summary.csv and optionally `cell` (the
    design points compared with one baseline point, named beside each difference) and `family`
    (the variant without the cell, which gives the colour: one colour per variant, its cells
    on consecutive rows); `cells` names the global factors whose values `cell` holds."""
    rows = summary.assign(cell=summary.get("cell", ""))
    base = rows[rows["verdict"] == "baseline"].set_index(["cell", "kpi"])["mean"]
    rows = rows[rows["verdict"] != "baseline"]
    if rows.empty:
        return nothing("differences", DIFF_TITLE, DIFF_CAPTION, "one variant only: no comparison")
    keys = zip(rows["cell"], rows["kpi"], strict=True)
    scale = pd.Series([abs(base.get(key, math.nan)) for key in keys], index=rows.index)
    relative = rows[["diff_mean", "diff_low", "diff_high"]].div(scale.where(scale > 0), axis=0)
    ends = relative.abs().stack().dropna()
    limit = max(0.05, min(1.0, float(ends.to_numpy().max()) if len(ends) else 1.0)) * 1.1
    kpis = list(dict.fromkeys(rows["kpi"]))
    family = rows["family"] if "family" in rows else rows["variant"]
    families, cell_values = list(dict.fromkeys(family)), list(dict.fromkeys(rows["cell"]))
    present = set(zip(family, rows["cell"], strict=True))
    points = [(f, c) for f in families for c in cell_values if (f, c) in present]
    colours = dict(zip(families, palette(len(families)), strict=True))
    step = 0.8 / len(points)
    with style():
        figure, (ax,) = canvas(1.5 + 0.4 * len(kpis) * len(points))
        for position, (_, row) in enumerate(rows.iterrows()):
            point = (family.iloc[position], row["cell"])
            i, j = kpis.index(row["kpi"]), points.index(point)
            y = i + (j - (len(points) - 1) / 2) * step
            colour = colours[point[0]]
            _forest_row(ax, y, relative.iloc[position], row, colour, limit)
            unit = kpi_unit(str(row["kpi"]), currency)
            text = (f"{row['cell']}: " if row["cell"] else "") + _difference(row, unit)
            ax.text(
                1.02, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                color=colour,
            )  # fmt: skip
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(kpis)), [kpi_label(k) for k in kpis])
        ax.set_ylim(len(kpis) - 0.5, -0.5)
        ax.set_xlim(-limit, limit)
        percent(ax)
        label = "change against the baseline, as a share of the baseline's mean (95 % CI)"
        ax.set_xlabel(label + (f"\nbefore each difference: its {cells}" if cells else ""))
        for variant, colour in colours.items():
            ax.plot([], [], "o", color=colour, label=variant)
        legend_below(figure, ax, 4)
    return finish("differences", DIFF_TITLE, DIFF_CAPTION, figure)


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
