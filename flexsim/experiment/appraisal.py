"""Investment appraisal: for each factory that some design point invests in, the net present
value of each point's difference from its cell's baseline point, and its payback, as rows of
the summary (`appraisal.factory/NAME.npv_difference`, `….payback_days`).

The mean daily cash-flow difference is the paired difference of the runs'
`cash_cycle.factory/NAME.cash_flow_per_day` (its interval from the seeds); the investment
difference is the points' scenarios' investments (the factory's and its lines'), known exactly;
the cash-flow difference is discounted at the variant's `finance.discount_rate` over the life
`appraisal_years` decides.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from flexsim import stats
from flexsim.experiment.design import Point
from flexsim.scenario import FactorySpec
from flexsim.vocabulary import factory_party

SECTION = "appraisal"


def appraisal_years(variant: FactorySpec, baseline: FactorySpec) -> float:
    """The years over which a variant's cash-flow difference is discounted: the mean life of
    the investments that differ between it and the baseline, weighted by how much each
    differs (each at the variant's `life_years` where the variant invests in it, else at the
    baseline's); the variant factory's own `life_years` when no investment differs."""
    own, base = variant.investments(), baseline.investments()
    weight = life = 0.0
    for key in own.keys() | base.keys():
        mine, theirs = own.get(key, (0.0, 0.0)), base.get(key, (0.0, 0.0))
        change = abs(mine[0] - theirs[0])
        weight += change
        life += change * (mine[1] if mine[0] > 0 else theirs[1])
    return life / weight if weight > 0 else variant.life_years


def invested(factory: FactorySpec) -> float:
    return sum(amount for amount, _ in factory.investments().values())


def invested_factories(points: list[Point]) -> list[str]:
    """The factories some design point invests in, in the order of the first point's."""
    names = [f.name for p in points for f in p.scenario.factories if f.investments()]
    return list(dict.fromkeys(names))


def rows(
    points: list[Point], cell: pd.DataFrame, baseline: str, factors: dict[str, Any]
) -> list[dict[str, Any]]:
    """The appraisal rows of one cell (its runs, its baseline point's label and its global
    factors' values) for each factory some point invests in: the baseline's marked
    `baseline`, every other point's NPV difference and payback in the `diff_*` columns."""
    mine = [p for p in points if all(p.factors.get(k) == v for k, v in factors.items())]
    by_label = {p.label: p for p in mine}
    base_runs = cell[cell["variant"] == baseline].set_index("seed")
    result: list[dict[str, Any]] = []
    for name in invested_factories(points):
        column = f"cash_cycle.{factory_party(name)}.cash_flow_per_day"
        if column not in cell.columns or baseline not in by_label:
            continue
        base = _factory(by_label[baseline], name)
        for label, runs in cell.groupby("variant", sort=False):
            point = by_label.get(str(label))
            own = _factory(point, name) if point is not None else None
            if point is None or own is None or base is None:
                continue
            kpi = f"{SECTION}.{factory_party(name)}"
            if label == baseline:
                for what in ("npv_difference", "payback_days"):
                    result.append(_row(label, f"{kpi}.{what}", len(runs), verdict="baseline"))
                continue
            runs = runs.set_index("seed")
            seeds = runs.index.intersection(base_runs.index)
            flow = stats.paired_difference(
                runs.loc[seeds, column].to_numpy(float),
                base_runs.loc[seeds, column].to_numpy(float),
            )
            extra = invested(own) - invested(base)
            rate = point.scenario.finance.discount_rate
            npv = stats.npv_difference(flow, extra, rate, appraisal_years(own, base))
            payback = stats.payback_days(flow, extra)
            result.append(_row(label, f"{kpi}.npv_difference", npv.n, npv, stats.verdict(npv)))
            result.append(_row(label, f"{kpi}.payback_days", payback.n, payback, _pays_back(flow)))
    return result


def _factory(point: Point, name: str) -> FactorySpec | None:
    return next((f for f in point.scenario.factories if f.name == name), None)


def _row(
    label: Any, kpi: str, n: int, diff: stats.Interval | None = None, verdict: str = ""
) -> dict[str, Any]:
    nan = math.nan
    row = {"variant": str(label), "kpi": kpi, "mean": nan, "sd": nan, "low": nan, "high": nan}
    row |= {"half_width": nan, "n": n, "verdict": verdict}
    if diff is None:
        return row | {"diff_mean": nan, "diff_low": nan, "diff_high": nan, "diff_half_width": nan}
    return row | {
        "diff_mean": diff.mean,
        "diff_low": diff.low,
        "diff_high": diff.high,
        "diff_half_width": diff.half_width,
    }


def _pays_back(flow: stats.Interval) -> str:
    """`pays back` when the cash-flow difference is surely above 0, `never pays back` when it
    is surely not, else unclear."""
    if math.isnan(flow.mean):
        return "undefined"
    if flow.low > 0:
        return "pays back"
    if flow.high <= 0:
        return "never pays back"
    return "not clear at 95 %"
