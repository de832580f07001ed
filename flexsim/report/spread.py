"""Spread: the KPIs of a scenario with many factories (more than MANY_FACTORIES) as totals,
means and spreads across its factories (min, median, max; the top and bottom few), with one
row per factory in a table of its own, in place of one column, row or card per factory."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flexsim.plots.figure import EDGE as EDGE  # the figures' top and bottom few, the same
from flexsim.plots.figure import top_and_bottom as top_and_bottom
from flexsim.scenario import Scenario
from flexsim.vocabulary import MANY_FACTORIES as MANY_FACTORIES  # where it was first
from flexsim.vocabulary import factory_party, is_factory, is_workshop

STATS = ("mean", "min", "median", "max")
NOT_ADDITIVE = ("cash_min", "peak_funding_need", "vouchers_outstanding_max")

Group = tuple[str, str, Callable[[str], bool]]  # one and many of it, and which keys are in it


def many_factories(scenario: Scenario) -> bool:
    """Whether the scenario has too many factories to show one column or card each."""
    return len(scenario.factories) > MANY_FACTORIES


def known(value: Any) -> float | None:
    """A KPI's value as a float (the mean of an Estimate), None when it is missing."""
    value = getattr(value, "mean", value)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def spread(values: Iterable[Any]) -> dict[str, float | None]:
    """Mean, min, median and max of the values that are known (None each when none is)."""
    xs = [x for x in map(known, values) if x is not None]
    if not xs:
        return dict.fromkeys(STATS)
    whole = all(x.is_integer() for x in xs)  # counts: min, max (and a whole median) stay counts
    median = statistics.median(xs)
    return {
        "mean": statistics.fmean(xs),
        "min": int(min(xs)) if whole else min(xs),
        "median": int(median) if whole and median.is_integer() else float(median),
        "max": int(max(xs)) if whole else max(xs),
    }


def additive(kpi: str) -> bool:
    """Whether a money or count KPI adds up across parties (no times, shares, minima)."""
    return not (kpi.endswith(("_days", "_share", "_h")) or "share" in kpi or kpi in NOT_ADDITIVE)


def spread_rows(
    rows: Mapping[str, Mapping[str, Any]],
    groups: list[Group],
    total: Callable[[str], bool] | None = None,
    together: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Rows of KPIs keyed by line, party or factory, each group with more than MANY_FACTORIES
    rows replaced by its `MANY total` row (the sum of each KPI `total` says adds up; none
    without `total`) and its `ONE mean`, `ONE min`, `ONE median` and `ONE max` rows; rows of
    smaller groups and of no group stay as they are, in their order. `together`, the first
    group's rows taken together as the KPIs compute them (the FACTORIES entry: the factories'
    books, or their lines), is its `MANY together` row in place of its total."""
    out: dict[str, dict[str, Any]] = {}
    placed: set[str] = set()
    for one, label, member in groups:
        keys = [key for key in rows if member(key)]
        placed.update(keys)
        if len(keys) <= MANY_FACTORIES:
            out.update({key: dict(rows[key]) for key in keys})
            continue
        kpis = list(dict.fromkeys(kpi for key in keys for kpi in rows[key]))
        if together is not None:
            out[f"{label} together"] = {kpi: together.get(kpi) for kpi in kpis}
            together = None  # the first group's only
        elif total is not None:
            out[f"{label} total"] = {
                kpi: _sum(rows[key].get(kpi) for key in keys) if total(kpi) else None
                for kpi in kpis
            }
        spreads = {kpi: spread(rows[key].get(kpi) for key in keys) for kpi in kpis}
        for stat in STATS:
            out[f"{one} {stat}"] = {kpi: spreads[kpi][stat] for kpi in kpis}
    out.update({key: dict(row) for key, row in rows.items() if key not in placed})
    return out


def _sum(values: Iterable[Any]) -> float | int | None:
    xs = [x for x in map(known, values) if x is not None]
    if not xs:
        return None
    total = math.fsum(xs)
    return int(total) if all(float(x).is_integer() for x in xs) else total


def line_groups() -> list[Group]:
    """The lines of utilisation and capacity: the factories' lines, then the workshops'."""
    return [
        ("line", "lines", lambda key: not is_workshop(key)),
        ("workshop", "workshops", is_workshop),
    ]


def party_groups() -> list[Group]:
    """The parties of the cash cycle and subcontracting: factories, then workshops."""
    return [
        ("factory", "factories", is_factory),
        ("workshop", "workshops", is_workshop),
    ]


def factory_rows(kpis: Mapping[str, Any], scenario: Scenario) -> dict[str, dict[str, Any]]:
    """One row per factory, in the scenario's order: its lines' mean busy share of open time
    and booked share of the next 7 days, its revenue, profit, cash conversion cycle and cash
    at the end, the sellers who asked it for a sample and the share who ordered, and (with
    workshops) its share of orders sent out."""
    utilisation, capacity = kpis.get("utilisation") or {}, kpis.get("capacity") or {}
    cash, sellers = kpis.get("cash_cycle") or {}, kpis.get("seller_factories") or {}
    sent = kpis.get("subcontracting") or {}
    rows: dict[str, dict[str, Any]] = {}
    for factory in scenario.factories:
        lines = [f"{factory.name}.{line.name}" for line in factory.lines]
        money = cash.get(factory_party(factory.name)) or {}
        asked = sellers.get(factory.name) or {}
        row: dict[str, Any] = {
            "lines": len(lines),
            "busy_of_open": spread((utilisation.get(n) or {}).get("busy_of_open") for n in lines)[
                "mean"
            ],
        }
        if capacity:
            booked = ((capacity.get(n) or {}).get("booked_share_7d") for n in lines)
            row["booked_share_7d"] = spread(booked)["mean"]
        row |= {kpi: money.get(kpi) for kpi in ("revenue", "profit", "ccc_days", "cash_end")}
        if scenario.sellers.count:
            row["sellers"] = asked.get("sellers", 0)
            row["ordering_share"] = asked.get("ordering_share")
        if scenario.workshops:
            row["share_orders_out"] = (sent.get(factory_party(factory.name)) or {}).get(
                "share_orders_out"
            )
        rows[factory.name] = row
    return rows


def ranked(rows: Mapping[str, Mapping[str, Any]], kpi: str) -> list[str]:
    """The row keys by a KPI, highest first; rows without it last, in their order."""
    keys = list(rows)
    return sorted(keys, key=lambda key: -(known(rows[key].get(kpi)) or -math.inf))
