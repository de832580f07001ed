"""Bad debt with expected loss: the probability of default of a balance still open at its age
and the expected credit loss against hand computations, the survival functions against scipy,
and (slow) the KPI's independence of the terms where plain bad debt falls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flexsim
from flexsim import stats
from flexsim.credit_loss import bad_debt_with_expected_loss, default_given_open, survival
from flexsim.dists import (
    DistSpec,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Poisson,
    Uniform,
    UniformInt,
)
from flexsim.scenario import Channels, PaymentSpec, Scenario

DAY = 24.0


def test_default_given_open_by_hand() -> None:
    """Term 30 days, write-off 60 days after it, late payers (20 %) 10 days after it, p = 5 %.
    Before 30 days every balance is open: p. Between 30 and 40 the on-time payers are gone:
    p / (p + (1 − p) q). From 40 to 90 only defaulters remain: 1."""
    payment = PaymentSpec.model_validate(
        {
            "default_probability": 0.05,
            "late_probability": 0.2,
            "late_days": 10,
            "write_off_days": 60,
        }
    )
    term = payment.term_days.model_copy(update={"value": 30.0})
    ages = np.array([0.0, 29.0, 30.0, 35.0, 40.0, 50.0, 90.0])
    expect = [0.05, 0.05, 0.05, 0.05 / (0.05 + 0.95 * 0.2), 0.05 / (0.05 + 0.95 * 0.2), 1, 1]
    assert default_given_open(payment, term, ages) == pytest.approx(expect)


def test_default_given_open_with_a_uniform_term() -> None:
    """Term uniform on 30-60 days, no late payers, p = 5 %: at 45 days half the payers are
    still within their term, every defaulter (written off after 60 more days) is open."""
    payment = PaymentSpec.model_validate({"default_probability": 0.05, "write_off_days": 60})
    term = Uniform(dist="uniform", low=30, high=60)
    chance = default_given_open(payment, term, np.array([45.0]))
    assert chance == pytest.approx([0.05 / (0.05 + 0.95 * 0.5)])


def test_bad_debt_with_expected_loss_by_hand() -> None:
    """A factory's three offline-credit balances, term 30 days, write-off 180 after, p = 10 %,
    window days 20-250. A (1,000, delivered day 0) is written off on day 210: 1,000 of bad debt,
    and it was open at day 20 at age 20: 0.1 × 1,000. C (200, day 5, paid day 35) was open at
    day 20: 0.1 × 200. B (500, day 50) is open at day 250 at age 200, past its term and before
    its write-off: a defaulter, 500. So 1,000 + 500 − (100 + 20) = 1,380."""
    channels = Channels.model_validate(
        {
            "offline": {
                "payment": {"term_days": 30, "default_probability": 0.1, "write_off_days": 60}
            }
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [0, 1, 2],
            "factory": "plant",
            "channel": "offline",
            "regime": "offline_credit",
        }
    )
    rows = [  # (at in days, debit, credit, amount, order_id)
        (0, "receivables", "revenue", 1000.0, 0),
        (210, "bad_debt", "receivables", 1000.0, 0),
        (50, "receivables", "revenue", 500.0, 1),
        (5, "receivables", "revenue", 200.0, 2),
        (35, "cash", "receivables", 200.0, 2),
    ]
    ledger = pd.DataFrame(rows, columns=["at", "debit", "credit", "amount", "order_id"])
    ledger = ledger.assign(at=ledger["at"] * DAY, party="factory/plant", reason="")
    tables = {"orders": orders, "ledger": ledger}
    kpi = bad_debt_with_expected_loss(tables, "factory/plant", 20 * DAY, 250 * DAY, channels)
    assert kpi == pytest.approx(1380.0)


@pytest.mark.parametrize(
    ("dist", "frozen"),
    [
        (Uniform(dist="uniform", low=1, high=5), "uniform(1, 4)"),
        (UniformInt(dist="uniform_int", low=2, high=6), "randint(2, 7)"),
        (Exponential(dist="exponential", mean=3), "expon(scale=3)"),
        (Gamma(dist="gamma", mean=4, cv=0.5), "gamma(4, scale=1)"),
        (Erlang(dist="erlang", k=3, mean=6), "gamma(3, scale=2)"),
        (Lognormal(dist="lognormal", mean=4, cv=0.5), "lognorm(s, scale=4 * np.exp(-s**2 / 2))"),
        (Poisson(dist="poisson", mean=3), "poisson(3)"),
    ],
)
def test_survival_is_scipys_at_or_above(dist: DistSpec, frozen: str) -> None:
    """P(X ≥ x): scipy's P(X > x) at x less a hair, so that a discrete atom at x counts."""
    from scipy import stats as scipy_stats

    s = np.sqrt(np.log1p(0.25))
    reference = eval(f"scipy_stats.{frozen}", {"scipy_stats": scipy_stats, "np": np, "s": s})
    x = np.array([-1, 0, 0.5, 1, 2, 2.5, 3, 7, 10, 30.0])
    assert survival(dist, x) == pytest.approx(reference.sf(x - 1e-7), abs=1e-6)


# ── the KPI across terms: unbiased where plain bad debt is not ───────────────────────────

TERMS = {"1-2 months": (30, 60, 30), "3-6 months": (90, 180, 90), "6-12 months": (180, 365, 180)}
SEEDS = range(1, 21)


def payment(low: float, high: float, repay: float, regime: str) -> dict[str, object]:
    return {
        "regime": regime,
        "deposit_share": 0.3 if regime == "offline_credit" else 0.0,
        "term_days": {"dist": "uniform", "low": low, "high": high},
        "repay_days": repay,
        "default_probability": 0.05,
        "late_probability": 0.2,
        "late_days": {"dist": "uniform", "low": 10, "high": 40},
        "write_off_days": 180,
    }


def terms_scenario(low: float, high: float, repay: float) -> Scenario:
    """Offline customers on credit (the factory's risk) and platform customers paying by
    voucher (the platform's), 60 days of warm-up: far shorter than terms + write-off."""
    customer = {
        "count": 10,
        "factory": "plant",
        "interarrival_days": {"dist": "exponential", "mean": 2.0},
        "quantity": 100,
        "factory_price": 10.0,
        "due_days": 10,
    }
    return Scenario.model_validate(
        {
            "name": "terms",
            "horizon_days": 400,
            "warmup_days": 60,
            "factories": [{"name": "plant", "lines": [{"name": "line", "unit_time_h": 0.001}]}],
            "customers": [
                customer | {"name": "shop", "channel": "offline"},
                customer | {"name": "web", "channel": "ecommerce"},
            ],
            "channels": {
                "offline": {"payment": payment(low, high, repay, "offline_credit")},
                "ecommerce": {"payment": payment(low, high, repay, "voucher")},
            },
            "finance": {"overdraft_rate": 0.0, "deposit_rate": 0.0},
        }
    )


def per_delivered_value(scenario: Scenario, seed: int) -> dict[str, float]:
    """Plain and expected-loss bad debt of the factory and the platform, each per value
    delivered in the window on the channel it bears the risk of."""
    result = flexsim.run(scenario, seed)
    s, e = scenario.warmup_h, scenario.horizon_h
    kpis = flexsim.kpis(result.tables, s, e, 0.0, scenario.channels)["cash_cycle"]
    orders = result.tables["orders"]
    delivered = orders[(orders["delivered_at"] >= s) & (orders["delivered_at"] < e)]
    value = (delivered["price"] * delivered["quantity"]).groupby(delivered["channel"]).sum()
    row = {}
    for party, channel in (("factory/plant", "offline"), ("platform", "ecommerce")):
        for kpi in ("bad_debt", "bad_debt_with_expected_loss"):
            row[f"{party} {kpi}"] = kpis[party][kpi] / value[channel]
    return row


@pytest.mark.slow
def test_bad_debt_with_expected_loss_does_not_depend_on_the_terms() -> None:
    """Terms of 1-2, 3-6 and 6-12 months (the voucher's repayment 1, 3, 6 months) at 5 %
    default, 20 seeds each on common random numbers: against 1-2 months, the paired difference
    of the new KPI per delivered value contains 0 for the factory and the platform, while plain
    bad debt falls (its write-offs move past the horizon: the negative control). Each term's
    mean is p × the share of the value owed (99 % intervals: six of them)."""
    values = {
        name: pd.DataFrame([per_delivered_value(terms_scenario(*t), seed) for seed in SEEDS])
        for name, t in TERMS.items()
    }
    short = values["1-2 months"]
    expected = {"factory/plant": 0.05 * (1 - 0.3), "platform": 0.05}  # p × the balance's share
    for name, party in ((name, party) for name in TERMS for party in expected):
        column = values[name][f"{party} bad_debt_with_expected_loss"]
        assert stats.mean_interval(column, 0.99).covers(expected[party]), (name, party)
    for name in ("3-6 months", "6-12 months"):
        for party in ("factory/plant", "platform"):
            plain = stats.paired_difference(
                values[name][f"{party} bad_debt"], short[f"{party} bad_debt"]
            )
            assert plain.high < 0, (name, party, plain)
            column = f"{party} bad_debt_with_expected_loss"
            honest = stats.paired_difference(values[name][column], short[column])
            assert honest.covers(0.0), (name, party, honest)
