"""Factory choice tests: the logit pick and the on-time posterior by hand (unit), and a seller
population with two factories moving its orders away from the one that delivers late (paired
over common random numbers)."""

from __future__ import annotations

from typing import Any

import pytest

import flexsim
from flexsim.experiment import compare
from flexsim.model.choice import FactoryChoice
from flexsim.scenario import ChoiceSpec

REPLICATIONS = 4
SLOW_SHARE = "seller_orders.slow_share"


def test_reputation_is_the_beta_posterior_mean_of_on_time_deliveries() -> None:
    choice = FactoryChoice(ChoiceSpec(), ["a", "b"], lambda: 0.5)
    for on_time in (True, True, False):
        choice.observe("a", on_time)
    assert choice.reputation("a") == pytest.approx((1 + 2) / (2 + 3))
    assert choice.reputation("b") == pytest.approx(0.5)


def test_the_logit_pick_follows_exp_of_minus_score() -> None:
    spec = ChoiceSpec(delivery_weight=1.0, reputation_weight=0.0)
    draws = iter([0.0, 0.99, 0.5])
    choice = FactoryChoice(spec, ["a", "b"], lambda: next(draws))
    quotes = {"a": 1.0, "b": 1.0 + 0.6931471805599453}  # b is half as likely as a
    assert choice.pick(quotes) == "a"  # a draw of 0 lands in a's 2/3
    assert choice.pick(quotes) == "b"  # 0.99 in b's last third
    assert choice.pick(quotes) == "a"  # 0.5 < 2/3


def two_factories() -> flexsim.Scenario:
    """The default sellers choosing between the default factory and a copy whose e-commerce
    line is much slower (so it misses the 7-day promise), on reputation only, which weighs
    nothing yet (a variant sets `sellers.choice.reputation_weight`)."""
    base = flexsim.load_builtin("tao-factory")
    fuchun = base.factories[0].model_dump(mode="json")
    slow = fuchun | {"name": "slow"}
    slow["lines"] = [line | {"unit_time_h": 0.08} for line in fuchun["lines"]]
    overrides: dict[str, Any] = {
        "horizon_days": 240,
        "warmup_days": 60,
        "customers": [],
        "factories": [fuchun, slow],
        "sellers.factories": ["fuchun", "slow"],
        "sellers.choice": {"delivery_weight": 0.0, "reputation_weight": 0.0},
    }
    return base.with_overrides(overrides)


def slow_share(result: flexsim.RunResult) -> float:
    """The late factory's share of the sellers' orders placed after the 60-day warm-up."""
    orders = result.tables["orders"]
    mine = orders[orders["kind"].isin(["trial", "repeat"]) & (orders["placed_at"] >= 60 * 24)]
    return float((mine["factory"] == "slow").mean())


@pytest.mark.slow
def test_a_factory_with_worse_on_time_delivery_receives_fewer_orders() -> None:
    """With reputation weighing in, the late factory's share of orders falls below what it
    gets when sellers ignore reputation (then the pick is a coin toss per item)."""
    reputation = {"reputation": {"sellers.choice.reputation_weight": 8.0}}
    measures = {SLOW_SHARE: slow_share}
    result = compare(
        two_factories(), reputation, replications=REPLICATIONS, kpis=[SLOW_SHARE], measures=measures
    )
    assert result.value("reputation", SLOW_SHARE, "diff_high") < 0, result.summary
    shares = result.runs.loc[result.runs["variant"] == "base", SLOW_SHARE]
    assert result.value("reputation", SLOW_SHARE) < 0.5 < shares.max() + 0.1, result.summary
