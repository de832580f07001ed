"""Seasons and life cycles: the multipliers of launch and demand rates over calendar time and
over an item's days since listing. Pure functions of the specs, vectorised where daily."""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_right

import numpy as np

from flexsim.scenario import LifeCycleSpec, Season


class SeasonCalendar:
    """The launch and demand factors in force at any hour: the product of the factors of the
    seasons covering it, 1 outside every season. O(log seasons) per lookup."""

    def __init__(self, seasons: list[Season], start_date: dt.date) -> None:
        edges = sorted({h for season in seasons for h in season.hours(start_date)})
        self.edges = edges
        middles = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
        self.launch = [1.0] + [_product(seasons, start_date, m, "launch") for m in middles] + [1.0]
        self.demand = [1.0] + [_product(seasons, start_date, m, "demand") for m in middles] + [1.0]
        self.max_launch = max(self.launch)

    def launch_factor(self, at: float) -> float:
        return self.launch[bisect_right(self.edges, at)]

    def demand_factor(self, at: float) -> float:
        return self.demand[bisect_right(self.edges, at)]


def _product(seasons: list[Season], start_date: dt.date, at: float, kind: str) -> float:
    factor = 1.0
    for season in seasons:
        first, last = season.hours(start_date)
        if first <= at < last:
            factor *= season.launch_factor if kind == "launch" else season.demand_factor
    return factor


def is_flat(spec: LifeCycleSpec) -> bool:
    """Whether the life cycle is 1 at every age (no array work needed)."""
    return (spec.ramp_days == 0 or spec.start_factor == 1) and spec.half_life_days is None


def life_factor(spec: LifeCycleSpec, age_days: np.ndarray) -> np.ndarray:
    """The demand multiplier of items `age_days` after listing: ramp, peak, decay. (The ramp
    rises from start_factor ≤ 1 to 1, so a minimum with 1 ends it: fewer array passes.)"""
    factor = np.ones_like(age_days)
    if spec.ramp_days > 0 and spec.start_factor < 1:
        slope = (1 - spec.start_factor) / spec.ramp_days
        factor = np.minimum(spec.start_factor + slope * age_days, 1.0)
    if spec.half_life_days is not None:
        past = np.maximum(age_days - (spec.ramp_days + spec.peak_days), 0.0)
        factor = factor * np.exp2(past * (-1 / spec.half_life_days))
    return factor
