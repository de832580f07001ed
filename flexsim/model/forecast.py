"""Forecast: an item's daily demand rate from its sales, with sold-out days as censored data.

On a day an item kept stock, its sales are its demand; on a day it sold out, demand was at
least the stock it had (Taobao shows a seller sales, not the visitors who found nothing). The
naive rate, sales over days, counts the sold-out days as if demand had been the stock and so
runs low exactly for the items that sell. The gamma-Poisson estimate here starts from a gamma
prior on the rate (Berk, Gürler & Levine 2007) and treats each sold-out day as the event
D ≥ stock, imputing its expected demand E[D | D ≥ s] under the current estimate until the
estimate settles (EM for censored Poisson data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ITERATIONS = 50
TOLERANCE = 1e-9


def naive_rate(sales: float, days: float) -> float:
    """Sales per day, sold-out days taken at face value (biased low under stock-outs)."""
    return sales / days if days > 0 else 0.0


def censored_gamma_rate(
    prior_shape: float,
    prior_rate: float,
    open_sales: float,
    open_days: float,
    sold_out_at: Sequence[int],
) -> float:
    """The posterior mean of the daily rate under a Gamma(prior_shape, prior_rate) prior, from
    `open_days` days with stock left (total sales `open_sales`) and one sold-out day per entry of
    `sold_out_at` (the stock it had, so demand was at least that)."""
    levels = np.asarray(sold_out_at, dtype=float)
    days = prior_rate + open_days + len(levels)
    rate = (prior_shape + open_sales + levels.sum()) / days
    for _ in range(ITERATIONS if len(levels) else 0):
        # E[D | D ≥ s] = λ·P(D ≥ s − 1) / P(D ≥ s) for Poisson D, s ≥ 1
        imputed = rate * _at_least(levels - 1, rate) / _at_least(levels, rate)
        updated = (prior_shape + open_sales + imputed.sum()) / days
        if abs(updated - rate) <= TOLERANCE * max(rate, 1.0):
            return float(updated)
        rate = updated
    return float(rate)


def _at_least(levels: np.ndarray, rate: float) -> np.ndarray:
    """P(D ≥ level) for Poisson D with mean `rate`: 1 for levels of 0 or less."""
    from scipy.special import pdtrc  # here: at module level it would slow every flexsim start

    return np.where(levels <= 0, 1.0, pdtrc(levels - 1, rate))


def gamma_prior(mean: float, variance: float) -> tuple[float, float]:
    """Shape and rate of the gamma distribution with this mean and variance."""
    return mean * mean / variance, mean / variance
