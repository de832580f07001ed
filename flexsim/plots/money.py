"""Money figures: each party's cash day by day (with a band over replications) and the cash
conversion cycle with its parts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flexsim.plots.figure import (
    EDGE,
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
    top_and_bottom,
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
    " With more than eight factories, the first panel is the books of all {count} taken "
    "together: balances and flows summed, the days computed from the sums."
)
CCC_SPREAD = (
    " The next shows each part's spread over the {count} factories with a cash cycle: a bar "
    "from the lowest factory's value to the highest's, a dot at the median."
)
CCC_ENDS = (
    " Then the {top} factories with the highest profit in the measured window and the "
    "{bottom} with the lowest{first}, each titled with its rank and profit (the parts of a "
    "factory without a cash cycle, for want of sales or purchases, are dashes)."
)
CCC_EVERY = (
    " Every factory's CCC and profit are in kpis.json, a run report's table of factories "
    "(one row each) and an experiment's runs.csv."
)
CCC_PARTS = {
    "dio_days": "DIO: days of stock",
    "dso_days": "DSO: days to be paid",
    "dpo_days": "−DPO: days to pay",
    "ccc_days": "CCC: cash cycle",
}


CCC_COLUMNS = 4
CCC_NONE = "no party bought, sold or held stock in the measured window"
SPREAD = "spread"  # the place of the per-factory spread panel among the parties


def cash_cycle(estimates: pd.DataFrame, currency: str = "") -> Figure:
    """DIO, DSO, −DPO and CCC of every party whose cash cycle is defined, per variant, with
    their intervals when there are replications. The platform has none (no stock, no
    suppliers): its DSO, the voucher float over a day of its fees, would be a bar of thousands
    of days that says nothing of a cycle, so it is left out with the others that have none.
    With more than MANY_FACTORIES factories, their books together (FACTORIES) and the other
    parties, the spread of each part over the factories, and the EDGE factories of highest and
    of lowest profit (in the first variant), profits in `currency`."""
    rows = section_of(estimates, "cash_cycle")
    money = rows[rows["name"] == "profit"]
    rows = rows[rows["name"].isin(list(CCC_PARTS))]
    cycles = rows[rows["name"] == "ccc_days"]
    defined = cycles.groupby("key")["mean"].apply(lambda m: m.notna().any())
    parties = [str(p) for p in rows["key"].unique() if defined.get(p, False)]
    every = [str(p) for p in rows["key"].unique() if is_factory(str(p))]
    if len(every) > MANY_FACTORIES:
        return _many_cash_cycles(rows, money, parties, every, currency)
    parties = [party for party in parties if party != FACTORIES]  # each factory is drawn
    if not parties:
        return nothing("cash-cycle", CCC_TITLE, CCC_CAPTION, CCC_NONE)
    variants = list(dict.fromkeys(rows["variant"]))
    colours = palette(len(variants))
    # at most CCC_COLUMNS panels a row
    cols = min(len(parties), CCC_COLUMNS)
    grid_rows = math.ceil(len(parties) / cols)
    with style():
        height = (1.2 + 0.5 * len(variants) * 4) * grid_rows
        figure, axes = canvas(height, grid_rows, cols, sharey=True)
        for ax, party in zip(axes, parties, strict=False):
            mine = rows[rows["key"] == party]
            _ccc_panel(ax, mine, variants, colours)
            ax.set_title(party)
            ax.set_xlabel("days")
        for ax in axes[len(parties) :]:
            ax.axis("off")  # the last row's empty places
        if len(variants) > 1:
            legend_below(figure, axes[0], 4)
    return finish("cash-cycle", CCC_TITLE, CCC_CAPTION, figure)


def _many_cash_cycles(
    rows: pd.DataFrame, money: pd.DataFrame, parties: list[str], every: list[str], currency: str
) -> Figure:
    """The cash-cycle figure of many factories (`every`): a row of their books together, the
    other parties and the spread over the factories; a row of the EDGE factories of highest
    profit and one of the EDGE of lowest; a grid of EDGE columns whatever the factories' count."""
    factories = [party for party in parties if is_factory(party)]  # with a cash cycle
    variants = list(dict.fromkeys(rows["variant"]))
    ranks = _profit_ranks(money, every, variants[0])  # a factory without a cycle too
    top, bottom = top_and_bottom(list(ranks))
    caption = CCC_CAPTION + CCC_MANY.format(count=len(every))
    if factories:
        caption += CCC_SPREAD.format(count=len(factories))
    if ranks:
        first = f" (ranked in {variants[0]}, the first design point)" if len(variants) > 1 else ""
        caption += CCC_ENDS.format(top=len(top), bottom=len(bottom), first=first)
    caption += CCC_EVERY
    if not parties:
        return nothing("cash-cycle", CCC_TITLE, caption, CCC_NONE)
    title = CCC_TITLE
    if ranks:
        title += (
            f": {len(top)} highest and {len(bottom)} lowest of {len(ranks)} factories by profit"
        )
    with_cycle = "" if len(factories) == len(every) else f" (of {len(every)})"
    whole = [FACTORIES] if FACTORIES in parties else []
    whole += [party for party in parties if party != FACTORIES and not is_factory(party)]
    whole += [SPREAD] if factories else []
    grid = [whole[k : k + EDGE] for k in range(0, len(whole), EDGE)]
    grid += [places for places in (top, bottom) if places]
    colours = palette(len(variants))
    ranked_in = variants[0] if len(variants) > 1 else ""  # named when one of several
    with style():
        height = (1.4 + 0.5 * len(variants) * 4) * len(grid)
        figure, axes = canvas(height, len(grid), EDGE, sharey=True)
        for r, places in enumerate(grid):
            line = axes[r * EDGE : (r + 1) * EDGE]
            for ax, party in zip(line, places, strict=False):
                if party == SPREAD:
                    _spread_panel(ax, rows[rows["key"].isin(factories)], variants, colours)
                    ax.set_title(f"spread over {len(factories)} factories{with_cycle}:\n"
                                 "lowest to highest, • median")  # fmt: skip
                else:
                    _ccc_panel(ax, rows[rows["key"] == party], variants, colours)
                    ax.set_title(_party_title(party, len(every), ranks, currency, ranked_in))
                    ax.margins(x=0.4)  # room for the numbers beside the bars
                ax.set_xlabel("days")
            for ax in line[len(places) :]:
                ax.axis("off")  # a row's empty places
        if len(variants) > 1:
            legend_below(figure, axes[0], 4)
    return finish("cash-cycle", title, caption, figure)


def _profit_ranks(money: pd.DataFrame, factories: list[str], variant: str) -> dict[str, float]:
    """The profit in `variant` of those of the factories that have one, highest first."""
    mine = money[money["variant"] == variant].set_index("key")["mean"].dropna()
    known = {party: float(mine[party]) for party in factories if party in mine.index}
    return dict(sorted(known.items(), key=lambda item: -item[1]))


def _party_title(
    party: str, count: int, ranks: dict[str, float], currency: str, variant: str
) -> str:
    """A panel's title: the party, with a factory's profit and its rank by profit (in
    `variant`, named when it is one of several)."""
    if party == FACTORIES:
        return f"all {count} factories together"
    if party not in ranks:
        return party
    rank = list(ranks).index(party) + 1
    end = " (highest)" if rank == 1 else " (lowest)" if rank == len(ranks) else ""
    profit = f"{ranks[party]:,.0f} {currency}".rstrip()
    where = f" in {variant}" if variant else ""
    return f"{party}: {profit}\nprofit #{rank} of {len(ranks)}{end}{where}"


def _spread_panel(ax: Axes, rows: pd.DataFrame, variants: list[str], colours: list[str]) -> None:
    """Each part's spread over the factories (`rows`, their estimates), per variant: a bar
    from the lowest factory to the highest, a dot at the median, the three values as text."""
    height = 0.8 / len(variants)
    for j, variant in enumerate(variants):
        mine = rows[rows["variant"] == variant]
        y0 = (j - (len(variants) - 1) / 2) * height
        for k, part in enumerate(CCC_PARTS):
            values = mine.loc[mine["name"] == part, "mean"].dropna().to_numpy(float)
            y = k + y0
            if not len(values):
                ax.text(0, y, " — ", va="center", ha="left")
                continue
            if part == "dpo_days":
                values = -values
            low, mid, high = float(values.min()), float(np.median(values)), float(values.max())
            shade = 1.0 if part == "ccc_days" else 0.55
            ax.barh(y, high - low, height * 0.5, left=low, color=colours[j], alpha=shade)
            ax.plot([mid], [y], "o", color="black", ms=5)
            ax.text(low, y, f"{low:.1f} ", va="center", ha="right", fontsize=8)
            ax.text(high, y, f" {high:.1f}", va="center", ha="left", fontsize=8)
            ax.text(mid, y - height * 0.3, f"{mid:.1f}", va="bottom", ha="center", fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(CCC_PARTS)), list(CCC_PARTS.values()))
    ax.set_ylim(len(CCC_PARTS) - 0.5, -0.5)
    ax.margins(x=0.3)


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
