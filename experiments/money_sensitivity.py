"""Sensitivity of the headline answers to the money figures: one figure at a time at the low
and the high end of its sourced range (docs/calibration.md, Money), the rest at the default.

The answers, each a paired difference over the same seeds (common random numbers):
- the voucher's cash-cycle gain: the factory's CCC with the e-commerce channel on offline
  credit (the default probability of the offline channel, terms as the scenario's
  `channels.ecommerce.payment`) minus its CCC under the platform voucher (the default);
- the e-commerce business's value: the factory's NPV and profit with its dedicated e-commerce
  line and sellers (the default) minus the same factory without them (no sellers, the bulk line
  alone). Costs that belong to the line go away with it: a key of the line added to RANGES
  (its fixed costs, say) is set before the line is removed.

Part of the calibration study (`python -m experiments.calibration`), on fewer seeds than its
other parts (REPLICATIONS; the answers are differences on common random numbers) and a shorter
horizon (HORIZON: a warm-up of 180 days, then the half year that holds Double Eleven).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from flexsim.experiment import BASE, compare
from flexsim.scenario import Scenario
from flexsim.vocabulary import ECOMMERCE, OFFLINE, factory_party

REPLICATIONS = 2
HORIZON = {"warmup_days": 180, "horizon_days": 365}  # half a year measured after 180 days


@dataclass(frozen=True)
class Range:
    """A money figure of the scenario (a dotted key) at the two ends of its sourced range."""

    label: str
    key: str
    low: float
    high: float
    source: str


RANGES = (  # the default's cost per piece is about 31 CNY (materials 20 + labour 8 + the rest)
    Range("material cost", "factories.fuchun.material_cost", 17.0, 22.0,
          "0.55-0.70 of the cost per piece [S1-S3, S21, S22]"),
    Range("labour cost", "factories.fuchun.labour_cost", 5.0, 9.0,
          "0.15-0.30 of the cost per piece [S21, S23]"),
    Range("overhead per day", "factories.fuchun.overhead_per_day", 2000.0, 6000.0,
          "7 % [S1] to 20 % [S21] of the factory's costs"),
    Range("platform fee", "channels.ecommerce.payment.platform_fee_share", 0.005, 0.02,
          "1688's 0.5 % [S15] to twice the default [G]"),
    Range("overdraft rate", "finance.overdraft_rate", 0.031, 0.048,
          "one-year LPR 3.1 % [S9] to small-firm loans 4.78 % [S8]"),
    Range("discount rate", "finance.discount_rate", 0.05, 0.12, "[G]"),
    Range("credit default probability", "channels.offline.payment.default_probability",
          0.02, 0.05, "about 3 % in China [S12], 4 % in Asia [S24]"),
    Range("seller net price", "sellers.retail_price", 45.5, 50.0,
          "a seller net margin of 1-10 % [S17]"),
)  # fmt: skip
VOUCHER, CREDIT, NO_ECOM = "voucher", "credit", "no_ecommerce"
DEFAULT = "default"


def settings(ranges: tuple[Range, ...] = RANGES) -> dict[str, dict[str, Any]]:
    """The default and each range's two ends, by name: `default`, `material cost low`, …"""
    named: dict[str, dict[str, Any]] = {DEFAULT: {}}
    for item in ranges:
        named[f"{item.label} low"] = {item.key: item.low}
        named[f"{item.label} high"] = {item.key: item.high}
    return named


def _variants(scenario: Scenario, setting: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The three businesses compared under one setting, as overrides of the scenario."""
    moved = scenario.with_overrides(setting) if setting else scenario
    factory = moved.factories[0]
    offline_default = moved.channels.get(OFFLINE).payment.default_probability
    credit = {
        "channels.ecommerce.payment.regime": "offline_credit",
        "channels.ecommerce.payment.default_probability": offline_default,
    }
    bulk = [
        line.model_dump(mode="python") for line in factory.lines if ECOMMERCE not in line.channels
    ]
    no_ecom = {"sellers.count": 0, f"factories.{factory.name}.lines": bulk}
    return {VOUCHER: dict(setting), CREDIT: setting | credit, NO_ECOM: setting | no_ecom}


def run(
    scenario: Scenario,
    ranges: tuple[Range, ...] = RANGES,
    replications: int = REPLICATIONS,
    seed: int = 1,
    jobs: int | None = 1,
) -> pd.DataFrame:
    """Every setting's three businesses on common random numbers: the runs table with the
    columns `setting`, `business`, `seed` and the factory's `ccc_days`, `npv` and `profit`."""
    party = factory_party(scenario.factories[0].name)
    kpis = {f"cash_cycle.{party}.{kpi}": kpi for kpi in ("ccc_days", "npv", "profit")}
    variants, names = {}, {BASE: (DEFAULT, VOUCHER)}
    for number, (setting, overrides) in enumerate(settings(ranges).items()):
        for business, variant in _variants(scenario, overrides).items():
            if (setting, business) != (DEFAULT, VOUCHER):  # that one is the base
                name = f"setting{number}-{business}"  # a variant's name is a plain word
                variants[name], names[name] = variant, (setting, business)
    result = compare(
        scenario, variants, replications=replications, seed=seed, kpis=list(kpis), jobs=jobs
    )
    if result.failed:
        raise RuntimeError(f"seed {result.failed[0].seed}: {result.failed[0].error}")
    runs = result.runs[["variant", "seed", *kpis]].rename(columns=kpis)
    named = pd.DataFrame(runs["variant"].map(names).tolist(), columns=["setting", "business"])
    return pd.concat([named, runs.drop(columns="variant").reset_index(drop=True)], axis=1)


def answers(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting, the mean over seeds of each paired difference: `ccc_gain_days` (credit −
    voucher), `ecommerce_npv` and `ecommerce_profit` (voucher − no e-commerce)."""
    wide = runs.pivot(index=["setting", "seed"], columns="business")
    table = pd.DataFrame(
        {
            "ccc_gain_days": wide[("ccc_days", CREDIT)] - wide[("ccc_days", VOUCHER)],
            "ecommerce_npv": wide[("npv", VOUCHER)] - wide[("npv", NO_ECOM)],
            "ecommerce_profit": wide[("profit", VOUCHER)] - wide[("profit", NO_ECOM)],
        }
    )
    return table.groupby(level="setting", sort=False).mean()


def table(runs: pd.DataFrame, ranges: tuple[Range, ...] = RANGES) -> pd.DataFrame:
    """One row per figure, its low and high values and each answer at both ends; the first
    row is the default (the same answer at both ends)."""
    means = answers(runs)
    ends = [(DEFAULT, math.nan, math.nan, DEFAULT, DEFAULT)]
    ends += [(r.label, r.low, r.high, f"{r.label} low", f"{r.label} high") for r in ranges]
    rows = []
    for figure, low, high, at_low, at_high in ends:
        row: dict[str, Any] = {"figure": figure, "low": low, "high": high}
        for answer in means.columns:
            row[f"{answer} low"] = means.loc[at_low, answer]
            row[f"{answer} high"] = means.loc[at_high, answer]
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame, ranges: tuple[Range, ...] = RANGES) -> str:
    """The table as docs/calibration.md shows it: each answer as low → high, money in
    thousands of CNY."""
    sources = {item.label: item.source for item in ranges}
    lines = [
        "| figure (low → high) | source of the range | voucher's CCC gain, days "
        "| e-commerce NPV, k CNY | e-commerce profit, k CNY |",
        "|---|---|---|---|---|",
    ]
    for row in frame.to_dict("records"):
        ccc = f"{row['ccc_gain_days low']:.1f} → {row['ccc_gain_days high']:.1f}"
        npv = f"{row['ecommerce_npv low'] / 1e3:,.0f} → {row['ecommerce_npv high'] / 1e3:,.0f}"
        profit = (
            f"{row['ecommerce_profit low'] / 1e3:,.0f} → {row['ecommerce_profit high'] / 1e3:,.0f}"
        )
        if row["figure"] == DEFAULT:
            figure, source = "default", "—"
            ccc, npv, profit = (text.split(" → ")[0] for text in (ccc, npv, profit))
        else:
            figure = f"{row['figure']} {row['low']:g} → {row['high']:g}"
            source = sources[row["figure"]]
        lines.append(f"| {figure} | {source} | {ccc} | {npv} | {profit} |")
    return "\n".join(lines) + "\n"
