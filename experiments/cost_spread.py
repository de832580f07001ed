"""Heterogeneous factories: the default scenario's factory run with cost structures drawn from
the sourced spread (flexsim.scenario.cost_structures), and how its net margins spread against
China's garment industry (a margin of 4.2-5.0 % and 20.6-27.4 % of firms losing money, MIIT).

Each draw sets the factory's `material_cost`, `labour_cost` and `overhead_per_day` for the
volume the default sells (its revenue and pieces a day, and the share of revenue its other costs
take, measured on the default's own runs); the orders and their timing stay those of the
default, so the draws differ in their costs only. Part of the calibration study
(`python -m experiments.calibration`): DRAWS cost structures, each on REPLICATIONS seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from flexsim.experiment import BASE, compare
from flexsim.scenario import Scenario
from flexsim.scenario.cost_structures import draw_cost_structures
from flexsim.vocabulary import factory_party

DRAWS = 40
REPLICATIONS = 2
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
# MIIT, the garment firms above designated size (docs/calibration.md, S4, S18-S20)
SOURCED = {"loss_share": "0.206-0.274 (0.27 in H1 2022)", "margin": "0.042-0.050 (industry)"}


def run(
    scenario: Scenario,
    revenue_per_day: float,
    pieces_per_day: float,
    other_share: float,
    draws: int = DRAWS,
    replications: int = REPLICATIONS,
    seed: int = 1,
    jobs: int | None = 1,
) -> pd.DataFrame:
    """The factory's net margin with each drawn cost structure, one row per draw and seed,
    with the margin the draw planned and the drawn keys. The draws are reproducible from
    `seed`."""
    factory = scenario.factories[0].name
    structures = draw_cost_structures(np.random.default_rng(seed), draws)
    costs = [s.factory_costs(revenue_per_day, pieces_per_day, other_share) for s in structures]
    overrides = [{f"factories.{factory}.{key}": value for key, value in c.items()} for c in costs]
    variants = {f"draw{number}": keys for number, keys in enumerate(overrides[1:], start=1)}
    party = f"cash_cycle.{factory_party(factory)}"
    kpis = [f"{party}.profit", f"{party}.revenue"]
    result = compare(
        scenario.with_overrides(overrides[0]), variants, replications=replications, seed=seed,
        kpis=kpis, jobs=jobs,
    )  # fmt: skip
    if result.failed:
        raise RuntimeError(f"seed {result.failed[0].seed}: {result.failed[0].error}")
    runs = result.runs
    draw = runs["variant"].map(lambda name: 0 if name == BASE else int(name.removeprefix("draw")))
    keys = pd.DataFrame(costs).iloc[draw.to_numpy()].reset_index(drop=True)
    margin = runs[f"{party}.profit"] / runs[f"{party}.revenue"]
    planned = draw.map(lambda number: structures[number].margin)
    frame = pd.DataFrame(
        {"draw": draw, "seed": runs["seed"], "planned_margin": planned, "margin": margin}
    )
    return pd.concat([frame.reset_index(drop=True), keys], axis=1)


def spread(margins: Sequence[float] | pd.Series) -> dict[str, Any]:
    """The number of factory-years, the share of them losing money, the mean margin and its
    quantiles."""
    values = pd.Series(margins, dtype=float)
    row: dict[str, Any] = {"runs": len(values), "loss_share": float((values < 0).mean())}
    row["mean"] = float(values.mean())
    row |= {f"p{round(q * 100)}": float(values.quantile(q)) for q in QUANTILES}
    return row


def table(default_margins: Sequence[float] | pd.Series, drawn: pd.DataFrame) -> pd.DataFrame:
    """The default's own margins (one cost structure, its seeds), the margins the drawn cost
    structures plan, and the drawn factories' margins in the runs."""
    return pd.DataFrame(
        [
            {"factories": "default (one cost structure)"} | spread(default_margins),
            {"factories": "drawn cost structures, as planned"} | spread(drawn["planned_margin"]),
            {"factories": "drawn cost structures, as run"} | spread(drawn["margin"]),
        ]
    )


def markdown(frame: pd.DataFrame) -> str:
    """The table as docs/calibration.md shows it, with the sourced figures in the last row."""
    quantiles = [f"p{round(q * 100)}" for q in QUANTILES]
    lines = [
        "| factories | factory-years | losing money | mean margin | "
        + " | ".join(f"margin {q}" for q in quantiles)
        + " |",
        "|---|---|---|---|" + "---|" * len(quantiles),
    ]
    for row in frame.to_dict("records"):
        cells = [f"{row[q]:.3f}" for q in quantiles]
        lines.append(
            f"| {row['factories']} | {row['runs']} | {row['loss_share']:.2f} | "
            f"{row['mean']:.3f} | " + " | ".join(cells) + " |"
        )
    sourced = ["—"] * len(quantiles)
    lines.append(
        f"| China's garment firms (MIIT) | — | {SOURCED['loss_share']} | {SOURCED['margin']} | "
        + " | ".join(sourced)
        + " |"
    )
    return "\n".join(lines) + "\n"
