"""Metrics of subcontracting: how much each factory sent out to outside workshops, and what each
workshop made of it (its busy share, rework and scrap, on-time share).

The orders counted are those placed inside the window and accepted; who made an order is its
`line` (`workshop/NAME` for a workshop). A workshop's busy share is time-weighted from its
line-state records. docs/results.md defines every KPI.
"""

from __future__ import annotations

import pandas as pd

from flexsim.metrics.lines import utilisation
from flexsim.vocabulary import BUSY_STATES, REFUSED, WORKSHOP_PREFIX, factory_party


def subcontracting(
    orders: pd.DataFrame, line_states: pd.DataFrame, start_h: float, end_h: float
) -> dict[str, dict[str, float]]:
    """Per factory that sent orders out (`factory/NAME`) and per workshop (`workshop/NAME`)
    the subcontracting KPIs; empty when the run has no workshops."""
    maker = orders["line"].fillna("").astype(str)
    outside = maker.str.startswith(WORKSHOP_PREFIX)
    shops = line_states["factory"].astype(str)
    workshop_names = sorted(set(shops[shops.str.startswith(WORKSHOP_PREFIX)]))
    if not workshop_names and not outside.any():
        return {}
    mine = (orders["placed_at"] >= start_h) & (orders["status"] != REFUSED)
    done = mine & orders["finished_at"].notna()
    on_time = orders["finished_at"] <= orders["due_at"]
    rows: dict[str, dict[str, float]] = {}
    for factory in sorted(orders.loc[outside, "factory"].unique()):
        here = mine & (orders["factory"] == factory)
        out = here & outside
        rows[factory_party(factory)] = {
            "orders": int(here.sum()),
            "orders_out": int(out.sum()),
            "share_orders_out": _share(out.sum(), here.sum()),
            "share_pieces_out": _share(
                orders.loc[out, "quantity"].sum(), orders.loc[here, "quantity"].sum()
            ),
            "on_time_share_own": _mean(on_time[done & here & ~outside]),
            "on_time_share_out": _mean(on_time[done & out]),
        }
    shares = utilisation(line_states[shops.isin(workshop_names)], start_h, end_h)
    busy_h = shares[list(BUSY_STATES)].sum(axis=1)
    busy = dict(zip(busy_h.index.get_level_values("factory"), busy_h, strict=True))
    for name in workshop_names:
        made = mine & (maker == name)
        finished = done & (maker == name)
        pieces = orders.loc[made, "quantity"].sum()
        scrapped, reworked = orders.loc[made, "scrapped"].sum(), orders.loc[made, "reworked"].sum()
        rows[name] = {
            "orders": int(made.sum()),
            "pieces": int(pieces),
            "busy_share": float(busy.get(name, 0.0)),
            "scrapped": int(scrapped),
            "reworked": int(reworked),
            "scrap_share": _share(scrapped, pieces),
            "rework_share": _share(reworked, pieces),
            "on_time_share": _mean(on_time[finished]),
        }
    return rows


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


def _mean(flags: pd.Series) -> float:
    return float(flags.mean()) if len(flags) else float("nan")
