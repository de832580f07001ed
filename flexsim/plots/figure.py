"""Figure: one figure of a report, and what every figure shares: the style (seaborn's white
grid and colour-blind palette), a canvas of its own, fixed colours for the line states, the
"nothing to show" figure, and KPI estimates as figures read them.

matplotlib and seaborn are imported when a figure is drawn, never at import, and a figure is
drawn on its own Agg canvas, never through pyplot's global state or backend.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flexsim import metrics

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
def style() -> Iterator[None]:
    """seaborn's white-grid style, only while a figure is drawn (rcParams are global)."""
    import matplotlib
    import seaborn as sns

    with (
        matplotlib.rc_context({"svg.hashsalt": "flexsim"}),
        sns.axes_style("whitegrid"),
        sns.plotting_context("notebook", font_scale=0.85),
    ):
        yield


def canvas(
    height: float, rows: int = 1, cols: int = 1, **options: Any
) -> tuple[Canvas, list[Axes]]:
    """A new figure on its own Agg canvas and its axes, row by row."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, cols, squeeze=False, **options)
    return figure, list(axes.ravel())


def palette(count: int) -> list[str]:
    import seaborn as sns

    colours: list[str] = sns.color_palette("colorblind", max(count, 1)).as_hex()
    return colours


def nothing(name: str, title: str, caption: str, why: str) -> Figure:
    figure, (ax,) = canvas(1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, f"{NOTHING}: {why}", ha="center", va="center", transform=ax.transAxes)
    figure.suptitle(title, fontweight="bold")
    return Figure(name, title, caption, figure)


def finish(name: str, title: str, caption: str, figure: Canvas) -> Figure:
    figure.suptitle(title, fontweight="bold")
    return Figure(name, title, caption, figure)


def percent(ax: Axes, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def legend_below(figure: Canvas, ax: Axes, columns: int) -> None:
    """The legend of `ax` under the whole figure, each label once."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    figure.legend(
        list(unique.values()), list(unique), loc="outside lower center",
        ncol=min(columns, len(unique)), frameon=False,
    )  # fmt: skip


def shade_warmup(ax: Axes, warmup_days: float) -> None:
    """Shade the warm-up, which the KPIs leave out."""
    if warmup_days > 0:
        ax.axvspan(0, warmup_days, color="#000000", alpha=0.06, lw=0)
        ax.text(
            warmup_days / 2, 0.97, WARMUP_NOTE, transform=ax.get_xaxis_transform(),
            ha="center", va="top", fontsize=8, color="#555555",
        )  # fmt: skip


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


def run_estimates(row: dict[str, Any], label: str) -> pd.DataFrame:
    """One run's flat KPI row as estimates without bounds, its variant called `label`."""
    values = [math.nan if value is None else float(value) for value in row.values()]
    return pd.DataFrame(
        {"variant": label, "kpi": list(row), "mean": values, "low": math.nan, "high": math.nan}
    )


def section_of(estimates: pd.DataFrame, section: str) -> pd.DataFrame:
    """The estimates of one KPI section, with their key and KPI split out of the flat name."""
    rows = estimates[estimates["kpi"].astype(str).str.startswith(f"{section}.")]
    parts = [metrics.split_kpi_name(name) for name in rows["kpi"]]
    return rows.assign(key=[p[1] for p in parts], name=[p[2] for p in parts])


def error_bars(rows: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """Error-bar lengths below and above each mean, or None when there are no bounds."""
    if rows[["low", "high"]].isna().all().all():
        return None
    low = (rows["mean"] - rows["low"]).clip(lower=0).fillna(0)
    high = (rows["high"] - rows["mean"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(float), high.to_numpy(float)])


def values_of(frame: pd.DataFrame, column: str) -> list[float]:
    """A column's values, NaN where the column is missing."""
    if column not in frame:
        return [math.nan] * len(frame)
    return [float(x) for x in frame[column]]


EDGE = 3  # the top and bottom few of many: lines, factories, the console's and the cards' rows


def top_and_bottom(keys: list[str], edge: int = EDGE) -> tuple[list[str], list[str]]:
    """The first and last `edge` keys of a ranking (fewer when they would overlap)."""
    if len(keys) <= 2 * edge:
        half = (len(keys) + 1) // 2
        return keys[:half], keys[half:]
    return keys[:edge], keys[-edge:]
