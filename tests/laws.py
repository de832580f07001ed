"""Laws every run obeys, as functions of its record tables, shared by the invariant and edge
tests (`flexsim audit` is to check them on any results folder)."""

from __future__ import annotations

import pandas as pd

PROMISES = {"orders": {"due_at", "quote_at"}, "capacity": {"day_at"}}
"""Timestamps that are promises or plans, not events: they may lie after the horizon."""


def events_at_or_after(tables: dict[str, pd.DataFrame], horizon_h: float) -> dict[str, int]:
    """table.column → how many of its event timestamps lie at or after the horizon: none
    should, since the run simulates [0, horizon) and what it had not reached is NaN."""
    late = {}
    for name, table in tables.items():
        for column in table.columns:
            if (column == "at" or column.endswith("_at")) and column not in PROMISES.get(name, ()):
                count = int((table[column] >= horizon_h).sum())
                if count:
                    late[f"{name}.{column}"] = count
    return late
