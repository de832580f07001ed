"""Costs a decision needs: line fixed costs, line payroll rates, investments and their
depreciation, checked posting by posting against hand computations; the audit recomputes them;
the NPV difference and payback of an experiment against hand computations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import flexsim
from flexsim import metrics, stats
from flexsim.cli import main
from flexsim.experiment.appraisal import appraisal_years
from flexsim.scenario import FactorySpec

DAY = 24.0
# mm1: one always-open line `plant.line`, no prices, no interest. 10 days measured from day 2.
COSTS = {
    "horizon_days": 10,
    "warmup_days": 2,
    "factories.plant.wages": "payroll",
    "factories.plant.payroll_per_hour": 10.0,
    "factories.plant.overhead_per_day": 50.0,
    "factories.plant.investment": 3650.0,  # 10 a day over one year
    "factories.plant.life_years": 1.0,
    "factories.plant.lines.line.payroll_per_hour": 7.0,  # the line's own rate
    "factories.plant.lines.line.fixed_cost_per_day": 100.0,
    "factories.plant.lines.line.investment": 730.0,
    "factories.plant.lines.line.life_years": 43.8 / 8760,  # 43.8 hours: into day 2
}


@pytest.fixture(scope="module")
def costly() -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("mm1", COSTS), seed=1)


def postings(result: flexsim.RunResult, reason: str) -> pd.DataFrame:
    ledger = result.tables["ledger"]
    return ledger[(ledger["party"] == "factory/plant") & (ledger["reason"] == reason)]


def test_investments_are_paid_in_cash_at_time_0_as_fixed_assets(
    costly: flexsim.RunResult,
) -> None:
    paid = postings(costly, "investment")
    assert paid["at"].tolist() == [0.0, 0.0]
    assert paid["amount"].tolist() == [3650.0, 730.0]  # the factory's, then the line's
    assert (paid["debit"] == "fixed_assets").all() and (paid["credit"] == "cash").all()


def test_fixed_costs_and_the_lines_own_payroll_are_paid_at_each_days_end(
    costly: flexsim.RunResult,
) -> None:
    """Nine days end before the 10-day horizon; the always-open line works 24 hours a day at
    its own rate of 7, not the factory's 10."""
    fixed, wages = postings(costly, "fixed_cost"), postings(costly, "payroll")
    days = [DAY * k for k in range(1, 10)]
    assert fixed["at"].tolist() == days and wages["at"].tolist() == days
    assert fixed["amount"].tolist() == [100.0] * 9
    assert (fixed["debit"] == "expenses").all()
    assert wages["amount"].tolist() == pytest.approx([7.0 * 24] * 9)


def test_depreciation_is_straight_line_within_each_life(costly: flexsim.RunResult) -> None:
    """The factory's 3,650 over 365 days: 10 a day. The line's 730 over 43.8 hours: 24/43.8
    of it on day 1, 19.8/43.8 on day 2, nothing after. Non-cash."""
    booked = postings(costly, "depreciation")
    assert booked["at"].tolist() == [DAY * k for k in range(1, 10)]
    expect = [10 + 730 * 24 / 43.8, 10 + 730 * 19.8 / 43.8] + [10.0] * 7
    assert booked["amount"].tolist() == pytest.approx(expect)
    assert (booked["debit"] == "depreciation").all()
    assert (booked["credit"] == "fixed_assets").all()


def test_profit_deducts_the_windows_costs_and_depreciation(costly: flexsim.RunResult) -> None:
    """Window [48 h, 240 h): the day ends 48 … 216 h, 8 of them. Expenses 8 × (50 + 100),
    wages 8 × 168, depreciation 8 × 10 + the line's 19.8 hours at 48 h; nothing is sold."""
    scenario = costly.scenario
    kpis = metrics.kpis(costly.tables, scenario.warmup_h, scenario.horizon_h)
    plant = kpis["cash_cycle"]["factory/plant"]
    assert plant["expenses"] == pytest.approx(1200.0)
    assert plant["wages"] == pytest.approx(1344.0)
    assert plant["depreciation"] == pytest.approx(80 + 730 * 19.8 / 43.8)
    assert plant["profit"] == pytest.approx(-(1200 + 1344 + 80 + 730 * 19.8 / 43.8))
    # cash: capital less the investments, then 9 days of 50 + 100 + 168
    assert plant["cash_end"] == pytest.approx(1_000_000 - 4380 - 9 * 318)
    assert plant["peak_funding_need"] == pytest.approx(4380 + 9 * 318)
    assert plant["cash_flow_per_day"] == pytest.approx(-8 * 318 / 8)


def test_the_audit_recomputes_the_new_costs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`flexsim audit` passes on a run that uses them, and fails when the depreciation differs
    from the scenario's (corrupted outside tmp_path, which conftest audits after each test)."""
    folder = tmp_path_factory.mktemp("corrupted") / "run"
    sets = [arg for key, value in COSTS.items() for arg in ("--set", f"{key}={value}")]
    assert main(["run", "mm1", *sets, "--out", str(folder)]) == 0
    assert main(["audit", str(folder)]) == 0
    path = folder / "ledger.csv.gz"
    ledger = pd.read_csv(path, keep_default_na=False, na_values=[""])
    ledger.loc[ledger["reason"] == "depreciation", "amount"] *= 2
    ledger.to_csv(path, index=False, compression="gzip")
    assert main(["audit", str(folder)]) == 1


def test_a_line_without_a_rate_pays_the_factorys_payroll() -> None:
    scenario = flexsim.load_builtin(
        "mm1", COSTS | {"factories.plant.lines.line.payroll_per_hour": None}
    )
    wages = postings(flexsim.run(scenario, 1), "payroll")
    assert wages["amount"].tolist() == pytest.approx([10.0 * 24] * 9)


# ── investment appraisal ─────────────────────────────────────────────────────────────────


def test_annuity_factor_is_the_sum_of_daily_discount_factors() -> None:
    by_hand = sum(1.08 ** -(k / 365) for k in range(1, 2 * 365 + 1))
    assert stats.annuity_factor(0.08, 2) == pytest.approx(by_hand, rel=1e-12)
    assert stats.annuity_factor(0.0, 3) == 3 * 365


def test_npv_difference_and_payback_of_a_cash_flow_difference() -> None:
    """A variant that earns 100 a day more (interval 80 … 120) for 10,000 more investment."""
    flow = stats.Interval(100.0, 80.0, 120.0, 20, 42.0)
    factor = sum(1.05 ** -(k / 365) for k in range(1, 5 * 365 + 1))
    npv = stats.npv_difference(flow, 10_000.0, 0.05, 5)
    assert (npv.mean, npv.low, npv.high) == pytest.approx(
        (100 * factor - 10_000, 80 * factor - 10_000, 120 * factor - 10_000)
    )
    assert npv.n == 20 and npv.sd == pytest.approx(42 * factor)
    payback = stats.payback_days(flow, 10_000.0)
    assert (payback.mean, payback.low, payback.high) == pytest.approx((100.0, 10_000 / 120, 125.0))
    unclear = stats.payback_days(stats.Interval(10.0, -5.0, 25.0, 20), 10_000.0)
    assert unclear.mean == 1000.0 and unclear.high == math.inf
    assert stats.payback_days(stats.Interval(-1.0, -2.0, 0.0, 20), 500.0).low == math.inf
    assert stats.payback_days(flow, -500.0).mean == 0.0  # invests less, earns more


def test_the_life_of_an_appraisal_is_that_of_what_differs() -> None:
    def factory(own: float, line: float, life: float = 10.0) -> FactorySpec:
        return FactorySpec.model_validate(
            {
                "name": "f",
                "investment": own,
                "life_years": life,
                "lines": [{"name": "a", "unit_time_h": 1, "investment": line, "life_years": 4}],
            }
        )

    assert appraisal_years(factory(0, 300), factory(0, 0)) == 4  # the line the variant buys
    assert appraisal_years(factory(100, 0), factory(0, 300)) == pytest.approx(
        (100 * 10 + 300 * 4) / 400
    )
    assert appraisal_years(factory(0, 0, life=7), factory(0, 0)) == 7  # nothing differs


def test_an_experiment_appraises_each_variant_that_invests() -> None:
    """Against the baseline, a variant paying 3,650 up front and 20 a day more (a line fixed
    cost) has a cash-flow difference of exactly −20 a day on every seed: its NPV difference is
    −20 × the annuity factor over the line's 2 years − 3,650, and it never pays back."""
    base = flexsim.load_builtin("mm1", {"horizon_days": 30, "warmup_days": 5})
    result = flexsim.compare(
        base,
        {
            "invest": {
                "factories.plant.lines.line.investment": 3650.0,
                "factories.plant.lines.line.life_years": 2.0,
                "factories.plant.lines.line.fixed_cost_per_day": 20.0,
            }
        },
        replications=2,
        kpis=["cash_cycle.factory/plant.cash_flow_per_day"],
    )
    summary = result.summary.set_index(["variant", "kpi"])
    npv = summary.loc[("invest", "appraisal.factory/plant.npv_difference")]
    expect = -20 * stats.annuity_factor(base.finance.discount_rate, 2.0) - 3650
    assert (npv["diff_mean"], npv["diff_low"], npv["diff_high"]) == pytest.approx((expect,) * 3)
    assert npv["verdict"] == "lower" and npv["n"] == 2
    payback = summary.loc[("invest", "appraisal.factory/plant.payback_days")]
    assert payback["diff_mean"] == math.inf and payback["verdict"] == "never pays back"
    assert summary.loc[("base", "appraisal.factory/plant.npv_difference"), "verdict"] == "baseline"
