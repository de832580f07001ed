"""Trade-off figure: a planning run's candidates, objective against each constrained KPI."""

from __future__ import annotations

import math

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
from flexsim.plots.names import kpi_label

TITLE = "Trade-off: the objective against each constraint"
CAPTION = (
    "Each dot is a candidate plan: its mean objective (up) against its mean constrained KPI "
    "(across), with bars for their confidence intervals. The dashed line is the constraint's "
    "bound; the search's candidates are blue, the finalists re-run with fresh seeds orange, and "
    "the chosen plan is the black star. Where a candidate lies far beyond the bound, the axis "
    "is logarithmic past the bound."
)


def _width(rows: pd.DataFrame, column: str) -> pd.Series | None:
    """The half-widths of a column's intervals (None for a decision variable: exact)."""
    name = f"{column} ±"
    return rows[name].fillna(0) if name in rows else None


def tradeoff(
    candidates: pd.DataFrame, objective: str, constraints: list[tuple[str, float]]
) -> Figure:
    """The figure from candidates.csv's columns (`phase`, `chosen`, each KPI and `KPI ±`):
    one panel per constraint `(kpi, bound)`, the objective up and the KPI across."""
    if candidates.empty or objective not in candidates:
        return nothing("tradeoff", TITLE, CAPTION, "no candidate was evaluated")
    if not constraints:
        return nothing("tradeoff", TITLE, CAPTION, "the plan has no constraint")
    from matplotlib.ticker import StrMethodFormatter

    colours = dict(zip(("search", "final"), palette(2), strict=True))
    with style():
        figure, axes = canvas(3.6, 1, len(constraints))
        for ax, (kpi, bound) in zip(axes, constraints, strict=True):
            for phase, rows in candidates.groupby("phase", sort=False):
                ax.errorbar(
                    rows[kpi], rows[objective],
                    xerr=_width(rows, kpi), yerr=_width(rows, objective),
                    fmt="o", color=colours.get(str(phase), "#555555"), alpha=0.75, ms=5,
                    label=f"{phase} candidates",
                )  # fmt: skip
            chosen = candidates[candidates["chosen"].astype(bool)]
            if not chosen.empty:
                ax.plot(
                    chosen[kpi], chosen[objective], "*", color="black", ms=14,
                    label="chosen plan", zorder=5,
                )  # fmt: skip
            if math.isfinite(bound):
                ax.axvline(bound, color="#d55e00", ls="--", lw=1.2, label="bound")
            spread = candidates[kpi].abs().max()
            if math.isfinite(bound) and bound != 0 and spread > 50 * abs(bound):
                ax.set_xscale("symlog", linthresh=abs(bound))  # a runaway candidate far out
            ax.set_xlabel(kpi_label(kpi))
            ax.set_ylabel(kpi_label(objective) if "." in objective else objective)
            if kpi.endswith("_share"):
                percent(ax, "x")
            if candidates[objective].abs().max() >= 1e4:  # 340,000, not 0.34 and a 1e6 above
                ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        legend_below(figure, axes[0], 4)
    return finish("tradeoff", TITLE, CAPTION, figure)
