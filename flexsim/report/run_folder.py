"""Run folder report: the page of a run folder (`flexsim run --out`), from its tables, kpis.json,
scenario.json and manifest.json."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flexsim import metrics, plots
from flexsim.experiment.execute import party_cash
from flexsim.experiment.names import headline_kpis
from flexsim.experiment.output import significant
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
from flexsim.scenario import ScenarioError, load
from flexsim.vocabulary import (
    HOURS_PER_DAY,
)

GANTT_DAYS = 14  # the Gantt strip's default window: the last two weeks


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
    figures: list[Callable[[], plots.Figure]] = [
        lambda: plots.lead_time(orders, start),
        lambda: plots.time_split(estimates),
        lambda: plots.gantt(tables["line_states"], orders, window),
        lambda: plots.backlog(metrics.backlog(orders, end), tables["capacity"], start),
        lambda: plots.cash(
            party_cash(tables["cash"]).reset_index(), start / HOURS_PER_DAY, scenario.currency
        ),
        lambda: plots.cash_cycle(estimates),
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
        headline=_cards(row, headline_kpis(scenario), scenario.currency),
        figures=figures,
        tables=kpi_frames,
        note=note,
    )


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


def _cards(row: Mapping[str, Any], names: list[str], currency: str) -> str:
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
    return '<div class="cards">' + "".join(cards) + "</div>"


def _shown(value: Any, unit: str) -> str:
    """A headline value as people read it: shares as percentages, with its unit."""
    if value is None or is_nan(value):
        return MISSING
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "h" and abs(value) >= 2 * HOURS_PER_DAY:
        return f"{significant(value)} h ({value / HOURS_PER_DAY:.1f} days)"
    return f"{significant(value)} {unit}".rstrip()
