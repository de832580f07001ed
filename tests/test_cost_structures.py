"""The sampler of factory cost structures: draws inside the sourced ranges, reproducible by
seed, the industry's margin and share of loss-makers over many draws, and cost keys that make
valid factories whose margin is the one drawn."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import flexsim
from experiments import calibration
from flexsim.metrics import cash_cycles
from flexsim.scenario import FactorySpec
from flexsim.scenario.cost_structures import (
    COST_RANGES,
    CostRanges,
    CostStructure,
    draw_cost_structures,
    draw_factory_costs,
)

KEYS = {"material_cost", "labour_cost", "overhead_per_day"}


def test_draws_lie_inside_the_sourced_ranges_and_the_shares_add_up() -> None:
    ranges, sd = COST_RANGES, COST_RANGES.margin_sd
    for s in draw_cost_structures(np.random.default_rng(7), 2_000):
        assert ranges.material.low <= s.material_share <= ranges.material.high
        assert ranges.labour.low <= s.labour_share <= ranges.labour.high
        assert ranges.overhead.low <= s.overhead_share <= ranges.overhead.high
        assert s.material_share + s.labour_share + s.overhead_share == pytest.approx(1)
        assert abs(s.margin - ranges.margin_mean) <= 3 * sd


def test_many_draws_give_the_industry_margin_and_share_of_loss_makers() -> None:
    margins = np.array([s.margin for s in draw_cost_structures(np.random.default_rng(1), 20_000)])
    assert margins.mean() == pytest.approx(COST_RANGES.margin_mean, abs=0.002)
    assert (margins < 0).mean() == pytest.approx(COST_RANGES.loss_share, abs=0.015)


def test_draws_are_reproducible_by_seed() -> None:
    def draw(seed: int) -> list[dict[str, float]]:
        return draw_factory_costs(np.random.default_rng(seed), 5, 30_000.0, 900.0, 0.03)

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)


def test_the_keys_spend_what_the_margin_and_other_costs_leave() -> None:
    structure = CostStructure(margin=0.05, material_share=0.6, labour_share=0.3, overhead_share=0.1)
    keys = structure.factory_costs(
        revenue_per_day=30_000.0, pieces_per_day=1_000.0, other_share=0.03
    )
    spent = (keys["material_cost"] + keys["labour_cost"]) * 1_000 + keys["overhead_per_day"]
    assert spent == pytest.approx((1 - 0.05 - 0.03) * 30_000)
    assert keys["material_cost"] == pytest.approx(2 * keys["labour_cost"])


def test_a_margin_that_leaves_no_cost_is_refused() -> None:
    structure = CostStructure(margin=0.98, material_share=0.6, labour_share=0.3, overhead_share=0.1)
    with pytest.raises(ValueError, match="leave no cost"):
        structure.factory_costs(30_000.0, 1_000.0, other_share=0.03)


def test_ranges_whose_shares_cannot_add_up_to_one_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot add up to 1"):
        CostRanges.model_validate({"material": {"low": 0.8, "high": 0.9}})


def test_drawn_keys_make_valid_factories_of_the_default() -> None:
    scenario = flexsim.load_builtin("tao-factory")
    factory = scenario.factories[0]
    for keys in draw_factory_costs(np.random.default_rng(2), 20, 30_000.0, 930.0, 0.04):
        assert set(keys) == KEYS
        FactorySpec.model_validate(factory.model_dump() | keys)
        moved = scenario.with_overrides({f"factories.fuchun.{k}": v for k, v in keys.items()})
        assert moved.factories[0].material_cost == keys["material_cost"]


@pytest.mark.slow  # runs the default scenario twice: 6-8 s
def test_a_drawn_factory_earns_the_margin_it_drew() -> None:
    """The keys turn a drawn margin into the run's margin when the volume and the other costs
    are those of the same run: the orders do not depend on the costs."""
    scenario = flexsim.load_builtin("tao-factory", {"warmup_days": 60, "horizon_days": 200})
    reference = flexsim.run(scenario, seed=1)
    days = (scenario.horizon_h - scenario.warmup_h) / 24
    money = cash_cycles(reference.tables, scenario.warmup_h, scenario.horizon_h, 0.0)
    revenue = money["factory/fuchun"]["revenue"] / days
    pieces = calibration.factory_pieces_per_day(reference)
    other = calibration.factory_other_cost_share(reference)
    structure = draw_cost_structures(np.random.default_rng(5), 1)[0]
    keys = structure.factory_costs(revenue, pieces, other)
    moved = scenario.with_overrides({f"factories.fuchun.{k}": v for k, v in keys.items()})
    margin = calibration.factory_net_margin(flexsim.run(moved, seed=1))
    assert margin == pytest.approx(structure.margin, abs=0.005)  # interest moves with the cash


def test_the_example_in_docs_calibration_runs() -> None:
    text = (Path(__file__).parents[1] / "docs" / "calibration.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/calibration.md has no ```python example"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(block, namespace)
        assert len(namespace["keys"]) == 50  # type: ignore[arg-type]
