"""Metrics of stations: where a routed order's time goes, station by station, and which station
is the bottleneck.

From the steps table (the queue at each station, the time spent there) and the line-state
records (each station's busy share); docs/results.md defines every KPI.
"""

from __future__ import annotations

import pandas as pd

from flexsim.metrics.lines import utilisation
from flexsim.vocabulary import WORKSHOP_PREFIX, is_workshop


def station_kpis(
    steps: pd.DataFrame, line_states: pd.DataFrame, start_h: float, end_h: float
) -> pd.DataFrame:
    """Per station that routed orders reached, indexed `FACTORY.STATION`: its busy share of
    [start_h, end_h), the time-average number of orders in its queue, the steps that reached it
    in the window and their mean wait and time there (of those finished), and whether it is its
    factory's bottleneck (1 for the highest busy share, else 0). A workshop step's station is
    `workshop/NAME`, with the workshop's busy share (over all its work). No rows without
    steps."""
    shares = utilisation(line_states, start_h, end_h)
    busy = shares["processing"] + shares["changeover"]
    # an order waits in a station's queue from queued_at until the station takes it (setup_at;
    # NaN: still waiting at the horizon)
    taken = steps["setup_at"].fillna(end_h).clip(start_h, end_h)
    waited = (taken - steps["queued_at"].clip(start_h, end_h)).clip(lower=0)
    by = [steps["factory"], steps["station"]]
    arrived = (steps["queued_at"] >= start_h) & (steps["queued_at"] < end_h)
    done = steps[arrived & steps["finished_at"].notna()]
    done_by = [done["factory"], done["station"]]
    index = waited.groupby(by).size().index
    # a workshop step's busy share is the workshop's own: its line NAME under its party
    own = [(s, s.removeprefix(WORKSHOP_PREFIX)) if is_workshop(s) else (f, s) for f, s in index]
    table = pd.DataFrame(
        {
            "busy_share": pd.Series(busy.reindex(own, fill_value=0.0).to_numpy(), index=index),
            "mean_queue": waited.groupby(by).sum() / (end_h - start_h),
            "steps": arrived.groupby(by).sum().astype(int),
            "mean_wait_h": (done["setup_at"] - done["queued_at"]).groupby(done_by).mean(),
            "mean_time_h": (done["finished_at"] - done["queued_at"]).groupby(done_by).mean(),
        }
    )
    top = table.groupby(level=0)["busy_share"].transform("max")
    table["bottleneck"] = (table["busy_share"] == top).astype(int)
    table.index = [f"{factory}.{station}" for factory, station in table.index]
    return table
