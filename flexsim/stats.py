"""Statistics over replications: confidence intervals of means and of paired differences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats


class Interval(NamedTuple):
    """A mean with its two-sided confidence interval from independent replications."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float:
        return self.half_width / abs(self.mean) if self.mean else math.inf

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def mean_interval(values: Sequence[float], level: float = 0.95) -> Interval:
    """Student-t interval for the mean of replication results (at least two)."""
    data = np.asarray(values, dtype=float)
    if data.size < 2:
        raise ValueError("a confidence interval needs at least two replications")
    mean = float(data.mean())
    sem = float(stats.sem(data))
    if sem == 0:
        return Interval(mean, mean, mean, int(data.size))
    low, high = stats.t.interval(level, data.size - 1, loc=mean, scale=sem)
    return Interval(mean, float(low), float(high), int(data.size))


def paired_difference(
    treatment: Sequence[float], baseline: Sequence[float], level: float = 0.95
) -> Interval:
    """Interval for the mean of treatment − baseline over replications sharing their seeds."""
    if len(treatment) != len(baseline):
        raise ValueError("paired samples need the same number of replications")
    return mean_interval(np.subtract(treatment, baseline).tolist(), level)
