"""Factory cost structures: the sourced spread of small garment factories' costs, and draws of a
factory's cost keys (`material_cost`, `labour_cost`, `overhead_per_day`) from it.

China's garment firms earn about 4.5 % on revenue on the whole while a quarter of them lose
money in a half-year (MIIT); the costing guides say how a factory's cost divides between
materials, cut-make-trim labour and overhead. No source gives the spread of single firms, so the
shapes are guesses: a factory's net margin is a normal truncated at ±3 sd, whose mean is the
industry's margin and whose sd puts the sourced share of firms below zero; its cost divides
uniformly within the sourced shares, a draw whose overhead (the rest) falls outside its range
drawn again. docs/calibration.md (Heterogeneous factories) names each source and the figure
taken from it; the labels [S…] below are its.

A draw is turned into a factory's keys for the volume it sells: what is left of its revenue
after the margin and the costs the scenario books besides these keys (changeovers, bad debt,
fees: `other_share` of revenue) is its cost, split by the drawn shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator
from scipy import stats

from flexsim.scenario.fields import Share
from flexsim.spec import Spec

TRUNCATED_AT_SD = 3.0  # [G]: the margin's normal, cut where it leaves the industry's range
MAX_ROUNDS = 100  # batches of draws of the shares before the ranges are judged too narrow


class ShareRange(Spec):
    """A share drawn uniformly between `low` and `high`."""

    low: Share
    high: Share

    @model_validator(mode="after")
    def _ordered(self) -> ShareRange:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be at least low ({self.low})")
        return self


class CostRanges(Spec):
    """The spread of factory cost structures, each figure with its source."""

    margin_mean: float = Field(
        default=0.045,
        gt=0,
        lt=1,
        description="net profit / revenue of the industry: 4.5 % in H1 2022 [S4], 4.2 % "
        "Jan-May 2022 [S19], 5.0 % Jan-Nov 2022 [S18], 5.0 % Jan-Feb 2009 [S20]",
    )
    loss_share: float = Field(
        default=0.27,
        gt=0,
        lt=0.5,
        description="the share of firms losing money: 27 % in H1 2022 [S4], 27.4 % Jan-May "
        "2022 [S19], 20.6 % Jan-Nov 2022 [S18], 24.2 % Jan-Feb 2009 [S20]",
    )
    material: ShareRange = Field(
        default=ShareRange(low=0.55, high=0.70),
        description="fabric and trims, of the factory's cost: 65-70 % [S1], ~60 % [S2], "
        "50-70 % [S3, S22], 55-65 % [S21]",
    )
    labour: ShareRange = Field(
        default=ShareRange(low=0.15, high=0.30),
        description="cut-make-trim labour, of the cost: 15-25 % [S21], 20-50 % [S23]",
    )
    overhead: ShareRange = Field(
        default=ShareRange(low=0.07, high=0.22),
        description="the rest (rent, power, staff, administration), of the cost: overheads and "
        "administration 7 % [S1], overhead 18-22 % [S21]",
    )

    @model_validator(mode="after")
    def _can_add_up(self) -> CostRanges:
        most = self.material.high + self.labour.high + self.overhead.high
        least = self.material.low + self.labour.low + self.overhead.low
        if not least <= 1 <= most:
            raise ValueError(
                f"the shares cannot add up to 1: together they range from {least:g} to {most:g}"
            )
        return self

    @property
    def margin_sd(self) -> float:
        """The sd that puts `loss_share` of the (untruncated) normal below a zero margin."""
        return self.margin_mean / float(stats.norm.ppf(1 - self.loss_share))


COST_RANGES = CostRanges()


@dataclass(frozen=True, slots=True)
class CostStructure:
    """One factory's net margin and how its cost divides (the three shares add up to 1)."""

    margin: float
    material_share: float
    labour_share: float
    overhead_share: float

    def factory_costs(
        self, revenue_per_day: float, pieces_per_day: float, other_share: float = 0.0
    ) -> dict[str, float]:
        """The factory's cost keys for a volume of sales: `revenue_per_day` from
        `pieces_per_day`, `other_share` of the revenue spent on costs that these keys do not
        set."""
        if revenue_per_day <= 0 or pieces_per_day <= 0:
            raise ValueError("revenue_per_day and pieces_per_day must be positive")
        cost_per_day = (1 - self.margin - other_share) * revenue_per_day
        if cost_per_day <= 0:
            raise ValueError(
                f"a margin of {self.margin:.3f} and other costs of {other_share:.3f} of revenue "
                "leave no cost for materials, labour and overhead"
            )
        return {
            "material_cost": self.material_share * cost_per_day / pieces_per_day,
            "labour_cost": self.labour_share * cost_per_day / pieces_per_day,
            "overhead_per_day": self.overhead_share * cost_per_day,
        }


def draw_cost_structures(
    rng: np.random.Generator, n: int, ranges: CostRanges = COST_RANGES
) -> list[CostStructure]:
    """`n` factories' cost structures, reproducible from the generator's state."""
    cut = TRUNCATED_AT_SD
    margins = stats.truncnorm.rvs(
        -cut, cut, loc=ranges.margin_mean, scale=ranges.margin_sd, size=n, random_state=rng
    )
    low = [ranges.material.low, ranges.labour.low]
    high = [ranges.material.high, ranges.labour.high]
    kept = []  # the overhead is the rest: keep the draws whose rest is in its range
    for _ in range(MAX_ROUNDS):
        batch = rng.uniform(low, high, size=(2 * n, 2))
        rest = 1 - batch.sum(axis=1)
        kept.append(batch[(rest >= ranges.overhead.low) & (rest <= ranges.overhead.high)])
        shares = np.vstack(kept)
        if len(shares) >= n:
            break
    else:
        raise ValueError("the share ranges leave (almost) no room for the overhead's range")
    return [
        CostStructure(float(margin), float(material), float(labour), float(1 - material - labour))
        for margin, (material, labour) in zip(margins, shares[:n], strict=True)
    ]


def draw_factory_costs(
    rng: np.random.Generator,
    n: int,
    revenue_per_day: float,
    pieces_per_day: float,
    other_share: float = 0.0,
    ranges: CostRanges = COST_RANGES,
) -> list[dict[str, float]]:
    """`n` factories' cost keys (`material_cost`, `labour_cost`, `overhead_per_day`) for
    factories of one volume of sales, drawn from `ranges`."""
    structures = draw_cost_structures(rng, n, ranges)
    return [s.factory_costs(revenue_per_day, pieces_per_day, other_share) for s in structures]
