"""The calibration study's money measures, the spread of drawn factories' margins and the
sensitivity table of the headline answers: each moves as the figures it reads say."""

from __future__ import annotations

import pandas as pd
import pytest

import flexsim
from experiments import calibration, cost_spread, money_sensitivity

OFFLINE_DEFAULT = "channels.offline.payment.default_probability"
FEE = "channels.ecommerce.payment.platform_fee_share"


def _run(overrides: dict[str, float]) -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("tao-factory", overrides), seed=1)


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_written_off_share_is_the_default_probability_at_its_ends(probability: float) -> None:
    result = _run({OFFLINE_DEFAULT: probability})
    assert calibration.offline_written_off_share(result) == probability


@pytest.mark.slow  # a paired comparison over seeds: 9-13 s
def test_the_platform_loses_on_vouchers_without_a_fee_and_earns_with_the_default_fee() -> None:
    assert calibration.platform_voucher_margin(_run({FEE: 1e-6})) < 0
    assert calibration.platform_voucher_margin(_run({})) > 0


@pytest.mark.slow  # runs the default scenario's 725 days: 6-8 s
def test_default_margins_and_dso_are_inside_their_targets_on_seed_1() -> None:
    result = _run({})
    for output, measure in [
        ("factory_net_margin", calibration.factory_net_margin),
        ("seller_net_margin", calibration.seller_net_margin),
        ("factory_dso_over_terms", calibration.factory_dso_over_terms),
    ]:
        low, high = calibration.TARGETS.loc[output]
        assert low <= measure(result) <= high, output


def test_spread_counts_the_loss_makers_and_orders_the_quantiles() -> None:
    row = cost_spread.spread([-0.02, -0.01, 0.03, 0.05, 0.10])
    assert row["runs"] == 5
    assert row["loss_share"] == pytest.approx(0.4)
    assert row["mean"] == pytest.approx(0.03)
    quantiles = [row[f"p{q}"] for q in (10, 25, 50, 75, 90)]
    assert quantiles == sorted(quantiles)
    assert row["p50"] == pytest.approx(0.03)


def test_answers_pair_each_business_with_its_own_setting_and_seed() -> None:
    """Credit minus voucher for the CCC, voucher minus no e-commerce for the money, per seed."""
    rows = []
    for setting, shift in [("default", 0.0), ("x low", 10.0)]:
        for seed in (1, 2):
            for business, ccc, money in [
                ("voucher", 20, 100),
                ("credit", 70, 90),
                ("no_ecommerce", 80, 40),
            ]:
                value = money + shift + seed
                rows.append(
                    (setting, business, seed, ccc + shift * (business == "credit"), value, value)
                )
    runs = pd.DataFrame(rows, columns=["setting", "business", "seed", "ccc_days", "npv", "profit"])
    answers = money_sensitivity.answers(runs)
    assert list(answers.index) == ["default", "x low"]
    assert answers.loc["default"].tolist() == [50.0, 60.0, 60.0]
    assert answers.loc["x low"].tolist() == [60.0, 60.0, 60.0]


@pytest.mark.slow  # runs the whole sensitivity study, small: 8-11 s
def test_the_sensitivity_table_on_a_tiny_run_moves_as_the_figures_say() -> None:
    """One figure (the material cost), two seeds, a short horizon, a few sellers: the table has
    the default and the figure; the voucher shortens the cash cycle; dearer materials lower the
    e-commerce business's profit (it buys materials for its own pieces) and barely move the
    CCC gain."""
    scenario = flexsim.load_builtin(
        "tao-factory", {"warmup_days": 20, "horizon_days": 70, "sellers.count": 60}
    )
    material = money_sensitivity.RANGES[0]
    assert material.key == "factories.fuchun.material_cost"
    runs = money_sensitivity.run(scenario, (material,), replications=2)
    assert len(runs) == 3 * 3 * 2  # settings × businesses × seeds
    table = money_sensitivity.table(runs, (material,))
    assert table["figure"].tolist() == ["default", "material cost"]
    default, row = table.iloc[0], table.iloc[1]
    assert default["ccc_gain_days low"] > 0
    assert (
        row["ecommerce_profit low"] > default["ecommerce_profit low"] > row["ecommerce_profit high"]
    )
    assert row["ecommerce_npv low"] > row["ecommerce_npv high"]
    assert row["ccc_gain_days high"] == pytest.approx(row["ccc_gain_days low"], abs=2.0)
    text = money_sensitivity.markdown(table, (material,))
    assert text.count("\n") == 4 and "material cost 17 → 22" in text


def test_the_three_businesses_of_a_setting_are_valid_and_a_line_key_goes_with_the_line() -> None:
    """A setting of the e-commerce line's own key (its fixed cost) is applied before the line
    is removed, so it counts in the e-commerce business and nowhere else."""
    scenario = flexsim.load_builtin("tao-factory")
    setting = {"factories.fuchun.lines.ecom.fixed_cost_per_day": 500.0, OFFLINE_DEFAULT: 0.05}
    businesses = {
        name: scenario.with_overrides(overrides)
        for name, overrides in money_sensitivity._variants(scenario, setting).items()
    }
    voucher, credit, none = (businesses[name] for name in ("voucher", "credit", "no_ecommerce"))
    assert voucher.factories[0].lines[1].fixed_cost_per_day == 500.0
    assert credit.channels.ecommerce.payment.regime == "offline_credit"
    assert credit.channels.ecommerce.payment.default_probability == 0.05
    assert [line.name for line in none.factories[0].lines] == ["bulk"]
    assert none.sellers.count == 0
