"""Money tests: conservation across parties, ledger against orders, the cash conversion cycle."""

from __future__ import annotations

import pandas as pd
import pytest

import flexsim
from flexsim.audit import balance, expected_factory_cash
from flexsim.experiment import ExperimentResult, compare
from flexsim.metrics import cash_cycle, cash_positions, party_money

DAY = 24.0
# Interest depends on the cash path, not on the orders; the checks that rebuild cash from the
# orders table alone switch it off (test_interest_compounds_as_computed_by_hand covers it).
NO_INTEREST = {"finance.deposit_rate": 0.0, "finance.overdraft_rate": 0.0}


@pytest.fixture(scope="module")
def default_run() -> flexsim.RunResult:
    return flexsim.run(flexsim.load_builtin("tao-factory", NO_INTEREST), seed=11)


def test_cash_is_conserved_across_all_parties_at_every_instant(
    default_run: flexsim.RunResult,
) -> None:
    """Money only moves between parties, the outside world included: at every instant (after
    the postings stamped with that time; a payment is the payer's and the payee's posting) the
    sum of every party's cash is zero."""
    ledger = default_run.tables["ledger"]
    cash = ledger["amount"] * (
        (ledger["debit"] == "cash").astype(float) - (ledger["credit"] == "cash")
    )
    by_instant = cash.groupby(ledger["at"]).sum().cumsum()
    assert by_instant.abs().max() < 1e-9 * ledger["amount"].sum()
    assert set(ledger["party"]) >= {"world", "platform", "factory/fuchun", "seller/seller-0"}
    world = ledger[ledger["party"] == "world"]
    assert set(world["debit"]) | set(world["credit"]) <= {"cash", "flows"}
    assert (ledger["amount"] > 0).all()


def _channel_payment(scenario: flexsim.Scenario, channel: str) -> tuple[str, float]:
    payment = scenario.channels.get(channel).payment
    return payment.regime, payment.deposit_share


def test_factory_books_match_the_orders_table(default_run: flexsim.RunResult) -> None:
    """Revenue, receivables at the horizon, bad debt and cash at the horizon, recomputed from
    the orders table and the scenario's prices and costs instead of from the ledger."""
    scenario, tables = default_run.scenario, default_run.tables
    orders, ledger = tables["orders"], tables["ledger"]
    end = scenario.horizon_h
    share = {}
    for channel in ("ecommerce", "offline"):
        regime, deposit = _channel_payment(scenario, channel)
        share[channel] = deposit if regime == "offline_credit" else 0.0
    deposit = orders["price"] * orders["quantity"] * orders["channel"].map(share)
    value = orders["price"] * orders["quantity"]
    delivered = orders["delivered_at"].notna()

    factory_books = ledger[ledger["party"] == "factory/fuchun"]
    sales = factory_books[
        (factory_books["reason"] == "sale") & (factory_books["credit"] == "revenue")
    ]
    assert sales["amount"].sum() == pytest.approx(value[delivered].sum())

    open_ = orders["payment"] == "open"
    receivables = balance(ledger, "factory/fuchun", ("receivables",), end)
    assert receivables == pytest.approx((value - deposit)[open_].sum())

    written_off = orders["payment"] == "written_off"
    bad_debt = ledger[(ledger["party"] == "factory/fuchun") & (ledger["debit"] == "bad_debt")]
    assert bad_debt["amount"].sum() == pytest.approx((value - deposit)[written_off].sum())

    paid = orders["payment"] == "paid"
    cash = balance(ledger, "factory/fuchun", ("cash",), end)
    assert cash == pytest.approx(expected_factory_cash(scenario, tables))
    assert paid.sum() > 100 and open_.sum() > 0 and written_off.sum() > 0  # all paths exercised


@pytest.mark.parametrize("regime", ["offline_credit", "voucher", "prepaid", "deposit_balance"])
def test_every_regime_conserves_cash_and_matches_the_orders_table(regime: str) -> None:
    scenario = flexsim.load_builtin(
        "tao-factory",
        {"channels.ecommerce.payment.regime": regime, "horizon_days": 400, "warmup_days": 180}
        | NO_INTEREST,
    )
    tables = flexsim.run(scenario, seed=5).tables
    ledger, orders = tables["ledger"], tables["orders"]
    cash = ledger["amount"] * (
        (ledger["debit"] == "cash").astype(float) - (ledger["credit"] == "cash")
    )
    assert cash.groupby(ledger["at"]).sum().cumsum().abs().max() < 1e-6
    cash_end = balance(ledger, "factory/fuchun", ("cash",), scenario.horizon_h)
    assert cash_end == pytest.approx(expected_factory_cash(scenario, tables))
    ecommerce = orders[orders["channel"] == "ecommerce"]
    assert (ecommerce["regime"] == regime).all()
    if regime in ("prepaid", "deposit_balance"):  # nothing is owed at delivery
        assert not ecommerce["payment"].isin(["open", "written_off"]).any()


def test_hand_made_ledger_of_three_orders_gives_hand_computed_cash_cycle() -> None:
    """Window days 0-10. Materials (cost) bought / delivered (revenue) / paid by the buyer /
    supplier paid, in days: A 100 / 200 at 0 / 4 / 8 / 5; B 50 / 120 at 2 / 6 / 9 / 7;
    C 80 / 150 at 5 / 9 / unpaid / unpaid.
    Inventory 100·4 + 50·4 + 80·4 = 920 → mean 92, COGS 230 → 23/day → DIO 4.
    Receivables 200·4 + 120·3 + 150·1 = 1310 → mean 131, revenue 470 → 47/day → DSO 131/47.
    Payables 100·5 + 50·5 + 80·5 = 1150 → mean 115, purchases 230 → 23/day → DPO 5."""
    f = "factory/f"
    rows = []
    for cost, price, bought, delivered, paid, supplier in (
        (100, 200, 0, 4, 8, 5),
        (50, 120, 2, 6, 9, 7),
        (80, 150, 5, 9, None, None),
    ):
        rows += [
            (bought, f, "materials", "payables", cost),
            (bought, f, "wip", "materials", cost),
            (bought + 1, f, "finished_goods", "wip", cost),
            (delivered, f, "receivables", "revenue", price),
            (delivered, f, "cogs", "finished_goods", cost),
        ]
        if paid is not None:
            rows.append((paid, f, "cash", "receivables", price))
        if supplier is not None:
            rows.append((supplier, f, "payables", "cash", cost))
    ledger = pd.DataFrame(rows, columns=["day", "party", "debit", "credit", "amount"])
    ledger = ledger.assign(at=ledger["day"] * DAY, reason="").sort_values("at", kind="stable")
    result = cash_cycle(ledger, f, 0.0, 10 * DAY)
    assert result["dio_days"] == pytest.approx(4.0)
    assert result["dso_days"] == pytest.approx(131 / 47)
    assert result["dpo_days"] == pytest.approx(5.0)
    assert result["ccc_days"] == pytest.approx(4.0 + 131 / 47 - 5.0)


def test_a_posting_with_a_missing_party_or_account_counts_for_none() -> None:
    """A table read back from CSV holds an empty field as missing (NaN): a posting without a
    party is nobody's cash, one without an account moves no balance on that side, in the cash
    cycles and the daily `cash` table alike (missing values are coded -1, which must not pick
    the last party or account)."""
    f, g = "factory/f", "factory/g"
    rows = [
        (0.0, f, "cash", "revenue", 5.0),
        (1.0, None, "cash", "revenue", 3.0),  # nobody's
        (2.0, g, "cash", None, 7.0),  # debited to g's cash, credited to nothing
        (3.0, g, None, "cash", 2.0),  # credited to g's cash, debited to nothing
    ]
    ledger = pd.DataFrame(rows, columns=["at", "party", "debit", "credit", "amount"])
    ledger = ledger.assign(reason="")
    money = party_money(ledger, 0.0, 2 * DAY)
    assert list(money.index) == [f, g]
    assert money["cash_end"].tolist() == [5.0, 5.0] and money["revenue"].tolist() == [5.0, 0.0]
    cash = cash_positions(ledger, 2 * DAY).set_index(["party", "day"])["cash"]
    assert cash.to_dict() == {(f, 0): 5.0, (f, 1): 5.0, (g, 0): 5.0, (g, 1): 5.0}


@pytest.mark.slow
def test_voucher_lowers_factory_dso_and_bad_debt_against_offline_credit() -> None:
    """Paired over common random numbers: the e-commerce channel under voucher instead of
    offline credit, the same seeds."""
    regime = "channels.ecommerce.payment.regime"
    credit = flexsim.load_builtin("tao-factory", {regime: "offline_credit"})
    dso, bad, npv = (f"cash_cycle.factory/fuchun.{kpi}" for kpi in ("dso_days", "bad_debt", "npv"))
    result = compare(credit, {"voucher": {regime: "voucher"}}, replications=8, kpis=[dso, bad, npv])
    assert result.value("voucher", dso, "diff_high") < 0, result.summary
    assert result.value("voucher", bad, "diff_high") < 0, result.summary
    assert result.value("voucher", npv, "diff_low") > 0, result.summary  # waiting costs money


def test_platform_absorbs_seller_defaults_under_voucher(default_run: flexsim.RunResult) -> None:
    ledger = default_run.tables["ledger"]
    platform = ledger[(ledger["party"] == "platform") & (ledger["debit"] == "bad_debt")]
    assert len(platform) > 0
    orders = default_run.tables["orders"]
    ecommerce = orders[orders["channel"] == "ecommerce"]
    assert (ecommerce["payment"] != "written_off").all()


@pytest.mark.slow
def test_tighter_seller_cash_lowers_repeat_orders_under_prepaid_not_under_voucher() -> None:
    """Paired over common random numbers: sellers starting with 3,000 instead of 30,000 CNY.
    Under prepaid a seller pays each order in full when placing it, so a seller short of cash
    orders less; under the voucher the platform's credit pays, so nothing changes."""

    def tighter(regime: str) -> ExperimentResult:
        """Sellers with 30,000 CNY against the variant `tight`, with 3,000 CNY."""
        scenario = flexsim.load_builtin(
            "tao-factory",
            {
                "channels.ecommerce.payment.regime": regime,
                "sellers.initial_cash": 30_000,
                "horizon_days": 300,
                "warmup_days": 60,
            },
        )
        tight = {"tight": {"sellers.initial_cash": 3_000}}
        measures = {REPEATS: repeat_orders}
        return compare(scenario, tight, replications=6, kpis=[REPEATS], measures=measures)

    prepaid = tighter("prepaid")
    assert prepaid.value("tight", REPEATS, "diff_high") < 0, prepaid.summary
    voucher = tighter("voucher")
    low, high = (voucher.value("tight", REPEATS, f"diff_{end}") for end in ("low", "high"))
    assert low == high == 0, voucher.summary


REPEATS = "seller_orders.repeats"


def repeat_orders(result: flexsim.RunResult) -> float:
    """The repeat orders the sellers placed and the factory accepted, over the whole run."""
    orders = result.tables["orders"]
    return float(((orders["kind"] == "repeat") & (orders["status"] != "refused")).sum())


def test_interest_compounds_as_computed_by_hand() -> None:
    """A factory holding 1,000,000 with nothing else moving earns 3.65 % a year, settled every
    30 days: after three periods 1e6·((1 + q)³ − 1) with q = 0.0365·30/365 = 0.003, each
    period's interest earning interest in the next."""
    scenario = flexsim.load_builtin(
        "mm1",
        {
            "factories.plant.initial_cash": 1_000_000.0,
            "finance.deposit_rate": 0.0365,
            "horizon_days": 95,
            "warmup_days": 1,
        },
    )
    ledger = flexsim.run(scenario, seed=1).tables["ledger"]
    income = ledger[(ledger["party"] == "factory/plant") & (ledger["credit"] == "interest_income")]
    assert len(income) == 3
    assert income["amount"].sum() == pytest.approx(1e6 * ((1 + 0.003) ** 3 - 1))
