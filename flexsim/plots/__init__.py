"""Plots: the figures of a report, drawn with seaborn's style on matplotlib's Agg canvas from
result tables and KPI estimates only, never computing a KPI a second way.

Each function returns a `Figure`: a file name, a title, a caption saying how to read it, and
the matplotlib figure. An input with nothing to draw gives a figure that says "nothing to show"
and why, never an exception. KPI estimates are tidy rows `variant, kpi, mean, low, high` (the
columns of an experiment's summary.csv; for one run, its flat KPI row with no bounds, from
`run_estimates`). matplotlib and seaborn are imported when the first figure is drawn, so that
`import flexsim` stays quick. The modules split the figures by what they show: `orders`,
`lines`, `money`, `comparison`, `sellers`; `figure` holds what they share, `names` the words.
"""

from flexsim.plots.comparison import differences
from flexsim.plots.figure import (
    FAMILY_COLOURS,
    FIGURES,
    FORMATS,
    OVERTIME_COLOUR,
    STATE_COLOURS,
    STATE_NAMES,
    Figure,
    run_estimates,
)
from flexsim.plots.lines import gantt, time_split
from flexsim.plots.money import cash, cash_cycle
from flexsim.plots.names import kpi_label, kpi_unit
from flexsim.plots.orders import backlog, lead_time, lead_time_estimates
from flexsim.plots.sellers import funnel, sellers
from flexsim.plots.tradeoff import tradeoff

__all__ = [
    "FAMILY_COLOURS",
    "FIGURES",
    "FORMATS",
    "OVERTIME_COLOUR",
    "STATE_COLOURS",
    "STATE_NAMES",
    "Figure",
    "backlog",
    "cash",
    "cash_cycle",
    "differences",
    "funnel",
    "gantt",
    "kpi_label",
    "kpi_unit",
    "lead_time",
    "lead_time_estimates",
    "run_estimates",
    "sellers",
    "time_split",
    "tradeoff",
]
