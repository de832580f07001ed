"""Money figures: each party's cash day by day (with a band over replications) and the cash
conversion cycle with its parts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flexsim.plots.figure import (
    Figure,
    canvas,
    error_bars,
    finish,
    legend_below,
    nothing,
    palette,
    section_of,
    shade_warmup,
    style,
)
from flexsim.vocabulary import FACTORIES, MANY_FACTORIES, is_factory

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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
        return nothing("cash", CASH_TITLE, caption, "no party had any money")
    parties = list(dict.fromkeys(series["party"]))
    variants = list(dict.fromkeys(series["variant"])) if "variant" in series else [""]
    colours = dict(zip(variants, palette(len(variants)), strict=True))
    with style():
        figure, panels = canvas(1.0 + 2.1 * len(parties), len(parties), 1, sharex=True)
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
            shade_warmup(ax, warmup_days)
            ax.set_title(party, loc="left", fontsize=10)
            ax.set_ylabel(f"cash ({unit})")
        if len(variants) > 1:
            panels[0].legend(loc="best", title="variant")  # one variant needs no legend
        panels[-1].set_xlabel("day of the run")
    return finish("cash", CASH_TITLE, caption, figure)


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
CCC_MANY = (
    " With more than eight factories, the first panel is their books taken together: "
    "balances and flows summed, the days computed from the sums."
)
CCC_PARTS = {
    "dio_days": "DIO: days of stock",
    "dso_days": "DSO: days to be paid",
    "dpo_days": "−DPO: days to pay",
    "ccc_days": "CCC: cash cycle",
}


CCC_COLUMNS = 4


def cash_cycle(estimates: pd.DataFrame) -> Figure:
    """DIO, DSO, −DPO and CCC of every party whose cash cycle is defined, per variant, with
    their intervals when there are replications. The platform has none (no stock, no
    suppliers): its DSO, the voucher float over a day of its fees, would be a bar of thousands
    of days that says nothing of a cycle, so it is left out with the others that have none.
    With more than MANY_FACTORIES factories, the first panel is their books together."""
    rows = section_of(estimates, "cash_cycle")
    rows = rows[rows["name"].isin(list(CCC_PARTS))]
    cycles = rows[rows["name"] == "ccc_days"]
    defined = cycles.groupby("key")["mean"].apply(lambda m: m.notna().any())
    parties = [str(p) for p in rows["key"].unique() if defined.get(p, False)]
    many = sum(is_factory(str(p)) for p in rows["key"].unique()) > MANY_FACTORIES
    # the factories' books together: first with many factories; else not (they are each drawn)
    parties = ([FACTORIES] if many and FACTORIES in parties else []) + [
        party for party in parties if party != FACTORIES
    ]
    if not parties:
        why = "no party bought, sold or held stock in the measured window"
        return nothing("cash-cycle", CCC_TITLE, CCC_CAPTION, why)
    variants = list(dict.fromkeys(rows["variant"]))
    colours = palette(len(variants))
    # at most CCC_COLUMNS panels a row: a village's 50 factories make a grid, not a strip
    cols = min(len(parties), CCC_COLUMNS)
    grid_rows = math.ceil(len(parties) / cols)
    with style():
        height = (1.2 + 0.5 * len(variants) * 4) * grid_rows
        figure, axes = canvas(height, grid_rows, cols, sharey=True)
        for ax, party in zip(axes, parties, strict=False):
            mine = rows[rows["key"] == party]
            _ccc_panel(ax, mine, variants, colours)
            ax.set_title(f"{party} together" if party == FACTORIES else party)
            ax.set_xlabel("days")
        for ax in axes[len(parties) :]:
            ax.axis("off")  # the last row's empty places
        if len(variants) > 1:
            legend_below(figure, axes[0], 4)
    caption = CCC_CAPTION + (CCC_MANY if many and parties[0] == FACTORIES else "")
    return finish("cash-cycle", CCC_TITLE, caption, figure)


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
                y[k], values[k], height, xerr=error_bars(part), color=colours[j], alpha=shades[k],
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
