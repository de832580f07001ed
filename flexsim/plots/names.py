"""Names: a flat KPI name in words and its unit, for figure labels and the report."""

from __future__ import annotations

from flexsim import metrics
from flexsim.vocabulary import FACTORIES, LINE_STATES

KPI_WORDS = {
    "ccc_days": "cash conversion cycle",
    "profit": "profit",
    "busy_of_open": "busy share of open time",
    "mean_h": "mean lead time",
    "p95_h": "95th percentile lead time",
    "on_time_share": "on-time share",
    "fill_rate": "fill rate",
    "peak_funding_need": "peak funding need",
}
SHARES = {"fill_rate", "hit_rate", "sell_through", "busy_of_open", "ordered_share", *LINE_STATES}
TOGETHER = {"utilisation": "all factory lines", "cash_cycle": "all factories"}  # FACTORIES
PIECES = {"demand", "sold", "lost", "salvaged", "preorders"}


def kpi_label(name: str) -> str:
    """A flat KPI name in words: `lead_time.repeat.mean_h` → `mean lead time · repeat orders`."""
    section, key, kpi = metrics.split_kpi_name(name)
    words = KPI_WORDS.get(kpi, kpi.replace("_", " "))
    if key == FACTORIES and section in TOGETHER:  # (a factory may be called `factories`)
        key = TOGETHER[section]
    elif section == "lead_time":
        key += " orders"
    elif section == "peak":  # the orders placed in the sellers' seasons
        key += " orders in the peak"
    return f"{words} · {key}" if key else f"{words} · {section.replace('_', ' ')}"


def kpi_unit(name: str, currency: str = "") -> str:
    """The unit of a flat KPI name, as docs/results.md gives it."""
    section, _, kpi = metrics.split_kpi_name(name)
    if kpi.endswith("_days"):
        return "days"
    if kpi.endswith("_h"):
        return "h"
    if kpi in SHARES or kpi.endswith("_share") or kpi.startswith("repeat_share"):
        return "share"
    if section == "orders":
        return "orders"
    if kpi in PIECES:
        return "pieces"
    if section == "cash_cycle" or kpi == "revenue":
        return currency
    return ""
