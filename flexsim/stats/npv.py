"""The value of a cash-flow difference: the annuity factor of a daily flow, the NPV of a
variant's extra cash flow less its extra investment, and the days it takes to pay back."""

from __future__ import annotations

import math

from flexsim.stats.intervals import Interval
from flexsim.vocabulary import DAYS_PER_YEAR


def annuity_factor(rate: float, years: float) -> float:
    """The value at time 0 of 1 a day, paid at the end of each day for `years` years of 365
    days, discounted at `rate` a year: Σ v^k for k = 1 … N, v = (1 + rate)^(−1/365), N = 365 ×
    years, that is v (1 − v^N) / (1 − v) (N when rate is 0; the formula for a part day too)."""
    days = years * DAYS_PER_YEAR
    if rate == 0:
        return days
    v = (1 + rate) ** (-1 / DAYS_PER_YEAR)
    return float(v * (1 - v**days) / (1 - v))


def npv_difference(cash_flow: Interval, investment: float, rate: float, years: float) -> Interval:
    """The net present value of a variant against the baseline: its mean daily cash-flow
    difference (with its interval) as `annuity_factor(rate, years)` days' worth, less its
    investment difference, paid at time 0 and known exactly."""
    factor = annuity_factor(rate, years)
    low, high = factor * cash_flow.low - investment, factor * cash_flow.high - investment
    return Interval(
        factor * cash_flow.mean - investment, low, high, cash_flow.n, factor * cash_flow.sd
    )


def payback_days(cash_flow: Interval, investment: float) -> Interval:
    """Days until a variant's extra cash flow pays back its extra investment: investment
    difference / mean daily cash-flow difference; infinite when that difference is ≤ 0, and 0
    when the variant invests no more than the baseline but earns more. The interval maps the
    cash flow's (a larger flow pays back sooner); NaN where the flow's is."""

    def days(flow: float) -> float:
        if math.isnan(flow):
            return math.nan
        return max(investment, 0.0) / flow if flow > 0 else math.inf

    return Interval(days(cash_flow.mean), days(cash_flow.high), days(cash_flow.low), cash_flow.n)
