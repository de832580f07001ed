"""Forecast tests: the gamma-Poisson estimate learns an item's rate, and treating sold-out days
as censored removes the low bias of sales per day."""

from __future__ import annotations

import numpy as np
import pytest

import flexsim
from flexsim.model.forecast import censored_gamma_rate, gamma_prior, naive_rate

PRIOR = gamma_prior(mean=2.0, variance=16.0)  # the default popularity: mean 2, cv 2


def observe(rng: np.random.Generator, rate: float, days: int, stock: int) -> tuple:
    """Days of Poisson demand against `stock` pieces each morning: the seller's view."""
    demand = rng.poisson(rate, days)
    sold = np.minimum(demand, stock)
    kept = sold < stock
    return sold.sum(), sold[kept].sum(), kept.sum(), [stock] * int((~kept).sum())


def test_estimate_with_no_data_is_the_prior_mean() -> None:
    assert censored_gamma_rate(*PRIOR, 0, 0, []) == pytest.approx(2.0)


@pytest.mark.parametrize("rate", [0.5, 3.0, 12.0])
def test_estimate_converges_on_the_true_rate_as_days_accumulate(rate: float) -> None:
    rng = np.random.default_rng(1)
    errors = []
    for days in (5, 50, 2000):
        _, open_sales, open_days, sold_out = observe(rng, rate, days, stock=10_000)
        errors.append(abs(censored_gamma_rate(*PRIOR, open_sales, open_days, sold_out) - rate))
    assert errors[-1] < 0.03 * rate + 0.02
    assert errors[-1] < errors[0]


def test_with_frequent_stock_outs_naive_is_biased_low_and_censored_is_not() -> None:
    """True rate 4 a day, 3 pieces on the shelf each morning: most days sell out."""
    rng = np.random.default_rng(7)
    naive, censored = [], []
    for _ in range(200):
        sales, open_sales, open_days, sold_out = observe(rng, 4.0, 60, stock=3)
        naive.append(naive_rate(sales, 60))
        censored.append(censored_gamma_rate(*PRIOR, open_sales, open_days, sold_out))
    assert np.mean(naive) < 0.7 * 4.0  # sales per day cannot exceed the 3 on the shelf
    assert np.mean(censored) == pytest.approx(4.0, rel=0.05)


def test_bayes_policy_places_repeat_orders_that_meet_the_moq() -> None:
    scenario = flexsim.load_builtin(
        "tao-factory",
        {"sellers.reorder.policy": "bayes", "horizon_days": 250, "warmup_days": 60},
    )
    orders = flexsim.run(scenario, seed=3).tables["orders"]
    repeats = orders[orders["kind"] == "repeat"]
    assert len(repeats) > 0
    assert (repeats["quantity"] >= scenario.channels.ecommerce.moq).all()
