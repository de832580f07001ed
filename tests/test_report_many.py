"""A scenario with many factories on the console and in report.html: totals and spreads across
the factories (report/spread.py) in place of a column, row or card per factory, and one table
with a row per factory; a scenario with MANY_FACTORIES factories or fewer shows them each."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flexsim import load_builtin
from flexsim.report import spread
from flexsim.report.tables import kpi_tables, text_table

CARD = re.compile(r'<div class="card"><div class="what">([^<]*)</div>')


def test_spread_is_mean_min_median_max_of_the_known_values() -> None:
    stats = spread.spread([1, 2, None, 10, float("nan")])
    assert stats == {"mean": pytest.approx(13 / 3), "min": 1, "median": 2, "max": 10}
    assert isinstance(stats["min"], int)  # counts stay counts
    assert spread.spread([None]) == dict.fromkeys(spread.STATS)
    assert spread.spread([0.5, 0.25])["median"] == pytest.approx(0.375)


def test_a_group_of_more_than_many_rows_becomes_its_total_and_spread() -> None:
    rows = {f"factory/f{i}": {"profit": float(i), "ccc_days": 2.0 * i} for i in range(9)}
    rows["sellers"] = {"profit": 100.0, "ccc_days": 1.0}
    out = spread.spread_rows(rows, spread.party_groups(), spread.additive)
    assert list(out) == [
        "factories total",
        "factory mean",
        "factory min",
        "factory median",
        "factory max",
        "sellers",
    ]
    assert out["factories total"] == {"profit": 36, "ccc_days": None}  # days do not add up
    assert out["factory max"] == {"profit": 8, "ccc_days": 16}
    assert out["factory median"]["ccc_days"] == 8
    few = {key: row for key, row in rows.items() if key[-1] in "0123456s"}  # 8 factories
    assert spread.spread_rows(few, spread.party_groups(), spread.additive) == few


def test_the_ranked_ends_are_the_top_and_bottom_few() -> None:
    values = [3, 1, None, 8, 5, 2, 7, 4]
    rows = {name: {"profit": value} for name, value in zip("abcdefgh", values, strict=True)}
    keys = spread.ranked(rows, "profit")
    assert keys == ["d", "g", "e", "h", "a", "f", "b", "c"]
    assert spread.top_and_bottom(keys) == (["d", "g", "e"], ["f", "b", "c"])
    assert spread.top_and_bottom(["x", "y", "z"]) == (["x", "y"], ["z"])


def test_the_village_console_shows_spreads_not_a_column_per_factory(
    reported_village: tuple[Path, str],
) -> None:
    folder, printed = reported_village
    scenario = load_builtin("taobao-village")
    kpis = json.loads((folder / "kpis.json").read_text())
    tables, _ = kpi_tables(kpis, scenario)
    ranked = [table for table in tables if table.ranked_by]
    assert len(ranked) == 1 and len(ranked[0].frame) == len(scenario.factories) == 50
    for table in tables:
        if not table.ranked_by:  # a row or column per factory only for a few (those sending out)
            labels = [*map(str, table.frame.index), *map(str, table.frame.columns)]
            own = [label for label in labels if label.startswith(("big-", "small-", "factory/"))]
            assert len(own) <= spread.MANY_FACTORIES, (table.title, own)
    cash = next(table.frame for table in tables if table.title.startswith("Cash conversion"))
    profits = [kpis["cash_cycle"][f"factory/{f.name}"]["profit"] for f in scenario.factories]
    assert cash.loc["profit", "factories together"] == pytest.approx(sum(profits))
    assert cash.loc["profit", "factory min"] == pytest.approx(min(profits))
    # the console: the table of factories' top and bottom three by profit, every table narrow
    shown = text_table(ranked[0]).splitlines()
    assert len(shown) == 2 + 7 + 1  # header, index name, 3 + dots + 3, what was shown
    best = max(scenario.factories, key=lambda f: kpis["cash_cycle"][f"factory/{f.name}"]["profit"])
    assert shown[2].startswith(best.name + " ")
    assert len(printed.splitlines()) < 160  # 290 with a row or column per factory
    table_lines = [line for table in tables for line in text_table(table).splitlines()]
    assert max(map(len, table_lines)) <= 140  # 360 with a column per factory


def test_the_village_report_has_cards_of_totals_and_spreads_and_a_table_of_factories(
    reported_village: tuple[Path, str],
) -> None:
    folder, _ = reported_village
    page = (folder / "report.html").read_text()
    headline = page.split("<h2>Headline KPIs</h2>")[1].split("<h2>")[0]
    cards = CARD.findall(headline)
    assert 8 <= len(cards) <= 20, cards
    assert "Profit, the 50 factories together" in cards
    assert not any(name in headline for name in ("factory/small-", "small-1.ecom busy"))
    kpis = json.loads((folder / "kpis.json").read_text())
    total = sum(
        row["profit"] for key, row in kpis["cash_cycle"].items() if key.startswith("factory/")
    )
    shown = re.search(
        r"Profit, the 50 factories together</div><div[^>]*data-value=\"([^\"]*)\"", page
    )
    assert shown and float(shown[1]) == pytest.approx(total)
    tables = page.split("<h2>Tables</h2>")[1]
    assert tables.count('<div class="rows">') == 1  # the table of factories, in a box that scrolls
    box = tables.split('<div class="rows">')[1]
    assert all(f'<td class="text">small-{i}</td>' in box for i in range(45))


def test_the_default_scenario_shows_each_factory_and_line(reported_run: Path) -> None:
    page = (reported_run / "report.html").read_text()
    assert '<div class="rows">' not in page
    assert 'data-kpi="cash_cycle.factory/' in page and "factories together" not in page


def test_the_village_figures_show_the_busiest_lines_and_the_ends_of_cash(
    reported_village: tuple[Path, str], reported_run: Path
) -> None:
    """The Gantt strip and the cash panels of 50 factories: a few of them, and say which."""
    from flexsim.report.run_folder import BUSIEST, CASH_FEW, GANTT_FEW, _busiest, _ends_of_cash
    from flexsim.results import read_tables

    folder, _ = reported_village
    page = (folder / "report.html").read_text()
    assert GANTT_FEW.strip() in page and CASH_FEW.strip() in page
    default = (reported_run / "report.html").read_text()
    assert GANTT_FEW.strip() not in default and CASH_FEW.strip() not in default
    tables = read_tables(folder, ("line_states", "cash"))
    states = tables["line_states"]
    end = float(states["at"].max())
    kept = _busiest(states, (end - 14 * 24, end))
    assert kept[["factory", "line"]].drop_duplicates().shape[0] == BUSIEST
    cash = tables["cash"].rename(columns={})
    cash = cash.groupby(["party", "day"], as_index=False)["cash"].sum()
    ends = set(_ends_of_cash(cash)["party"])
    factories = {p for p in ends if p.startswith("factory/")}
    assert len(factories) == 2 * spread.EDGE
    last = cash[cash["day"] == cash["day"].max()].set_index("party")["cash"]
    richest = last[last.index.str.startswith("factory/")].idxmax()
    assert richest in factories
