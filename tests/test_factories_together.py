"""The factories taken together: `cash_cycle.factories` (their books summed, the days from the
sums) and `utilisation.factories` (their lines' hours summed), recomputed here from the run's
tables; the headline of comparisons with many factories made of them; the time-split and
cash-cycle figures of many factories; and a scenario with few factories shown as before."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from flexsim import load_builtin, metrics, plots
from flexsim.experiment import headline_kpis
from flexsim.experiment.names import check_kpi
from flexsim.plots.lines import EDGE
from flexsim.report.tables import html_table, kpi_tables, text_table
from flexsim.results import read_tables
from flexsim.vocabulary import (
    BUSY_STATES,
    COST_ACCOUNTS,
    FACTORIES,
    INCOME_ACCOUNTS,
    MANY_FACTORIES,
    OPEN_STATES,
)


def village(folder: Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame], float, float]:
    """The kpis.json of a village run folder, its tables, and its window [s, e)."""
    kpis = json.loads((folder / "kpis.json").read_text())
    tables = read_tables(folder, ("ledger", "line_states", "orders"))
    start, end = (float(x) for x in kpis["window_h"])
    return kpis, tables, start, end


def test_the_factories_profit_is_their_ledgers_profit(reported_village: tuple[Path, str]) -> None:
    """Recomputed from the postings: income credited less costs debited in [s, e), every
    factory's books, none of the sellers', workshops' or platform's."""
    kpis, tables, start, end = village(reported_village[0])
    ledger = tables["ledger"]
    mine = ledger[
        ledger["party"].str.startswith("factory/") & (ledger["at"] >= start) & (ledger["at"] < end)
    ]
    income = mine.loc[mine["credit"].isin(INCOME_ACCOUNTS), "amount"].sum()
    costs = mine.loc[mine["debit"].isin(COST_ACCOUNTS), "amount"].sum()
    together = kpis["cash_cycle"][FACTORIES]
    assert mine["party"].nunique() == 50
    assert together["profit"] == pytest.approx(income - costs, rel=1e-9)
    assert together["profit"] != pytest.approx(kpis["cash_cycle"]["factory/big-0"]["profit"])
    each = [row for party, row in kpis["cash_cycle"].items() if party.startswith("factory/")]
    for kpi in ("revenue", "cogs", "avg_inventory", "cash_end", "cash_flow_per_day", "npv"):
        assert together[kpi] == pytest.approx(math.fsum(row[kpi] for row in each), rel=1e-9)
    loss = "bad_debt_with_expected_loss"
    assert together[loss] == pytest.approx(math.fsum(row[loss] for row in each), rel=1e-9)


def test_the_factories_cash_cycle_is_computed_from_their_summed_books(
    reported_village: tuple[Path, str],
) -> None:
    """DIO, DSO and DPO of the summed balances over the summed flows per day, not a mean of
    the factories' ratios; the cash-to-cash time a value-weighted mean inside their range."""
    kpis, _, start, end = village(reported_village[0])
    each = [row for party, row in kpis["cash_cycle"].items() if party.startswith("factory/")]
    together = kpis["cash_cycle"][FACTORIES]
    days = (end - start) / 24

    def summed(kpi: str) -> float:
        return math.fsum(row[kpi] for row in each)

    dio = summed("avg_inventory") / (summed("cogs") / days)
    dso = summed("avg_receivables") / (summed("revenue") / days)
    dpo = summed("avg_payables") / (summed("purchases") / days)
    assert together["dio_days"] == pytest.approx(dio, rel=1e-9)
    assert together["ccc_days"] == pytest.approx(dio + dso - dpo, rel=1e-9)
    mean_of_ratios = math.fsum(row["ccc_days"] for row in each if row["ccc_days"] is not None)
    assert together["ccc_days"] != pytest.approx(mean_of_ratios / len(each), rel=1e-3)
    known = [row["cash_to_cash_days"] for row in each if row["cash_to_cash_days"] is not None]
    assert min(known) <= together["cash_to_cash_days"] <= max(known)


def test_the_factory_lines_busy_share_is_their_busy_hours_over_their_open_hours(
    reported_village: tuple[Path, str],
) -> None:
    """Recomputed from the line states: each record holds until its line's next one, clipped
    to [s, e); the workshops' lines left out."""
    kpis, tables, start, end = village(reported_village[0])
    states = tables["line_states"].sort_values(["factory", "line", "at"], kind="stable")
    states = states[~states["factory"].str.startswith("workshop/")]
    following = states.groupby(["factory", "line"])["at"].shift(-1).fillna(end)
    hours = following.clip(start, end) - states["at"].clip(start, end)
    busy = hours[states["state"].isin(BUSY_STATES)].sum()
    open_h = hours[states["state"].isin(OPEN_STATES)].sum()
    lines = states[["factory", "line"]].drop_duplicates()
    together = kpis["utilisation"][FACTORIES]
    assert len(lines) == 55
    assert together["busy_of_open"] == pytest.approx(busy / open_h, rel=1e-9)
    idle = hours[states["state"] == "idle"].sum()
    assert together["idle"] == pytest.approx(idle / (len(lines) * (end - start)), rel=1e-9)
    assert together["overtime_h"] == pytest.approx(hours[states["overtime"]].sum(), abs=1e-9)


def test_lines_together_weigh_each_line_by_its_open_hours() -> None:
    """A line open 10 h and busy all of it, one open 90 h and never busy: 10 % busy together
    (the mean of their busy shares would be 50 %); a workshop's line does not count."""
    records = [
        ("a", "one", 0.0, "processing", 1, True),
        ("a", "one", 10.0, "off_shift", -1, False),
        ("b", "two", 0.0, "idle", -1, False),
        ("b", "two", 90.0, "off_shift", -1, False),
        ("workshop/w", "w", 0.0, "processing", 2, False),
    ]
    columns = ["factory", "line", "at", "state", "order_id", "overtime"]
    table = metrics.utilisation(pd.DataFrame(records, columns=columns), 0.0, 100.0)
    together = metrics.lines_together(table)
    assert together["busy_of_open"] == pytest.approx(0.1)
    assert together["processing"] == pytest.approx(0.05)  # 10 h of 2 lines × 100 h
    assert together["off_shift"] == pytest.approx((90 + 10) / 200)
    assert together["overtime_h"] == pytest.approx(10.0)
    assert table["busy_of_open"].loc[["a", "b"]].mean() == pytest.approx(0.5)


def test_many_factories_headline_has_no_key_per_factory_or_line(
    reported_village: tuple[Path, str],
) -> None:
    scenario = load_builtin("taobao-village")
    names = headline_kpis(scenario)
    assert names[:3] == [
        "cash_cycle.factories.ccc_days",
        "cash_cycle.factories.profit",
        "utilisation.factories.busy_of_open",
    ]
    assert all(name.startswith("lead_time.") for name in names[3:])
    assert len(names) == 3 + 2 * 3  # trial, repeat and offline orders
    assert not any("factory/" in name or "big-" in name or "small-" in name for name in names)
    row = metrics.kpi_row(json.loads((reported_village[0] / "kpis.json").read_text()))
    for name in names:
        check_kpi(name, scenario, "test")  # a name the experiment layer accepts
        assert name in row


def test_few_factories_headline_names_each_factory_and_line() -> None:
    scenario = load_builtin("tao-factory")
    assert len(scenario.factories) <= MANY_FACTORIES
    assert headline_kpis(scenario)[:4] == [
        "cash_cycle.factory/fuchun.ccc_days",
        "cash_cycle.factory/fuchun.profit",
        "utilisation.fuchun.bulk.busy_of_open",
        "utilisation.fuchun.ecom.busy_of_open",
    ]
    assert not any(".factories." in name for name in headline_kpis(scenario))
    check_kpi("cash_cycle.factories.profit", scenario, "test")  # nameable all the same


def test_the_factories_entries_leave_a_few_factories_tables_and_figures_as_they_were(
    reported_run: Path,
) -> None:
    """The default's KPIs have the entries, and its tables and figures are those of its KPIs
    without them, byte for byte."""
    kpis = json.loads((reported_run / "kpis.json").read_text())
    assert FACTORIES in kpis["utilisation"] and FACTORIES in kpis["cash_cycle"]
    without = kpis | {
        section: {key: row for key, row in kpis[section].items() if key != FACTORIES}
        for section in ("utilisation", "cash_cycle")
    }
    scenario = load_builtin("tao-factory")
    tables, note = kpi_tables(kpis, scenario)
    shown = [(t.title, text_table(t), html_table(t)) for t in tables]
    before, note_before = kpi_tables(without, scenario)
    assert shown == [(t.title, text_table(t), html_table(t)) for t in before]
    assert note == note_before
    assert not any(FACTORIES in map(str, [*t.frame.index, *t.frame.columns]) for t in tables)
    estimates = plots.run_estimates(metrics.kpi_row(kpis), "run")
    bare = plots.run_estimates(metrics.kpi_row(without), "run")
    for draw in (plots.time_split, plots.cash_cycle):
        figure, before = draw(estimates), draw(bare)
        assert figure.caption == before.caption
        assert figure.render("png") == before.render("png")


def test_many_factories_tables_show_the_factories_together(
    reported_village: tuple[Path, str],
) -> None:
    kpis, _, _, _ = village(reported_village[0])
    tables, _ = kpi_tables(kpis, load_builtin("taobao-village"))
    lines = next(t.frame for t in tables if t.title.startswith("Line time shares"))
    assert lines.index[0] == "lines together"
    assert (
        lines.loc["lines together", "busy_of_open"]
        == kpis["utilisation"][FACTORIES]["busy_of_open"]
    )
    cash = next(t.frame for t in tables if t.title.startswith("Cash conversion"))
    assert cash.columns[0] == "factories together" and "factories total" not in cash.columns
    assert cash.loc["ccc_days", "factories together"] == kpis["cash_cycle"][FACTORIES]["ccc_days"]
    assert FACTORIES not in cash.columns and FACTORIES not in lines.index


def bar_labels(figure: plots.Figure) -> list[str]:
    (ax,) = figure.figure.axes
    return [label.get_text() for label in ax.get_yticklabels()]


def test_many_factories_time_split_draws_them_together_and_the_ends(
    reported_village: tuple[Path, str],
) -> None:
    """One bar for the 55 factory lines together, then the busiest and idlest few; in an
    experiment, each of those per design point."""
    folder, _ = reported_village
    row = metrics.kpi_row(json.loads((folder / "kpis.json").read_text()))
    figure = plots.time_split(plots.run_estimates(row, "run"))
    labels = bar_labels(figure)
    assert labels[0] == "all 55 factory lines"
    assert len(labels) == 1 + 2 * EDGE
    assert [label.split(" ")[1] for label in labels[1:]] == ["(busiest)"] * 3 + ["(idlest)"] * 3
    busy = {name: row[f"utilisation.{name.split(' ')[0]}.busy_of_open"] for name in labels[1:]}
    lines = [
        row[f"utilisation.{f.name}.{line.name}.busy_of_open"]
        for f in load_builtin("taobao-village").factories
        for line in f.lines
    ]
    assert max(busy.values()) == max(lines) and min(busy.values()) == min(lines)
    assert "first bar is all the factories' lines" in figure.caption
    twice = pd.concat(
        [plots.run_estimates(row, "voucher"), plots.run_estimates(row, "credit")],
        ignore_index=True,
    )
    labels = bar_labels(plots.time_split(twice))
    assert labels[:2] == ["all 55 factory lines · voucher", "all 55 factory lines · credit"]
    assert len(labels) == 2 * (1 + 2 * EDGE)


def test_many_factories_cash_cycle_figure_starts_with_them_together(
    reported_village: tuple[Path, str],
) -> None:
    folder, _ = reported_village
    row = metrics.kpi_row(json.loads((folder / "kpis.json").read_text()))
    figure = plots.cash_cycle(plots.run_estimates(row, "run"))
    titles = [ax.get_title() for ax in figure.figure.axes if ax.get_title()]
    assert titles[0] == "all 50 factories together"
    assert sum("together" in title for title in titles) == 1 and FACTORIES not in titles
    assert "the first panel is the books of all 50 taken together" in figure.caption
