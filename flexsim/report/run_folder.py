"""Run folder report: the page of a run folder (`flexsim run --out`), from its tables, kpis.json,
scenario.json and manifest.json."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from flexsim import metrics, plots
from flexsim.experiment.execute import party_cash
from flexsim.experiment.names import headline_kpis
from flexsim.experiment.output import significant
from flexsim.report import spread
from flexsim.report.page import (
    Page,
    ReportError,
    describe_scenario,
    is_nan,
    provenance_facts,
    raw_value,
    read_json,
)
from flexsim.report.tables import MISSING, kpi_tables
from flexsim.results import read_tables
from flexsim.scenario import Scenario, ScenarioError, load
from flexsim.vocabulary import (
    BUSY_STATES,
    FACTORIES,
    HOURS_PER_DAY,
    factory_party,
    is_factory,
    is_workshop,
)

GANTT_DAYS = 14  # the Gantt strip's default window: the last two weeks
DAYS = "days"


def run_page(folder: Path, gantt_days: tuple[float, float] | None = None) -> Page:
    """The report of a run folder."""
    manifest = read_json(folder / "manifest.json")
    kpis = read_json(folder / "kpis.json")
    try:
        scenario = load(folder / "scenario.json")
    except ScenarioError as error:
        raise ReportError(str(error)) from None
    tables = read_tables(folder, ("orders", "line_states", "items", "capacity", "cash"))
    start, end = (float(x) for x in kpis["window_h"])
    window = _gantt_window(gantt_days, end)
    row = metrics.kpi_row(kpis)
    estimates = plots.run_estimates(row, scenario.name)
    orders = tables["orders"]
    many = spread.many_factories(scenario)
    states, cash = tables["line_states"], party_cash(tables["cash"]).reset_index()
    if many:  # a strip and a panel for each of the busiest lines, the richest and poorest
        states, cash = _busiest(states, window), _ends_of_cash(cash)
    figures: list[Callable[[], plots.Figure]] = [
        lambda: plots.lead_time(orders, start),
        lambda: plots.time_split(estimates),
        lambda: _noted(plots.gantt(states, orders, window), many, GANTT_FEW),
        lambda: plots.backlog(metrics.backlog(orders, end), tables["capacity"], start),
        lambda: _noted(plots.cash(cash, start / HOURS_PER_DAY, scenario.currency), many, CASH_FEW),
        lambda: plots.cash_cycle(estimates, scenario.currency),
    ]
    if scenario.sellers.count:
        steps = plots.funnel(tables["items"], orders, start)
        figures.append(lambda: plots.sellers(estimates, steps))
    kpi_frames, note = kpi_tables(kpis, scenario)
    overrides = manifest.get("overrides") or {}
    changed = ", ".join(f"{key} = {value}" for key, value in overrides.items())
    return Page(
        title=f"flexsim report · scenario {scenario.name} · seed {manifest['seed']}",
        subtitle=f"{scenario.horizon_days:g} days, measured from day {scenario.warmup_days:g}",
        simulated=[
            f"Scenario {scenario.name}: {describe_scenario(scenario)}",
            f"Changed from {manifest['source']}: {changed}." if changed else "",
        ],
        facts=provenance_facts(manifest) | {"seed": str(manifest["seed"])},
        headline=_headline(row, kpis, scenario),
        figures=figures,
        tables=kpi_frames,
        note=note,
    )


BUSIEST = 4 * spread.EDGE  # the Gantt strip's lines, with many factories
GANTT_FEW = (
    f" With many factories, the {BUSIEST} lines busiest in these days (processing and changeover)."
)
CASH_FEW = (
    f" With many factories, the {spread.EDGE} factories (and workshops) with the most cash at "
    f"the end and the {spread.EDGE} with the least; the cash table has every one."
)


def _busiest(states: pd.DataFrame, window: tuple[float, float]) -> pd.DataFrame:
    """The line-state records of the BUSIEST lines in the window."""
    hours = metrics.state_durations(states, *window)
    busy = hours[[c for c in hours.columns if c in BUSY_STATES]].sum(axis=1)
    keep = busy.sort_values(ascending=False, kind="stable").index[:BUSIEST]
    lines = pd.MultiIndex.from_frame(states[["factory", "line"]])
    return states[lines.isin(keep)]


def _ends_of_cash(cash: pd.DataFrame) -> pd.DataFrame:
    """The daily cash of the factories (and of the workshops) with the most and the least at
    the end, and of every other party (the sellers, the platform)."""
    last = cash.sort_values("day", kind="stable").groupby("party", sort=False)["cash"].last()
    keep = set(last.index)
    for kind in (is_factory, is_workshop):
        group = last[[kind(str(party)) for party in last.index]]
        if len(group) > spread.MANY_FACTORIES:
            top, bottom = spread.top_and_bottom(list(group.sort_values(ascending=False).index))
            keep -= set(group.index) - set(top) - set(bottom)
    return cash[cash["party"].isin(keep)]


def _noted(figure: plots.Figure, many: bool, note: str) -> plots.Figure:
    """The figure with a sentence more in its caption when it shows only some of the many."""
    return dataclasses.replace(figure, caption=figure.caption + note) if many else figure


def _gantt_window(days: tuple[float, float] | None, end_h: float) -> tuple[float, float]:
    """The Gantt strip's window in hours: the given days, or the last GANTT_DAYS of the run."""
    if days is None:
        return max(0.0, end_h - GANTT_DAYS * HOURS_PER_DAY), end_h
    first, last = days
    horizon = end_h / HOURS_PER_DAY
    if not 0 <= first < last <= horizon:
        raise ReportError(
            f"--gantt-days {first:g}:{last:g}: expected A:B with 0 ≤ A < B ≤ {horizon:g} "
            "(the run's days)"
        )
    return first * HOURS_PER_DAY, last * HOURS_PER_DAY


def _headline(row: Mapping[str, Any], kpis: Mapping[str, Any], scenario: Scenario) -> str:
    """The headline cards: each factory's and line's KPIs, or with many factories their
    totals and spreads across the factories; then the lead time of each kind of order."""
    names = headline_kpis(scenario)
    if spread.many_factories(scenario):
        lead = [name for name in names if name.startswith("lead_time.")]
        cards = _spread_cards(row, kpis, scenario) + _cards(row, lead, scenario.currency)
    else:
        cards = _cards(row, names, scenario.currency)
    return '<div class="cards">' + "".join(cards) + "</div>"  # one grid


def _spread_cards(row: Mapping[str, Any], kpis: Mapping[str, Any], scenario: Scenario) -> list[str]:
    """Cards of many factories: their revenue and profit together, the cash conversion cycle
    of their books together (`cash_cycle.factories.ccc_days`), the spread of profit and of
    the cash conversion cycle across them, their lines' busy share of open time together
    (`utilisation.factories.busy_of_open`) and its spread across them, the busiest and
    idlest lines (and the workshops' share of the work)."""
    currency, factories = scenario.currency, len(scenario.factories)
    parties = [factory_party(f.name) for f in scenario.factories]
    money = [kpis["cash_cycle"].get(party) or {} for party in parties]
    lines = {
        key: entry.get("busy_of_open")
        for key, entry in kpis["utilisation"].items()
        if not is_workshop(key) and key != FACTORIES
    }
    together = kpis["cash_cycle"].get(FACTORIES) or {}  # their books summed
    cards = [
        _card(f"Revenue, the {factories} factories together", together.get("revenue"), currency),
        _card(f"Profit, the {factories} factories together", together.get("profit"), currency),
        *_cards(row, [f"cash_cycle.{FACTORIES}.ccc_days"], currency),
        _spread_card("Profit per factory", [m.get("profit") for m in money], currency),
        _spread_card("Cash conversion cycle per factory", [m.get("ccc_days") for m in money], DAYS),
        *_cards(row, [f"utilisation.{FACTORIES}.busy_of_open"], currency),
        _spread_card("Busy share of open time per line", list(lines.values()), "share"),
    ]
    busy = {key: {"busy": value} for key, value in lines.items()}
    top, bottom = spread.top_and_bottom(spread.ranked(busy, "busy"))
    cards.append(_list_card(f"Busiest {len(top)} lines", top, lines))
    cards.append(_list_card(f"Idlest {len(bottom)} lines", bottom[::-1], lines))
    if scenario.workshops:
        out = kpis.get("subcontracting") or {}
        made = _sum([(out.get(p) or {}).get("orders") for p in parties])
        sent = _sum([(out.get(p) or {}).get("orders_out") for p in parties])
        share = sent / made if made and sent is not None else None
        cards.append(_card("Share of the sending factories' orders sent out", share, "share"))
        shops = [row.get("busy_share") for key, row in out.items() if is_workshop(key)]
        cards.append(_spread_card("Busy share of calendar time per workshop", shops, "share"))
    return cards


def _sum(values: list[Any]) -> float | None:
    xs = [x for x in map(spread.known, values) if x is not None]
    return sum(xs) if xs else None


def _card(what: str, value: float | None, unit: str) -> str:
    """A card of one number made of several KPIs (a total, a mean): no single flat name."""
    return (
        f'<div class="card"><div class="what">{html.escape(what)}</div>'
        f'<div class="value" data-value="{raw_value(value)}">'
        f"{html.escape(_shown(value, unit))}</div></div>"
    )


def _spread_card(what: str, values: list[Any], unit: str) -> str:
    """A card of a spread across factories or lines: min, median and max."""
    stats = spread.spread(values)
    shown = " / ".join(_shown(stats[s], unit) for s in ("min", "median", "max"))
    if unit and unit != "share":  # the unit once, at the end
        shown = shown.replace(f" {unit} / ", " / ")
    return (
        f'<div class="card"><div class="what">{html.escape(what)}: min / median / max</div>'
        f'<div class="spread">{html.escape(shown)}</div></div>'
    )


def _list_card(what: str, keys: list[str], values: Mapping[str, Any]) -> str:
    """A card naming a few lines with their busy share."""
    items = "<br>".join(
        f"{html.escape(key)} <small>{html.escape(_shown(spread.known(values[key]), 'share'))}"
        "</small>"
        for key in keys
    )
    return (
        f'<div class="card"><div class="what">{html.escape(what)} by busy share of open '
        f'time</div><div class="spread">{items}</div></div>'
    )


def _cards(row: Mapping[str, Any], names: list[str], currency: str) -> list[str]:
    """The headline KPIs of one run as cards: words, value and unit, the flat name below."""
    cards = []
    for name in names:
        if name not in row:
            continue
        value = row[name]
        unit = plots.kpi_unit(name, currency)
        cards.append(
            f'<div class="card"><div class="what">{html.escape(plots.kpi_label(name))}</div>'
            f'<div class="value" data-kpi="{html.escape(name)}" data-value="{raw_value(value)}">'
            f"{html.escape(_shown(value, unit))}</div>"
            f'<div class="name">{html.escape(name)}</div></div>'
        )
    return cards


def _shown(value: Any, unit: str) -> str:
    """A headline value as people read it: shares as percentages, with its unit."""
    if value is None or is_nan(value):
        return MISSING
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "h" and abs(value) >= 2 * HOURS_PER_DAY:
        return f"{significant(value)} h ({value / HOURS_PER_DAY:.1f} days)"
    return f"{significant(value)} {unit}".rstrip()
