"""The cash-cycle figure of a scenario with many factories (more than MANY_FACTORIES): a grid
of a fixed size whatever their count (their books together, the other parties, the spread of
each part over the factories, the EDGE of highest and of lowest profit, each named with its
rank); with MANY_FACTORIES or fewer, a panel per factory as before."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flexsim import metrics, plots
from flexsim.plots.money import CCC_CAPTION, CCC_TITLE, EDGE
from flexsim.report import experiment_folder
from flexsim.vocabulary import FACTORIES, MANY_FACTORIES

PARTS = ("dio_days", "dso_days", "dpo_days", "ccc_days")


def synthetic(count: int, variant: str = "run", profit_sign: float = 1.0) -> pd.DataFrame:
    """Estimates of `count` factories f00, f01, …: factory k has DIO k, DSO 2k, DPO 10,
    CCC 3k − 10 and profit (k · 37 mod count) · profit_sign (a shuffled ranking); their books
    together and the sellers, as a run's KPI row has them; the platform without a cycle."""
    row: dict[str, Any] = {}
    for k in range(count):
        party = f"factory/f{k:02d}"
        row |= {
            f"cash_cycle.{party}.{p}": v
            for p, v in zip(PARTS, (k, 2 * k, 10, 3 * k - 10), strict=True)
        }
        row[f"cash_cycle.{party}.profit"] = profit_sign * ((k * 37) % count)
    for party in (FACTORIES, "sellers"):
        row |= {
            f"cash_cycle.{party}.{p}": v for p, v in zip(PARTS, (5.0, 6.0, 7.0, 4.0), strict=True)
        }
        row[f"cash_cycle.{party}.profit"] = 1e6
    row |= {f"cash_cycle.platform.{p}": None for p in PARTS} | {"cash_cycle.platform.profit": 9}
    return plots.run_estimates(row, variant)


def shown(figure: plots.Figure) -> list[Any]:
    """The axes of the figure's panels that are drawn (not the grid's empty places)."""
    return [ax for ax in figure.figure.axes if ax.axison]


def titles(figure: plots.Figure) -> list[str]:
    return [ax.get_title() for ax in shown(figure)]


def test_many_factories_make_a_grid_of_one_size_whatever_their_count() -> None:
    """12 and 300 factories: the same nine panels in the same size of figure, where the panel a
    factory would make 4,500 px and more."""
    few, lots = plots.cash_cycle(synthetic(12)), plots.cash_cycle(synthetic(300))
    assert len(shown(few)) == len(shown(lots)) == 3 + 2 * EDGE
    assert tuple(few.figure.get_size_inches()) == tuple(lots.figure.get_size_inches())
    assert lots.figure.get_size_inches()[1] <= 11  # three rows of panels: about 1,100 px at 110 dpi
    assert titles(lots)[:3] == [
        "all 300 factories together",
        "sellers",
        "spread over 300 factories:\nlowest to highest, • median",
    ]


def test_the_panels_name_the_factories_of_highest_and_lowest_profit() -> None:
    """Profit k · 37 mod 20 ranked here, without the figure's code: f00 has 0, the lowest;
    f07 has 19, the highest."""
    count = 20
    profit = {f"factory/f{k:02d}": (k * 37) % count for k in range(count)}
    order = sorted(profit, key=lambda party: -profit[party])
    figure = plots.cash_cycle(synthetic(count), "CNY")
    ends = titles(figure)[3:]
    assert [title.split(":")[0] for title in ends] == order[:EDGE] + order[-EDGE:]
    assert ends[0].endswith(f"profit #1 of {count} (highest)")
    assert ends[-1].endswith(f"profit #{count} of {count} (lowest)")
    assert ends[1] == f"{order[1]}: {profit[order[1]]:,.0f} CNY\nprofit #2 of {count}"
    assert figure.title == f"{CCC_TITLE}: 3 highest and 3 lowest of {count} factories by profit"
    assert "the 3 factories with the highest profit" in figure.caption


def test_the_spread_panel_spans_the_lowest_to_the_highest_factory() -> None:
    """Factory k's CCC is 3k − 10: from −10 to 3 · 19 − 10 = 47, median 18.5; −DPO is −10 for
    every factory, a bar of no length."""
    figure = plots.cash_cycle(synthetic(20))
    spread = shown(figure)[2]
    texts = [text.get_text().strip() for text in spread.texts]
    assert {"-10.0", "47.0", "18.5"} <= set(texts)
    bars = [patch for patch in spread.patches if patch.get_width() > 0]
    ccc = max(bars, key=lambda bar: bar.get_width())
    assert ccc.get_x() == pytest.approx(-10) and ccc.get_width() == pytest.approx(57)


def test_a_factory_without_a_cycle_is_still_ranked_by_profit_but_not_in_the_spread() -> None:
    estimates = synthetic(12)
    missing = estimates["kpi"].str.startswith("cash_cycle.factory/f00.") & ~estimates[
        "kpi"
    ].str.endswith(".profit")
    estimates.loc[missing, "mean"] = math.nan  # f00 sold and bought nothing: profit 0, lowest
    figure = plots.cash_cycle(estimates)
    assert titles(figure)[2].startswith("spread over 11 factories (of 12):")
    assert titles(figure)[-1].startswith("factory/f00: 0\nprofit #12 of 12 (lowest)")
    assert "—" in [text.get_text().strip() for text in shown(figure)[-1].texts]


def test_in_an_experiment_the_first_design_point_ranks_the_factories() -> None:
    """Profits reversed in the second design point: the panels are the first's ends, each
    factory's bars for both points, the title naming where it was ranked."""
    both = pd.concat(
        [synthetic(20, "voucher"), synthetic(20, "credit", profit_sign=-1.0)], ignore_index=True
    )
    figure = plots.cash_cycle(both)
    alone = plots.cash_cycle(synthetic(20, "voucher"))
    ends = titles(figure)[3:]
    assert [t.split(":")[0] for t in ends] == [t.split(":")[0] for t in titles(alone)[3:]]
    assert all(title.endswith(" in voucher") for title in ends)
    assert "(ranked in voucher, the first design point)" in figure.caption
    assert len(shown(figure)) == 3 + 2 * EDGE
    # the report of an experiment keeps each party's profit for the ranking
    assert experiment_folder._drawn("cash_cycle.factory/f01.profit")
    assert not experiment_folder._drawn("cash_cycle.factory/f01.revenue")


def test_up_to_many_factories_each_has_its_own_panel_as_before() -> None:
    """MANY_FACTORIES factories: a panel each and the sellers' (not their books together),
    the plain title and caption; their profits change nothing in the drawing."""
    estimates = synthetic(MANY_FACTORIES)
    figure = plots.cash_cycle(estimates)
    assert titles(figure) == [f"factory/f{k:02d}" for k in range(MANY_FACTORIES)] + ["sellers"]
    assert (figure.title, figure.caption) == (CCC_TITLE, CCC_CAPTION)
    drawn = figure.render("png")  # once: a figure drawn again can differ by a byte
    without = estimates[~estimates["kpi"].str.endswith(".profit")]
    assert plots.cash_cycle(without, "CNY").render("png") == drawn


def test_the_default_scenarios_figure_is_unchanged_by_profit_and_currency(
    reported_run: Path,
) -> None:
    """The experiment report now passes each party's profit and the currency along: the
    default scenario's figure is the same picture with or without them."""
    row = metrics.kpi_row(json.loads((reported_run / "kpis.json").read_text()))
    estimates = plots.run_estimates(row, "run")
    figure = plots.cash_cycle(estimates, "CNY")
    drawn = figure.render("png")  # once: a figure drawn again can differ by a byte
    bare = estimates[~estimates["kpi"].str.endswith(".profit")]
    assert drawn == plots.cash_cycle(bare).render("png")
    assert titles(figure) == ["factory/fuchun", "sellers"]
    assert (reported_run / "figures" / "cash-cycle.png").read_bytes() == drawn


def test_the_village_figure_names_its_ends_from_the_kpis(
    reported_village: tuple[Path, str],
) -> None:
    """The village at test size: the factories of highest and lowest profit in kpis.json, the
    spread of their CCC, and the figure the report wrote is this one."""
    folder, _ = reported_village
    kpis = json.loads((folder / "kpis.json").read_text())
    cycles = {p: row for p, row in kpis["cash_cycle"].items() if p.startswith("factory/")}
    assert len(cycles) == 50
    order = sorted(cycles, key=lambda party: -cycles[party]["profit"])
    figure = plots.cash_cycle(plots.run_estimates(metrics.kpi_row(kpis), "run"), "CNY")
    names = titles(figure)
    assert names[0] == "all 50 factories together" and names[1] == "sellers"
    assert [title.split(":")[0] for title in names[3:]] == order[:EDGE] + order[-EDGE:]
    best = cycles[order[0]]["profit"]
    assert names[3] == f"{order[0]}: {best:,.0f} CNY\nprofit #1 of 50 (highest)"
    known = [row["ccc_days"] for row in cycles.values() if row["ccc_days"] is not None]
    texts = {text.get_text().strip() for text in shown(figure)[2].texts}
    assert {f"{min(known):.1f}", f"{max(known):.1f}"} <= texts
    assert (folder / "figures" / "cash-cycle.png").read_bytes() == figure.render("png")
    assert figure.figure.get_size_inches()[1] * 110 < 1200  # was 4,576 px
