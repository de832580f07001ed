"""The calibration study's money measures: each one moves as the figures it reads say."""

from __future__ import annotations

import pytest

import flexsim
from experiments import calibration

OFFLINE_DEFAULT = "channels.offline.payment.default_probability"
FEE = "channels.ecommerce.payment.platform_fee_share"


def _run(overrides: dict[str, float]) -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("tao-factory", overrides), seed=1)


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_written_off_share_is_the_default_probability_at_its_ends(probability: float) -> None:
    result = _run({OFFLINE_DEFAULT: probability})
    assert calibration.offline_written_off_share(result) == probability


def test_the_platform_loses_on_vouchers_without_a_fee_and_earns_with_the_default_fee() -> None:
    assert calibration.platform_voucher_margin(_run({FEE: 1e-6})) < 0
    assert calibration.platform_voucher_margin(_run({})) > 0


def test_default_margins_and_dso_are_inside_their_targets_on_seed_1() -> None:
    result = _run({})
    for output, measure in [
        ("factory_net_margin", calibration.factory_net_margin),
        ("seller_net_margin", calibration.seller_net_margin),
        ("factory_dso_over_terms", calibration.factory_dso_over_terms),
    ]:
        low, high = calibration.TARGETS.loc[output]
        assert low <= measure(result) <= high, output
