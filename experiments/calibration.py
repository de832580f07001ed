"""Calibration study: the default scenario's seller-side outputs against the source ranges, and
how they move with the parameters no source pins down.

    python -m experiments.calibration [--replications N] [--seed S] [--out DIR] [--jobs J]

Targets (docs/calibration.md gives each one's source): of the sellers who ask a factory for
samples about 85 % order and 50 % reorder there (Fuchun River, about 270 clients,
[seed: Tao-Factory]); order sizes mostly 100-500 pieces ([seed: Tao-Factory]); repeat orders
about 65-70 % of a supplier's volume (Shein-like suppliers, [S: Shein], no publication named);
a hit rate plausibly 0.2-0.5 (a guess). docs/sources.md lists the sources. The default
scenario (Fuchun's population, variant `base`) is checked first, beside a contrast with the same
items spread over 30 large sellers (`few_large_sellers`), which shows why the seller-level
shares need the population. Then a one-at-a-time sensitivity table moves the uncalibrated
parameters, each a variant over its own values: the popularity spread (cv), the reorder
threshold (sell_through_share) and the spread of the sellers' shares at the factory.

Money targets (docs/calibration.md, Money): the factory's net margin inside 3-8 % (China's
major garment firms earned 4.3-4.6 % on revenue, MIIT), the platform's margin on its voucher
business (profit over its fees) not negative, the sellers' net margin inside 1-10 % (online
apparel brands on Taobao, 0.8-9.3 %), the factory's DSO within 20 % of the DSO its payment terms
imply, and the share of offline credit balances written off near the default probability.

One `flexsim.experiment.compare` runs every variant with seeds S … S + N − 1 (common random
numbers); each output gets its mean and a Student-t 95 % interval. Then two money studies, each
its own compare: the default's factory with cost structures drawn from the sourced spread of
garment factories (experiments.cost_spread: the share losing money and the margins' quantiles,
against MIIT's 20.6-27.4 % of loss-makers), and the sensitivity of the headline answers (the
voucher's cash-cycle gain, the e-commerce business's NPV and profit) to the money figures, one
at a time at the ends of their sourced ranges (experiments.money_sensitivity). Writes
summary.csv, sensitivity.csv, spread.csv and .md, money_sensitivity.csv and .md and
manifest.json into --out, atomically, and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import flexsim
from experiments import cost_spread, money_sensitivity
from flexsim.experiment import BASE, ExperimentResult, compare
from flexsim.experiment.runner import manifest
from flexsim.metrics import cash_cycles
from flexsim.results import write_text
from flexsim.run import DEFAULT_SEED
from flexsim.vocabulary import (
    HOURS_PER_DAY,
    OFFLINE,
    PAID,
    REFUSED,
    REPEAT,
    TRIAL,
    VOUCHER,
    WRITTEN_OFF,
    factory_party,
)

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "results" / "calibration"
DEFAULT_REPLICATIONS = 5
SCENARIO = "tao-factory"
SEED = DEFAULT_SEED  # replication r runs seed SEED + r, as everywhere in flexsim

# The default's items (share_at_factory × count) over 30 sellers who all source 5 % of their
# launches here, none of them sample-only: the population the default had before it was
# calibrated to Fuchun River's clients.
FEW_LARGE_SELLERS: dict[str, Any] = {
    "sellers.count": 30,
    "sellers.share_at_factory": 0.0056 * 270 / 30,
    "sellers.sample_only_share": 0.0,
}
SENSITIVITY: dict[str, dict[str, list[Any]]] = {  # variant → its own factor: one key, its values
    "popularity": {"sellers.popularity.cv": [2.0, 3.0, 4.0]},
    "reorder": {"sellers.reorder.sell_through_share": [0.3, 0.5, 0.7]},
    "share_spread": {"sellers.share_at_factory.cv": [1.0, 2.0, 3.0]},
}


def _bought(result: flexsim.RunResult) -> pd.DataFrame:
    """The sellers' accepted orders (trial and repeat) placed after the warm-up."""
    orders = result.tables["orders"]
    mine = orders["kind"].isin([TRIAL, REPEAT]) & (orders["placed_at"] >= result.scenario.warmup_h)
    return orders[mine & (orders["status"] != REFUSED)]


def _money(result: flexsim.RunResult, party: str) -> dict[str, float]:
    """A party's cash cycle in the run (the sellers together), computed once per run."""
    if _MONEY_OF[0] is not result:
        scenario = result.scenario
        start, end, rate = scenario.warmup_h, scenario.horizon_h, scenario.finance.discount_rate
        _MONEY_OF[:] = [result, cash_cycles(result.tables, start, end, rate)]
    return _MONEY_OF[1][party]  # type: ignore[no-any-return]


_MONEY_OF: list[Any] = [None, None]  # the last run's result and its cash cycles


def _margin(result: flexsim.RunResult, party: str) -> float:
    row = _money(result, party)
    return float(row["profit"] / row["revenue"])


def factory_net_margin(result: flexsim.RunResult) -> float:
    return _margin(result, factory_party(result.scenario.factories[0].name))


def seller_net_margin(result: flexsim.RunResult) -> float:
    return _margin(result, "sellers")


def platform_voucher_margin(result: flexsim.RunResult) -> float:
    """The platform's profit over its fee revenue: its only business is the vouchers."""
    return _margin(result, "platform")


def bad_debt_share(result: flexsim.RunResult) -> float:
    row = _money(result, factory_party(result.scenario.factories[0].name))
    return float(row["bad_debt"] / row["revenue"])


def _delivered(result: flexsim.RunResult) -> pd.DataFrame:
    """Orders delivered inside the measured window, with their value."""
    orders, scenario = result.tables["orders"], result.scenario
    inside = orders["delivered_at"].between(scenario.warmup_h, scenario.horizon_h, "left")
    return orders[inside].assign(value=orders["price"] * orders["quantity"])


def factory_dso_over_terms(result: flexsim.RunResult) -> float:
    """The factory's measured DSO over the DSO its terms imply for this run's sales: per
    channel, its share of the revenue times the days a sale stays owed. Offline credit: the
    balance (1 − deposit) for the mean term, plus the write-off delay for the defaulted share;
    voucher: the mean delay from delivery to confirmation of this run's orders."""
    delivered, channels = _delivered(result), result.scenario.channels
    shares = delivered.groupby("channel")["value"].sum() / delivered["value"].sum()
    implied = 0.0
    for channel, share in shares.items():
        payment = channels.get(str(channel)).payment
        if payment.regime == "offline_credit":
            owed = payment.term_days.expectation
            owed += payment.default_probability * payment.write_off_days
            implied += share * (1 - payment.deposit_share) * owed
        elif payment.regime == VOUCHER:
            mine = delivered[delivered["channel"] == channel]
            days = (mine["confirmed_at"] - mine["delivered_at"]).mean() / HOURS_PER_DAY
            implied += share * float(days)
    row = _money(result, factory_party(result.scenario.factories[0].name))
    return float(row["dso_days"] / implied)


def offline_written_off_share(result: flexsim.RunResult) -> float:
    """Of the offline credit balances whose write-off would fall inside the window (due date
    plus `write_off_days`), the share written off: the default probability, measured."""
    orders, scenario = result.tables["orders"], result.scenario
    payment = scenario.channels.get(OFFLINE).payment
    settled = orders["payment"].isin([PAID, WRITTEN_OFF])
    credit = orders[(orders["regime"] == "offline_credit") & settled]
    written_off_by = credit["paid_at"] + payment.write_off_days * HOURS_PER_DAY
    write_off_at = credit["written_off_at"].fillna(written_off_by)
    at_risk = credit[write_off_at.between(scenario.warmup_h, scenario.horizon_h, "left")]
    balance = at_risk["price"] * at_risk["quantity"]
    return float(balance[at_risk["payment"] == WRITTEN_OFF].sum() / balance.sum())


def factory_pieces_per_day(result: flexsim.RunResult) -> float:
    """Pieces the factory delivered a day in the measured window."""
    scenario = result.scenario
    days = (scenario.horizon_h - scenario.warmup_h) / HOURS_PER_DAY
    return float(_delivered(result)["quantity"].sum() / days)


def factory_other_cost_share(result: flexsim.RunResult) -> float:
    """The share of the factory's revenue spent on costs other than its materials and piece
    labour for the pieces it delivered and its overhead per day (changeovers, overtime, bad
    debt, fees, interest, a line's fixed costs): what a drawn cost structure leaves to them
    (experiments.cost_spread)."""
    factory, scenario = result.scenario.factories[0], result.scenario
    row = _money(result, factory_party(factory.name))
    days = (scenario.horizon_h - scenario.warmup_h) / HOURS_PER_DAY
    pieces = factory_pieces_per_day(result) * days
    keyed = (factory.material_cost + factory.labour_cost) * pieces + factory.overhead_per_day * days
    return float((row["revenue"] - row["profit"] - keyed) / row["revenue"])


def orders_100_500_share(result: flexsim.RunResult) -> float:
    return float(_bought(result)["quantity"].between(100, 500).mean())


def order_quantity_median(result: flexsim.RunResult) -> float:
    return float(_bought(result)["quantity"].median())


# output (as summary.csv names it) → its flat KPI name, or the measure computed above
OUTPUTS: dict[str, str] = {
    "ordered_share": "sellers.ordered_share",
    "orders_100_500_share": "seller_orders.share_100_500",
    "order_quantity_median": "seller_orders.quantity_median",
    "repeat_share_pieces": "sellers.repeat_share_pieces",
    "repeat_share_orders": "sellers.repeat_share_orders",
    "hit_rate": "sellers.hit_rate",
    "fill_rate": "sellers.fill_rate",
    "sell_through": "sellers.sell_through",
    "sample_lead_mean_days": "sellers.sample_lead_mean_days",
    "sellers_ordering_share": "seller_factories.fuchun.ordering_share",
    "sellers_repeating_share": "seller_factories.fuchun.repeating_share",
    "ecom_busy_of_open": "utilisation.fuchun.ecom.busy_of_open",
    "factory_net_margin": "money.factory_net_margin",
    "seller_net_margin": "money.seller_net_margin",
    "platform_voucher_margin": "money.platform_voucher_margin",
    "factory_dso_days": "cash_cycle.factory/fuchun.dso_days",
    "factory_dso_over_terms": "money.factory_dso_over_terms",
    "bad_debt_share": "money.bad_debt_share",
    "offline_written_off_share": "money.offline_written_off_share",
    "factory_revenue": "cash_cycle.factory/fuchun.revenue",
    "factory_pieces_per_day": "money.factory_pieces_per_day",
    "factory_other_cost_share": "money.factory_other_cost_share",
}
MEASURES = {
    "seller_orders.share_100_500": orders_100_500_share,
    "seller_orders.quantity_median": order_quantity_median,
    "money.factory_net_margin": factory_net_margin,
    "money.seller_net_margin": seller_net_margin,
    "money.platform_voucher_margin": platform_voucher_margin,
    "money.factory_dso_over_terms": factory_dso_over_terms,
    "money.bad_debt_share": bad_debt_share,
    "money.offline_written_off_share": offline_written_off_share,
    "money.factory_pieces_per_day": factory_pieces_per_day,
    "money.factory_other_cost_share": factory_other_cost_share,
}
VOLUME = ("factory_revenue", "factory_pieces_per_day", "factory_other_cost_share")
TARGETS = pd.DataFrame(  # output → (low, high) of the source range
    {
        "orders_100_500_share": (0.5, 1.0),
        "repeat_share_pieces": (0.65, 0.70),
        "hit_rate": (0.2, 0.5),
        "sellers_ordering_share": (0.80, 0.90),
        "sellers_repeating_share": (0.45, 0.55),
        "factory_net_margin": (0.03, 0.08),
        "seller_net_margin": (0.01, 0.10),
        "platform_voucher_margin": (0.0, 1.0),
        "factory_dso_over_terms": (0.8, 1.2),
        "offline_written_off_share": (0.005, 0.06),  # probability 0.03: ~3 defaults in 5 seeds
    },
    index=["target_low", "target_high"],
).T


def run(replications: int, seed: int = SEED, jobs: int | None = 1) -> ExperimentResult:
    """The default, the contrast and every sensitivity variant, on common random numbers."""
    variants = {"few_large_sellers": FEW_LARGE_SELLERS}
    variants |= {name: {"factors": factor} for name, factor in SENSITIVITY.items()}
    kpis = list(OUTPUTS.values())
    result = compare(
        SCENARIO, variants, replications=replications, seed=seed, kpis=kpis, measures=MEASURES,
        jobs=jobs,
    )  # fmt: skip
    if result.failed:  # a run that raised: its variant would be summarised without it
        raise RuntimeError(f"seed {result.failed[0].seed}: {result.failed[0].error}")
    return result


def money_studies(
    result: ExperimentResult, seed: int = SEED, jobs: int | None = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The spread of drawn factories' margins (experiments.cost_spread), for the volume the
    default sells in `result` on the seeds the draws run on, and the runs of the headline
    answers' sensitivity to the money figures (experiments.money_sensitivity)."""
    scenario = flexsim.load_builtin(SCENARIO)
    days = (scenario.horizon_h - scenario.warmup_h) / HOURS_PER_DAY
    runs = result.runs[result.runs["variant"] == BASE]
    mine = runs[runs["seed"] < seed + cost_spread.REPLICATIONS]  # the seeds the draws run on
    revenue, pieces, other = (mine[OUTPUTS[name]].mean() for name in VOLUME)
    drawn = cost_spread.run(scenario, revenue / days, pieces, other, seed=seed, jobs=jobs)
    spread = cost_spread.table(runs[OUTPUTS["factory_net_margin"]], drawn)
    short = scenario.with_overrides(money_sensitivity.HORIZON)
    return spread, money_sensitivity.run(short, seed=seed, jobs=jobs)


def outputs(summary: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95 % interval per variant and output, with the target range and whether the
    mean lies inside it (empty where there is no target)."""
    names = {kpi: output for output, kpi in OUTPUTS.items()}
    table = summary.assign(output=summary["kpi"].map(names)).join(TARGETS, on="output")
    inside = table["mean"].between(table["target_low"], table["target_high"])
    table = table.assign(inside=inside.where(table["target_low"].notna()))
    table = table.rename(columns={"low": "ci_low", "high": "ci_high"})
    columns = ["variant", "output", "mean", "ci_low", "ci_high", "n", *TARGETS.columns, "inside"]
    return pd.concat(rows for _, rows in table[columns].groupby("variant", sort=False))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        "python -m experiments.calibration", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="N")
    parser.add_argument("--seed", type=int, default=SEED, metavar="S")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR")
    parser.add_argument("--jobs", type=int, default=2, metavar="J")
    args = parser.parse_args(argv)
    if args.replications < 2:
        parser.error("--replications must be at least 2 (an interval needs two)")
    if args.seed < 0 or args.jobs < 1:
        parser.error("--seed must be at least 0 and --jobs at least 1")
    result = run(args.replications, args.seed, args.jobs)
    spread, sensitivity_runs = money_studies(result, args.seed, args.jobs)
    table = outputs(result.summary)
    contrast = table["variant"].isin([BASE, "few_large_sellers"])
    summary = table[contrast]
    sensitivity = table[~contrast & table["output"].isin([*TARGETS.index, "fill_rate"])]
    command = " ".join(["python -m experiments.calibration", *(argv or sys.argv[1:])])
    made = {"command": command} | manifest(result)  # before writing: the checkout as it ran
    made["money_studies"] = {  # their own compares, on the same checkout
        "cost_spread": {"draws": cost_spread.DRAWS, "replications": cost_spread.REPLICATIONS},
        "money_sensitivity": {
            "replications": money_sensitivity.REPLICATIONS,
            "set": money_sensitivity.HORIZON,
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "summary.csv", summary.to_csv(index=False, float_format="%.4g"))
    write_text(args.out / "sensitivity.csv", sensitivity.to_csv(index=False, float_format="%.4g"))
    write_text(args.out / "spread.csv", spread.to_csv(index=False, float_format="%.4g"))
    write_text(args.out / "spread.md", cost_spread.markdown(spread))
    moves = money_sensitivity.table(sensitivity_runs)
    write_text(args.out / "money_sensitivity.csv", moves.to_csv(index=False, float_format="%.4g"))
    write_text(args.out / "money_sensitivity.md", money_sensitivity.markdown(moves))
    write_text(args.out / "manifest.json", json.dumps(made, indent=2, default=str) + "\n")
    pd.set_option("display.width", 160)
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print()
    wide = sensitivity.pivot(index="variant", columns="output", values="mean")
    print(wide.to_string(float_format=lambda x: f"{x:.3f}"))
    print()
    print(cost_spread.markdown(spread))
    print(money_sensitivity.markdown(moves))
    return 0


if __name__ == "__main__":
    sys.exit(main())
