"""Calibration study: the default scenario's seller-side outputs against the source ranges, and
how they move with the parameters no source pins down.

    python experiments/calibration.py [--replications N] [--out results/calibration] [--jobs J]

Targets (docs/calibration.md gives each one's source): of the sellers who ask a factory for
samples about 85 % order and 50 % reorder there (Fuchun River, about 270 clients, seeds/002);
order sizes mostly 100-500 pieces (seeds/002); repeat orders about 65-70 % of a supplier's
volume (Shein-like suppliers, DOMAIN.md); a hit rate plausibly 0.2-0.5 (a guess). The default
scenario (Fuchun's population) is checked first, beside a contrast with the same items spread
over 30 large sellers (`FEW_LARGE_SELLERS`), which shows why the seller-level shares need the
population. Then a one-at-a-time sensitivity table moves the uncalibrated parameters: the
popularity spread (cv), the reorder threshold (sell_through_share) and the spread of the
sellers' shares at the factory.

Every variant runs seeds S … S + N − 1 (S = 1 unless --seed says otherwise: common random
numbers); each output gets its mean and a Student-t 95 % interval. Writes summary.csv,
sensitivity.csv and manifest.json into --out, atomically, and prints both tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

import flexsim
from flexsim.metrics import seller_factories, seller_kpis, utilisation
from flexsim.results import provenance, write_text
from flexsim.run import DEFAULT_SEED, replication_seeds
from flexsim.stats import mean_interval

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "results" / "calibration"
DEFAULT_REPLICATIONS = 5
PACKAGES = ("flexsim", "simpy", "numpy", "pandas", "scipy", "pydantic")
SELLER_KINDS = ("trial", "repeat")

# The default's items (share_at_factory × count) over 30 sellers who all source 5 % of their
# launches here, none of them sample-only: the population the default had before it was
# calibrated to Fuchun River's clients.
FEW_LARGE_SELLERS: dict[str, Any] = {
    "sellers.count": 30,
    "sellers.share_at_factory": 0.0056 * 270 / 30,
    "sellers.sample_only_share": 0.0,
}

# target: (low, high) of the source range
TARGETS: dict[str, tuple[float, float]] = {
    "orders_100_500_share": (0.5, 1.0),
    "repeat_share_pieces": (0.65, 0.70),
    "hit_rate": (0.2, 0.5),
    "sellers_ordering_share": (0.80, 0.90),
    "sellers_repeating_share": (0.45, 0.55),
}
SENSITIVITY: dict[str, list[Any]] = {
    "sellers.popularity.cv": [2.0, 3.0, 4.0],
    "sellers.reorder.sell_through_share": [0.3, 0.5, 0.7],
    "sellers.share_at_factory.cv": [1.0, 2.0, 3.0],
}


def outputs(overrides: dict[str, Any], seed: int) -> dict[str, float]:
    """One run of the default scenario with `overrides`: the calibrated outputs."""
    scenario = flexsim.load_builtin("tao-factory", overrides)
    result = flexsim.run(scenario, seed)
    start, end = scenario.warmup_h, scenario.horizon_h
    tables = result.tables
    sellers = seller_kpis(tables, start, end)
    orders = tables["orders"]
    bought = orders[orders["kind"].isin(SELLER_KINDS) & (orders["placed_at"] >= start)]
    bought = bought[bought["status"] != "refused"]
    factory = seller_factories(tables, start)[scenario.sellers.factory or ""]
    lines = utilisation(tables["line_states"], start, end)
    ecom = [label for label in lines.index if label[1] == "ecom"]
    return {
        "ordered_share": sellers["ordered_share"],
        "orders_100_500_share": float(bought["quantity"].between(100, 500).mean()),
        "order_quantity_median": float(bought["quantity"].median()),
        "repeat_share_pieces": sellers["repeat_share_pieces"],
        "repeat_share_orders": sellers["repeat_share_orders"],
        "hit_rate": sellers["hit_rate"],
        "fill_rate": sellers["fill_rate"],
        "sell_through": sellers["sell_through"],
        "sample_lead_mean_days": sellers["sample_lead_mean_days"],
        "sellers_ordering_share": factory["ordering_share"],
        "sellers_repeating_share": factory["repeating_share"],
        "ecom_busy_of_open": float(lines.loc[ecom, "busy_of_open"].mean()) if ecom else 0.0,
    }


def _job(args: tuple[str, dict[str, Any], int]) -> tuple[str, int, dict[str, float]]:
    variant, overrides, seed = args
    return variant, seed, outputs(overrides, seed)


def run_variants(variants: dict[str, dict[str, Any]], seeds: list[int], jobs: int) -> pd.DataFrame:
    """One row per variant × seed × output."""
    work = [(name, o, seed) for name, o in variants.items() for seed in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        done = list(pool.map(_job, work))
    return pd.DataFrame(
        [
            {"variant": name, "seed": seed, "output": key, "value": value}
            for name, seed, values in done
            for key, value in values.items()
        ]
    )


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval per variant and output, with the target range and whether the
    interval's mean lies inside it."""
    rows = []
    for (variant, output), group in runs.groupby(["variant", "output"], sort=False):
        interval = mean_interval(group["value"].dropna().tolist())
        low, high = TARGETS.get(str(output), (float("nan"), float("nan")))
        rows.append(
            {
                "variant": variant,
                "output": output,
                "mean": interval.mean,
                "ci_low": interval.low,
                "ci_high": interval.high,
                "n": interval.n,
                "target_low": low,
                "target_high": high,
                "inside": bool(low <= interval.mean <= high) if output in TARGETS else None,
            }
        )
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    started = time.perf_counter()
    seeds = replication_seeds(args.replications, args.seed)
    base = {"default": {}, "few_large_sellers": FEW_LARGE_SELLERS}
    summary = summarise(run_variants(base, seeds, args.jobs))
    sweep = {
        f"{key}={value}": {key: value} for key, values in SENSITIVITY.items() for value in values
    }
    sensitivity = summarise(run_variants(sweep, seeds, args.jobs))
    sensitivity = sensitivity[sensitivity["output"].isin([*TARGETS, "fill_rate"])]
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "summary.csv", summary.to_csv(index=False, float_format="%.4g"))
    write_text(args.out / "sensitivity.csv", sensitivity.to_csv(index=False, float_format="%.4g"))
    manifest = {
        "command": "python experiments/calibration.py " + " ".join(argv or sys.argv[1:]),
        "scenario": "tao-factory",
        "seeds": seeds,
        "variants": base | sweep,
        **provenance(PACKAGES),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    write_text(args.out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    pd.set_option("display.width", 160)
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print()
    wide = sensitivity.pivot(index="variant", columns="output", values="mean")
    print(wide.to_string(float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
