"""Metrics of alliances: each member's profit and allocation, the alliance's survival time and
its withdrawals with their dates, from the alliance_reviews table.

Profit and allocation are summed over the reviews whose period ends after the warm-up; the
survival and the withdrawals count from time 0, as the alliance does. docs/results.md defines
every KPI.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from flexsim.vocabulary import HOURS_PER_DAY


def alliance_kpis(reviews: pd.DataFrame, start_h: float, end_h: float) -> dict[str, Any]:
    """Per alliance (key `NAME`): its survival in days (from time 0 to the review at which
    fewer than 2 core members were left, or to `end_h`, censored), whether it is censored, its
    core members at the start and its withdrawals; per member (key `NAME.MEMBER`): its profit
    and allocation after the warm-up and the day it withdrew (None if it did not). Empty
    without alliances."""
    rows: dict[str, Any] = {}
    for name, own in reviews.groupby("alliance", sort=True):
        first = own[own["end_at"] == own["end_at"].min()]
        core = int((first["role"] == "core").sum())
        gone = own[own["withdrawn"]].sort_values("end_at", kind="stable")
        left, survival_h = core, math.nan
        for at, leaving in gone.groupby("end_at", sort=True).size().items():
            left -= int(leaving)
            if left < 2:
                survival_h = float(at)  # type: ignore[arg-type]
                break
        censored = math.isnan(survival_h)
        rows[str(name)] = {
            "survival_days": (end_h if censored else survival_h) / HOURS_PER_DAY,
            "censored": int(censored),
            "core_members": core,
            "withdrawals": len(gone),
            "reviews": int(own["end_at"].nunique()),
        }
        after = own[own["end_at"] > start_h]
        for member in first["member"]:
            mine = after[after["member"] == member]
            leaving = gone.loc[gone["member"] == member, "end_at"]
            rows[f"{name}.{member}"] = {
                "profit": float(mine["profit"].sum()),
                "allocation": float(mine["allocation"].sum()),
                "withdrawn_day": (
                    float(leaving.iloc[0]) / HOURS_PER_DAY if len(leaving) else math.nan
                ),
            }
    return rows
