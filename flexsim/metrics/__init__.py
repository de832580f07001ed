"""Metrics: KPIs as pure functions of record tables: lead time, utilisation, orders, cash cycle,
sellers.

Everything is measured over a window [start_h, end_h): the time after the warm-up up to the
horizon. Lead times cover the orders placed inside the window that were made; time-weighted
figures (utilisation, balances) come from state-change and ledger records, each level holding
until the next record. docs/results.md defines every KPI.

The package re-exports its public names, split by the noun each module owns: `orders` (what
became of the orders, lead times, backlog), `lines` (time in each state, utilisation, capacity
booked, the factories' lines together), `money` (the cash cycle of any party or set of parties,
the factories' and the sellers' together, the derived cash tables),
`sellers` (fill rate, items, the factories they kept), `workshops` (subcontracting) and
`alliances` (profit by member, survival, withdrawals). This
module assembles them into one run's `kpis` and names them flat (`kpi_row`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd

from flexsim.cash_flow import with_cash_flow
from flexsim.credit_loss import with_expected_loss
from flexsim.metrics.alliances import alliance_kpis
from flexsim.metrics.lines import booked_shares, lines_together, state_durations, utilisation
from flexsim.metrics.money import (
    CASH_COLUMNS,
    DAY_COLUMNS,
    MONEY_BALANCES,
    MONEY_COLUMNS,
    MONEY_FLOWS,
    cash_cycle,
    cash_cycles,
    cash_positions,
    cash_to_cash,
    cash_to_cash_days,
    combined_money,
    party_money,
    seller_money,
    vouchers_outstanding_max,
    with_factory_sums,
)
from flexsim.metrics.orders import (
    STAGES,
    backlog,
    finished_orders,
    lead_times,
    order_counts,
    peak_service,
)
from flexsim.metrics.sellers import item_timing, sample_kpis, seller_factories, seller_kpis
from flexsim.metrics.stations import station_kpis
from flexsim.metrics.workshops import subcontracting
from flexsim.scenario import Channels, Scenario
from flexsim.vocabulary import FACTORIES

__all__ = [
    "CASH_COLUMNS",
    "DAY_COLUMNS",
    "MONEY_BALANCES",
    "MONEY_COLUMNS",
    "MONEY_FLOWS",
    "SECTIONS",
    "STAGES",
    "alliance_kpis",
    "backlog",
    "booked_shares",
    "cash_cycle",
    "cash_cycles",
    "cash_positions",
    "cash_to_cash",
    "cash_to_cash_days",
    "combined_money",
    "finished_orders",
    "item_timing",
    "kpi_row",
    "kpis",
    "lead_times",
    "lines_together",
    "order_counts",
    "party_money",
    "peak_service",
    "sample_kpis",
    "scenario_kpis",
    "seller_factories",
    "seller_kpis",
    "seller_money",
    "split_kpi_name",
    "state_durations",
    "station_kpis",
    "subcontracting",
    "utilisation",
    "vouchers_outstanding_max",
    "with_factory_sums",
]

# the sections of `kpis()`, in order (the measurement window aside)
SECTIONS = (
    "orders",
    "lead_time",
    "utilisation",
    "cash_cycle",
    "sellers",
    "capacity",
    "seller_factories",
    "subcontracting",
    "alliance",
    "stations",
    "peak",
)


def kpis(
    tables: dict[str, pd.DataFrame],
    start_h: float,
    end_h: float,
    discount_rate: float = 0.0,
    channels: Channels | None = None,
    peaks: list[tuple[float, float]] | None = None,
    sections: Collection[str] | None = None,
) -> dict[str, Any]:
    """All KPIs of one run as a JSON-ready dict; `discount_rate` (per year) for the NPVs, the
    `channels`' payment terms for the bad debt with expected loss, the `peaks` (hour windows,
    the sellers' seasons) for the service in them; `sections` (of SECTIONS) computes those
    alone, as a planner that judges a run by a few KPIs needs."""
    wanted = SECTIONS if sections is None else tuple(sections)

    def lead() -> Any:
        return _plain(
            lead_times(tables["orders"], start_h, tables["items"]).to_dict(orient="index")
        )

    def util() -> Any:
        table = utilisation(tables["line_states"], start_h, end_h)
        together = lines_together(table)
        table.index = [f"{factory}.{line}" for factory, line in table.index]
        lines = table.to_dict(orient="index")
        return _plain(lines | ({FACTORIES: together} if together else {}))

    def cycles() -> Any:
        found = cash_cycles(tables, start_h, end_h, discount_rate)
        found = with_cash_flow(found, tables["ledger"], start_h, end_h)
        found = with_expected_loss(found, tables, start_h, end_h, channels)
        return _plain(with_factory_sums(found))

    makers: dict[str, Callable[[], Any]] = {
        "orders": lambda: order_counts(tables["orders"]),
        "lead_time": lead,
        "utilisation": util,
        "cash_cycle": cycles,
        "sellers": lambda: _plain(seller_kpis(tables, start_h, end_h)),
        "capacity": lambda: _plain(
            booked_shares(tables["capacity"], start_h, end_h).to_dict(orient="index")
        ),
        "seller_factories": lambda: _plain(seller_factories(tables, start_h)),
        "subcontracting": lambda: _plain(
            subcontracting(tables["orders"], tables["line_states"], start_h, end_h)
        ),
    }
    out: dict[str, Any] = {"window_h": [start_h, end_h]}
    out |= {name: make() for name, make in makers.items() if name in wanted}
    # only a run with alliances (routings) has the section: without, the KPIs are as they were
    if "alliance" in wanted:
        out |= _alliance(tables, start_h, end_h)
    if "stations" in wanted:
        out |= _stations(tables, start_h, end_h)
    if "peak" in wanted:  # and only a run whose measured window meets a season
        out |= _peak(tables["orders"], peaks or [], end_h)
    return out


def _peak(orders: pd.DataFrame, peaks: list[tuple[float, float]], end_h: float) -> dict[str, Any]:
    service = peak_service(orders, peaks, end_h)
    return {"peak": _plain(service)} if service else {}


def _alliance(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    reviews = tables.get("alliance_reviews")
    if reviews is None or reviews.empty:
        return {}
    return {"alliance": _plain(alliance_kpis(reviews, start_h, end_h))}


def _stations(tables: dict[str, pd.DataFrame], start_h: float, end_h: float) -> dict[str, Any]:
    steps = tables.get("steps")
    if steps is None or steps.empty:
        return {}
    table = station_kpis(steps, tables["line_states"], start_h, end_h)
    return {"stations": _plain(table.to_dict(orient="index"))}


def scenario_kpis(
    tables: dict[str, pd.DataFrame], scenario: Scenario, sections: Collection[str] | None = None
) -> dict[str, Any]:
    """`kpis()` of a run of `scenario`: over its measured window, at its discount rate, with its
    channels' payment terms, as every command and experiment measures a run."""
    start_h, end_h = scenario.warmup_h, scenario.horizon_h
    peaks = [
        (max(first, start_h), min(last, end_h))
        for first, last in (
            season.hours(scenario.start_date) for season in scenario.sellers.seasons
        )
        if first < end_h and last > start_h
    ]
    return kpis(
        tables, start_h, end_h, scenario.finance.discount_rate, scenario.channels, peaks, sections
    )


def kpi_row(kpis: dict[str, Any]) -> dict[str, Any]:
    """The nested KPIs of `kpis()` as one flat row, the only place that names them flat:
    `SECTION.KEY.KPI` where a section holds one dict per key (KEY as it is in kpis.json, so it
    may hold a dot, `fuchun.ecom`, or a slash, `factory/fuchun`), `SECTION.KPI` where it holds
    numbers. The measurement window is left out: it is an input, not a result."""
    row: dict[str, Any] = {}
    for section, entries in kpis.items():
        if not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            if isinstance(value, dict):
                row.update({f"{section}.{key}.{kpi}": x for kpi, x in value.items()})
            else:
                row[f"{section}.{key}"] = value
    return row


def split_kpi_name(name: str) -> tuple[str, str, str]:
    """A flat KPI name's (section, key, kpi); key is "" for a `SECTION.KPI` name."""
    section, _, rest = name.partition(".")
    key, _, kpi = rest.rpartition(".")
    if not section or not kpi:
        raise ValueError(f"{name!r} is not a KPI name (SECTION.KEY.KPI or SECTION.KPI)")
    return section, key, kpi


def _plain(value: Any) -> Any:
    """Nested dicts of numpy scalars → Python numbers, NaN → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
